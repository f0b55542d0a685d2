"""Event logs: the canonical schema, and streaming XES / CSV / Parquet export and import.

Writers take ``LogEvent``s (see ``from_engine_event``) and the cases' attributes; readers yield
``Trace(case, events)`` per XES trace and ``LogRow(case, event)`` per CSV or Parquet row.
"""

from liucheng.eventlog.csv_io import read_csv, write_csv
from liucheng.eventlog.errors import LogFormatError, LogWriteError
from liucheng.eventlog.parquet_io import read_parquet, write_parquet
from liucheng.eventlog.schema import (
    CASE_PREFIX,
    CSV_COLUMNS,
    XES_CASE_ID,
    XES_CONCEPT_NAME,
    XES_GROUP,
    XES_LIFECYCLE,
    XES_RESOURCE,
    XES_TIMESTAMP,
    LogCase,
    LogEvent,
    LogRow,
    Trace,
    WriteSummary,
    from_engine_event,
)
from liucheng.eventlog.values import XES_TYPES
from liucheng.eventlog.xes_read import read_xes
from liucheng.eventlog.xes_write import write_xes

__all__ = [
    "CASE_PREFIX",
    "CSV_COLUMNS",
    "XES_CASE_ID",
    "XES_CONCEPT_NAME",
    "XES_GROUP",
    "XES_LIFECYCLE",
    "XES_RESOURCE",
    "XES_TIMESTAMP",
    "XES_TYPES",
    "LogCase",
    "LogEvent",
    "LogFormatError",
    "LogRow",
    "LogWriteError",
    "Trace",
    "WriteSummary",
    "from_engine_event",
    "read_csv",
    "read_parquet",
    "read_xes",
    "write_csv",
    "write_parquet",
    "write_xes",
]
