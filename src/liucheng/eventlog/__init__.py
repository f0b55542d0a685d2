"""Event logs: the canonical schema, and streaming XES / CSV / Parquet export and import.

Writers take ``LogEvent``s (see ``from_engine_event``) and the cases' attributes; readers yield
``Trace(case, events)`` per XES trace and ``LogRow(case, event)`` per CSV or Parquet row.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Where each name lives: the package imports a module (and Arrow with it) only when a name from
#: it is first used, so importing ``liucheng.eventlog.errors`` costs no Arrow.
_HOME = {
    **dict.fromkeys(("read_csv", "write_csv"), "csv_io"),
    **dict.fromkeys(("LogFormatError", "LogWriteError"), "errors"),
    **dict.fromkeys(("read_parquet", "write_parquet"), "parquet_io"),
    **dict.fromkeys(("CASE_PREFIX", "CSV_COLUMNS", "XES_CASE_ID", "XES_CONCEPT_NAME", "XES_GROUP", "XES_LIFECYCLE",
                     "XES_RESOURCE", "XES_TIMESTAMP", "LogCase", "LogEvent", "LogRow", "Trace", "WriteSummary",
                     "from_engine_event"), "schema"),
    "XES_TYPES": "values",
    "read_xes": "xes_read",
    "write_xes": "xes_write",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
