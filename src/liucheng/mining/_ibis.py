"""Shared Ibis building blocks for the mining analyses.

Every analysis accepts an ``EventTable`` or its Ibis table (``EventTable.to_ibis()``, or the
result of a filter in ``liucheng.mining.filters``) and builds on the helpers here:

* ``as_ibis`` turns either into an Ibis table and checks the columns an analysis needs;
* ``select_events`` keeps the wanted lifecycle transitions and names each event by the chosen
  activity key (``activity`` or ``activity+lifecycle``, as ``"A (start)"``);
* ``ordered_events`` adds per-case window columns (``position``, ``prev_activity``,
  ``prev_timestamp``, ``next_activity``, ``next_timestamp``) over the order
  ``(timestamp, event_index)`` that every analysis uses;
* ``with_activity_codes`` replaces activity names by small integers for the heavy steps;
* ``seconds_between`` is the exact difference of two timestamps in seconds (microsecond
  resolution, as a float).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, Generic, Literal, TypeVar

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import msgspec
import pyarrow as pa

from liucheng.core.errors import ValidationError
from liucheng.eventlog.table import ACTIVITY, CASE_ID, EVENT_INDEX, LIFECYCLE, TIMESTAMP, EventTable

#: How an event is named in a map or variant: its activity, or activity and lifecycle "A (start)".
ActivityKey = Literal["activity", "activity+lifecycle"]
ACTIVITY_KEYS: Final = ("activity", "activity+lifecycle")

#: The columns every analysis needs.
REQUIRED_COLUMNS: Final = (CASE_ID, ACTIVITY, TIMESTAMP, EVENT_INDEX)

EventsLike = EventTable | ir.Table


class MiningInputError(ValidationError):
    """An analysis was given a table or an option it cannot work with; says which and how to fix it."""

    code = "invalid_mining_input"


def as_ibis(events: EventsLike, *, needs: Iterable[str] = ()) -> ir.Table:
    """``events`` as an Ibis table, after checking it has the core columns and ``needs``."""
    if isinstance(events, EventTable):
        table = events.to_ibis()
    elif isinstance(events, ir.Table):
        table = events
    else:
        raise MiningInputError(f"expected an EventTable or an Ibis table, got {type(events).__name__}",
                               hint="read a log with liucheng.eventlog.table.read_xes_table")
    missing = [name for name in (*REQUIRED_COLUMNS, *needs) if name not in table.columns]
    if missing:
        raise MiningInputError(f"the event table has no column {', '.join(missing)} "
                               f"(columns: {', '.join(table.columns[:20])})",
                               hint="build it with liucheng.eventlog.table.from_arrow")
    return table


def check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    """Raise ``MiningInputError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise MiningInputError(f"{name}={value!r} is not one of {', '.join(map(repr, choices))}")


def lifecycle_values(lifecycle: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """The lifecycle filter as lower-case values, or ``None`` for every event."""
    if lifecycle is None:
        return None
    values = (lifecycle,) if isinstance(lifecycle, str) else tuple(lifecycle)
    if not values:
        raise MiningInputError("lifecycle= is empty", hint="give transitions such as 'complete', or None for all")
    return tuple(value.lower() for value in values)


def select_events(events: EventsLike, *, lifecycle: str | Iterable[str] | None = None,
                  activity_key: ActivityKey = "activity") -> ir.Table:
    """The events an analysis looks at, with ``activity`` replaced by the chosen activity key.

    ``lifecycle`` keeps only events whose ``lifecycle`` is one of the given transitions, compared
    without regard to case (``"complete"`` matches ``COMPLETE``). With
    ``activity_key="activity+lifecycle"`` the activity becomes ``"A (start)"``, with the
    lifecycle as written in the log, or stays ``"A"`` where the event has no lifecycle.
    """
    check_choice("activity_key", activity_key, ACTIVITY_KEYS)
    wanted = lifecycle_values(lifecycle)
    needs = (LIFECYCLE,) if wanted is not None or activity_key != "activity" else ()
    table = as_ibis(events, needs=needs)
    if wanted is not None:
        table = table.filter(table[LIFECYCLE].lower().isin(wanted))
    if activity_key == "activity+lifecycle":
        keyed = ibis.ifelse(table[LIFECYCLE].isnull(), table[ACTIVITY],
                            table[ACTIVITY] + " (" + table[LIFECYCLE] + ")")
        table = table.mutate(**{ACTIVITY: keyed})
    return table


def case_window(**frame: Any) -> Any:
    """The window of one case in event order: ``(timestamp, event_index)``; ``frame`` as ``ibis.window``
    takes it (``rows=(None, -1)``: the events before)."""
    return ibis.window(group_by=CASE_ID, order_by=[TIMESTAMP, EVENT_INDEX], **frame)


def ordered_events(events: EventsLike, *, lifecycle: str | Iterable[str] | None = None,
                   activity_key: ActivityKey = "activity") -> ir.Table:
    """The selected events with their neighbours in the case.

    Adds ``position`` (0-based within the case), ``prev_activity``/``prev_timestamp`` (null on
    the first event) and ``next_activity``/``next_timestamp`` (null on the last).
    """
    table = select_events(events, lifecycle=lifecycle, activity_key=activity_key)
    window = case_window()
    return table.mutate(
        position=ibis.row_number().over(window),
        prev_activity=table[ACTIVITY].lag().over(window),
        prev_timestamp=table[TIMESTAMP].lag().over(window),
        next_activity=table[ACTIVITY].lead().over(window),
        next_timestamp=table[TIMESTAMP].lead().over(window),
    )


@ibis.udf.scalar.builtin(name="epoch_us")
def epoch_us(timestamp: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[empty-body]
    """Microseconds since 1970-01-01 UTC (DuckDB's ``epoch_us``).

    Ibis's portable ``delta(unit="microsecond")`` becomes DuckDB's calendar-aware ``date_diff``
    on time-zone-aware timestamps, measured 30 times slower than this plain integer; a backend
    without ``epoch_us`` (PostgreSQL) needs its own definition here.
    """


def seconds_between(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    """``later - earlier`` in seconds, exact to the microsecond."""
    return (epoch_us(later) - epoch_us(earlier)).cast("float64") / 1_000_000


def case_spans(table: ir.Table) -> ir.Table:
    """One row per case: ``case_id``, ``start``, ``end``, ``duration_s``, ``n_events``."""
    spans = table.group_by(CASE_ID).aggregate(start=table[TIMESTAMP].min(), end=table[TIMESTAMP].max(),
                                              n_events=table.count())
    return spans.mutate(duration_s=seconds_between(spans.end, spans.start))


def case_variants(table: ir.Table) -> ir.Table:
    """One row per case: ``case_id``, ``variant`` (the list of activities in event order), ``start``, ``end``."""
    return table.group_by(CASE_ID).aggregate(
        variant=table[ACTIVITY].collect(order_by=[table[TIMESTAMP], table[EVENT_INDEX]]),
        start=table[TIMESTAMP].min(),
        end=table[TIMESTAMP].max(),
    )


def activity_names(table: ir.Table) -> list[str]:
    """The distinct activities of ``table`` in code order (see ``with_activity_codes``)."""
    return sorted(table.select(ACTIVITY).distinct().to_pyarrow()[ACTIVITY].to_pylist())


def with_activity_codes(table: ir.Table) -> ir.Table:
    """``table`` with ``code``: the activity's 0-based position among the distinct activities in sorted order.

    Windows and list aggregates over small integers run markedly faster than over strings, and
    because codes follow the sorted names, comparing code sequences orders them as the name
    sequences would. ``activity_names`` decodes them.
    """
    names = table.select(ACTIVITY).distinct()
    codes = names.mutate(code=ibis.row_number().over(ibis.window(order_by=names[ACTIVITY])).cast("int32"))
    return table.join(codes, ACTIVITY)


T = TypeVar("T", bound=msgspec.Struct)


class Rows(list[T], Generic[T]):
    """A small result table: a list of typed rows that converts to Arrow or plain dicts."""

    def __init__(self, row_type: type[T], rows: list[T] | None = None) -> None:
        super().__init__(rows or [])
        self.row_type = row_type

    def to_dicts(self) -> list[dict[str, Any]]:
        return [msgspec.structs.asdict(row) for row in self]

    def to_arrow(self) -> pa.Table:
        if self:
            return pa.Table.from_pylist(self.to_dicts())
        return pa.table({name: pa.nulls(0) for name in self.row_type.__struct_fields__})


def fetch(expr: ir.Table, row_type: type[T]) -> Rows[T]:
    """Run ``expr`` and build one ``row_type`` per result row (columns named as its fields)."""
    records = expr.select(*row_type.__struct_fields__).to_pyarrow().to_pylist()
    return Rows(row_type, [row_type(**record) for record in records])
