"""Handover of work and ping-pong between resources or groups (teams, departments).

``by`` names the *holder* column: ``"resource"`` (people) or ``"group"`` (teams). EventsLike without a
holder are left out. Consecutive events of a case with the same holder form one *run*:

* a handover ``X -> Y`` is a run of Y right after a run of X in the same case (X != Y); so the
  handover count of ``X -> Y`` is the number of consecutive event pairs where the holder changes
  from X to Y;
* a (direct) ping-pong ``X -> Y -> X`` is a run of X, then a run of Y, then a run of X again: the
  case came back to X straight after X passed it on. It is recorded for the pair (origin X,
  other Y) at the event where the case returns to X.

This is the "扯皮推诿" a service desk manager wants to see: cases bounced between teams.

PM4Py's handover-of-work network (beta = 0) counts every consecutive pair, ``X -> X`` included,
and divides by the number of pairs; our count of ``X -> Y`` is its value times that number.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import ibis
import msgspec

from liucheng.eventlog.table import CASE_ID, EVENT_INDEX, TIMESTAMP
from liucheng.mining._ibis import EventsLike, MiningInputError, Rows, as_ibis, case_window, fetch

if TYPE_CHECKING:
    import ibis.expr.types as ir


def holder_runs(events: EventsLike, *, by: str = "group") -> ir.Table:
    """The first event of each run of one holder: case_id, timestamp, event_index, holder,
    previous (holder of the run before) and before_previous (two runs back)."""
    t = as_ibis(events)
    if by not in t.columns:
        raise MiningInputError(f"no column {by!r} to take holders from", where="by",
                              hint='use "resource", "group" or another column of the log')
    t = t.filter(t[by].notnull()).select(CASE_ID, TIMESTAMP, EVENT_INDEX, holder=t[by].cast("string"))
    t = t.mutate(_before=t.holder.lag().over(case_window()))
    t = t.filter(t._before.isnull() | (t._before != t.holder)).drop("_before")
    w = case_window()
    return t.mutate(previous=t.holder.lag().over(w), before_previous=t.holder.lag(2).over(w))


class Handover(msgspec.Struct, frozen=True, kw_only=True):
    """Work passed from ``source`` to ``target``: how often and in how many cases."""

    source: str
    target: str
    count: int
    cases: int


def handovers(events: EventsLike, *, by: str = "resource") -> Rows[Handover]:
    """The handover-of-work matrix as an edge list, most frequent first."""
    runs = holder_runs(events, by=by)
    moves = runs.filter(runs.previous.notnull())
    edges = moves.group_by(source=moves.previous, target=moves.holder).aggregate(
        count=moves.count(), cases=moves[CASE_ID].nunique(),
    )
    return fetch(edges.order_by([edges["count"].desc(), "source", "target"]), Handover)


class PingPongPair(msgspec.Struct, frozen=True, kw_only=True):
    """``origin -> other -> origin``: occurrences and the cases they happened in."""

    origin: str
    other: str
    occurrences: int
    cases: int


class PingPongHolder(msgspec.Struct, frozen=True, kw_only=True):
    """One holder's part in ping-pong: cases it handled, cases it ping-ponged in (either side)."""

    holder: str
    cases_handled: int
    cases_with_ping_pong: int
    rate: float
    occurrences_as_origin: int
    occurrences_as_other: int


class PingPong(msgspec.Struct, frozen=True, kw_only=True):
    """Ping-pong in one log; ``share`` = cases_with_ping_pong / cases (all cases with a holder)."""

    by: str
    cases: int
    cases_with_ping_pong: int
    occurrences: int
    share: float
    pairs: Rows[PingPongPair]
    holders: Rows[PingPongHolder]


def ping_pong_events(events: EventsLike, *, by: str = "group") -> ir.Table:
    """The runs where a case returns to the holder it had two runs before (origin = holder)."""
    return _returns(holder_runs(events, by=by))


def _returns(runs: ir.Table) -> ir.Table:
    return runs.filter(runs.before_previous == runs.holder)


def find_ping_pong(events: EventsLike, *, by: str = "group") -> PingPong:
    """Direct ping-pong per pair (most frequent first) and per holder (most cases first)."""
    runs = holder_runs(events, by=by)
    found = _returns(runs)
    pairs = found.group_by(origin=found.holder, other=found.previous).aggregate(
        occurrences=found.count(), cases=found[CASE_ID].nunique(),
    )
    pairs = pairs.order_by([pairs.occurrences.desc(), "origin", "other"])
    sides = found.select(CASE_ID, holder=found.holder, _origin=1, _other=0).union(
        found.select(CASE_ID, holder=found.previous, _origin=0, _other=1), distinct=False,
    )
    involved = sides.group_by(_h="holder").aggregate(
        cases_with_ping_pong=sides[CASE_ID].nunique(),
        occurrences_as_origin=sides._origin.sum(),
        occurrences_as_other=sides._other.sum(),
    )
    handled = runs.group_by("holder").aggregate(cases_handled=runs[CASE_ID].nunique())
    joined = handled.left_join(involved, handled.holder == involved._h)
    holders = joined.select(
        "holder", "cases_handled",
        cases_with_ping_pong=joined.cases_with_ping_pong.fill_null(0),
        rate=joined.cases_with_ping_pong.fill_null(0) / joined.cases_handled,
        occurrences_as_origin=joined.occurrences_as_origin.fill_null(0),
        occurrences_as_other=joined.occurrences_as_other.fill_null(0),
    )
    holders = holders.order_by([holders.cases_with_ping_pong.desc(), holders.cases_handled.desc(), "holder"])
    cases = int(runs[CASE_ID].nunique().execute())
    with_ping_pong = int(found[CASE_ID].nunique().execute())
    return PingPong(
        by=by, cases=cases, cases_with_ping_pong=with_ping_pong, occurrences=int(found.count().execute()),
        share=with_ping_pong / cases if cases else 0.0,
        pairs=fetch(pairs, PingPongPair), holders=fetch(holders, PingPongHolder),
    )


def tiers_from_names(
    names: Iterable[str], *, markers: Mapping[str, int] | None = None, default: int = 1,
) -> dict[str, int]:
    """Support line of each team from its name: the highest marker it contains, else ``default``.

    With the default markers "2nd" -> 2 and "3rd" -> 3, "G97" is 1st line, "G230 2nd" 2nd line
    and "V13 2nd 3rd" 3rd line (a team serving both counts as the higher line).
    """
    markers = markers or {"2nd": 2, "3rd": 3}
    return {name: max((tier for mark, tier in markers.items() if mark in name), default=default) for name in names}


class TierReach(msgspec.Struct, frozen=True, kw_only=True):
    """Within one segment: cases that reached ``tier`` (or higher) and cases that ended there."""

    segment: str
    tier: int
    cases: int
    cases_reaching: int
    share_reaching: float
    cases_ending: int
    share_ending: float


def case_tiers(events: EventsLike, *, tiers: Mapping[str, int], by: str = "group", default: int = 1,
               segment: str | None = None) -> ir.Table:
    """Per case: highest tier handling it (max_tier), tier of its last event (last_tier), segment."""
    t = as_ibis(events)
    for name in (by, segment):
        if name is not None and name not in t.columns:
            raise MiningInputError(f"no column {name!r}", where="escalations",
                                  hint=f"choose among {', '.join(t.columns)}")
    tier = t[by].cast("string").substitute(dict(tiers), else_=default).fill_null(default).cast("int64")
    seg = t[segment].cast("string").fill_null("") if segment else ibis.literal("all")
    t = t.mutate(_tier=tier, _segment=seg, _last=ibis.row_number().over(
        group_by=CASE_ID, order_by=[t[TIMESTAMP].desc(), t[EVENT_INDEX].desc()]))
    return t.group_by(CASE_ID).aggregate(
        max_tier=t._tier.max(), last_tier=t._tier.max(where=t._last == 0), segment=t._segment.first(),
    )


def find_escalations(events: EventsLike, *, tiers: Mapping[str, int], by: str = "group", default: int = 1,
                     segment: str | None = None) -> Rows[TierReach]:
    """How many cases reach each support line above ``default`` and end there, overall or per
    value of ``segment`` (a case attribute read on the case's first rows; e.g. "impact")."""
    per_case = case_tiers(events, tiers=tiers, by=by, default=default, segment=segment)
    counts = per_case.group_by(["segment", "max_tier", "last_tier"]).aggregate(n=per_case.count())
    reach: dict[str, dict[str, Counter[int]]] = defaultdict(lambda: {"max": Counter(), "last": Counter()})
    for row in counts.to_pyarrow().to_pylist():
        reach[row["segment"]]["max"][row["max_tier"]] += row["n"]
        reach[row["segment"]]["last"][row["last_tier"]] += row["n"]
    levels = sorted({default, *tiers.values()})
    rows = []
    for seg in sorted(reach):
        total = sum(reach[seg]["max"].values())
        for level in levels:
            reaching = sum(n for t, n in reach[seg]["max"].items() if t >= level)
            ending = reach[seg]["last"][level]
            rows.append(TierReach(segment=seg, tier=level, cases=total, cases_reaching=reaching,
                                  share_reaching=reaching / total, cases_ending=ending, share_ending=ending / total))
    return Rows(TierReach, rows)
