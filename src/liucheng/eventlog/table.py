"""The analytics event table: one Arrow table per log, the input of ``mining/`` and ``kpi/``.

Every importer (XES, CSV, OCEL 2.0, Parquet, our own store) produces an ``EventTable``; every
analysis takes one (or its Ibis expression) and never looks at where it came from.

Columns, in this order:

=============  =================================  ==========================================
column         Arrow type                         meaning
=============  =================================  ==========================================
case_id        string                             case:concept:name
activity       dictionary<int32, string>          concept:name
timestamp      timestamp[us, UTC]                 time:timestamp (aware, UTC)
lifecycle      dictionary<int32, string>, null    lifecycle:transition as written in the file
resource       dictionary<int32, string>, null    org:resource
group          dictionary<int32, string>, null    org:group (department, support team)
event_index    int64                              0..n-1, position in the source: the tie-break
=============  =================================  ==========================================

followed by ``case:<name>`` columns for case (trace) attributes and one column per other event
attribute, named as in the source (``org:role``, ``impact``). Within a case, events are ordered
by ``(timestamp, event_index)``: a stable sort by time, so events with equal timestamps keep
their order in the file, as PM4Py orders them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    import ibis.expr.types as ir

CASE_ID: Final = "case_id"
ACTIVITY: Final = "activity"
TIMESTAMP: Final = "timestamp"
LIFECYCLE: Final = "lifecycle"
RESOURCE: Final = "resource"
GROUP: Final = "group"
EVENT_INDEX: Final = "event_index"

_DICT: Final = pa.dictionary(pa.int32(), pa.string())
#: The fixed leading columns and their types.
CORE_SCHEMA: Final = pa.schema([
    pa.field(CASE_ID, pa.string(), nullable=False),
    pa.field(ACTIVITY, _DICT, nullable=False),
    pa.field(TIMESTAMP, pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field(LIFECYCLE, _DICT),
    pa.field(RESOURCE, _DICT),
    pa.field(GROUP, _DICT),
    pa.field(EVENT_INDEX, pa.int64(), nullable=False),
])
CORE_COLUMNS: Final = tuple(CORE_SCHEMA.names)

#: How the XES standard names map onto the core columns.
XES_TO_CORE: Final = {
    "case:concept:name": CASE_ID,
    "concept:name": ACTIVITY,
    "time:timestamp": TIMESTAMP,
    "lifecycle:transition": LIFECYCLE,
    "org:resource": RESOURCE,
    "org:group": GROUP,
}


class EventTableError(ValueError):
    """A table that cannot be an event table: a missing column, a null case or activity."""


@dataclass(frozen=True)
class EventTable:
    """An event log as one Arrow table with the columns above (see ``from_arrow``)."""

    table: pa.Table
    #: Where it came from (a file path or a database URL), for messages and reports.
    source: str | None = None
    #: Anything the importer wants to keep (XES log attributes, the OCEL object type).
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_events(self) -> int:
        return self.table.num_rows

    @property
    def n_cases(self) -> int:
        return pc.count_distinct(self.table[CASE_ID]).as_py()

    @property
    def attribute_columns(self) -> list[str]:
        """The columns after the core ones (case attributes first as in the table)."""
        return self.table.column_names[len(CORE_COLUMNS):]

    def to_ibis(self, con: Any = None) -> ir.Table:
        """This table as an Ibis expression on ``con`` (by default an in-memory DuckDB kept with the table).

        On DuckDB the Arrow data is registered, not copied: analyses scan it in place, and every
        analysis of the same ``EventTable`` shares one registration.
        """
        import ibis

        if con is None:
            cached = _IBIS.get(id(self))
            if cached is not None:
                return cached
            con = ibis.duckdb.connect()
            expr = _register(con, self.table)
            _IBIS[id(self)] = expr
            weakref.finalize(self, _IBIS.pop, id(self), None)
            return expr
        if con.name == "duckdb":
            return _register(con, self.table)
        # DuckDB reads dictionary columns as VARCHAR; other backends get a copy.
        return con.create_table(_unique_name(), self.table, temp=True)


_counter = 0
_IBIS: dict[int, Any] = {}


def _register(con: Any, table: pa.Table) -> ir.Table:
    name = _unique_name()
    con.con.register(name, table)
    return con.table(name)


def _unique_name() -> str:
    global _counter
    _counter += 1
    return f"events_{_counter}"


def from_arrow(table: pa.Table, *, source: str | None = None, meta: dict[str, Any] | None = None,
               rename: dict[str, str] | None = None) -> EventTable:
    """Check and normalise an Arrow table into an ``EventTable``.

    ``rename`` maps source column names onto the core names; the XES standard names
    (``case:concept:name``, ``concept:name``, ...) are recognised without it. Timestamps must be
    aware, or naive and meant as UTC (the caller decides; XES readers give UTC). ``event_index``
    is added in table order when absent. Raises ``EventTableError`` naming the column at fault.
    """
    mapping = {**XES_TO_CORE, **(rename or {})}
    names = [mapping.get(name, name) for name in table.column_names]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise EventTableError(f"{source or 'table'}: more than one column maps onto {', '.join(dupes)}")
    table = table.rename_columns(names)
    missing = [name for name in (CASE_ID, ACTIVITY, TIMESTAMP) if name not in names]
    if missing:
        raise EventTableError(f"{source or 'table'}: no {', '.join(missing)} column (columns: "
                              f"{', '.join(table.column_names[:20])}); map one with rename=")
    if EVENT_INDEX not in names:
        table = table.append_column(EVENT_INDEX, pa.array(range(table.num_rows), pa.int64()))
    columns: list[pa.ChunkedArray] = []
    fields: list[pa.Field] = []
    for core in CORE_SCHEMA:
        if core.name in table.column_names:
            column = _cast(table[core.name], core, source)
        else:
            column = pa.chunked_array([pa.nulls(table.num_rows, core.type)])
        if not core.nullable and column.null_count:
            row = pc.index(pc.is_null(column), True).as_py()
            raise EventTableError(f"{source or 'table'}: {core.name} is empty in row {row + 1}")
        columns.append(column)
        fields.append(core)
    for name in table.column_names:
        if name not in CORE_COLUMNS:
            columns.append(table[name])
            fields.append(table.schema.field(name))
    return EventTable(pa.Table.from_arrays(columns, schema=pa.schema(fields)), source=source, meta=meta or {})


def _cast(column: pa.ChunkedArray, target: pa.Field, source: str | None) -> pa.ChunkedArray:
    if column.type == target.type:
        return column
    try:
        if pa.types.is_timestamp(target.type):
            if not pa.types.is_timestamp(column.type):
                raise EventTableError(f"{source or 'table'}: {target.name} has type {column.type}, not a timestamp")
            if column.type.tz is None:
                column = pc.assume_timezone(column, "UTC")
            return column.cast(target.type)
        if pa.types.is_dictionary(target.type):
            return column.cast(pa.string()).dictionary_encode().cast(target.type)
        return column.cast(target.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise EventTableError(f"{source or 'table'}: column {target.name} cannot be read as {target.type}: "
                              f"{exc}") from exc


def read_xes_table(path: str) -> EventTable:
    """A quick XES → EventTable (the Rust ``process_mining`` reader through r4pm).

    ``liucheng.eventlog.importing`` is the full importer (errors with lines, skip reports,
    every format); this is the minimal path analyses and their tests can rely on.
    """
    import r4pm

    frame, meta = r4pm.df.import_xes(str(path))
    return from_arrow(frame.to_arrow(), source=str(path), meta={"xes": meta})
