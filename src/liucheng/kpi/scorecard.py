"""Scorecards for departments, teams and people, drawn from the steps they held.

Process-based evaluation (基于流程的评价): a department or person answers for the steps it held,
so a scorecard is the KPIs evaluated with the holder as the dimension: step KPIs (processing and
waiting time, hand-overs, step SLAs) are attributed to whoever held the step, case KPIs to the
holder of the case's last step.

Each KPI scores 0-100 against its target, or against the whole organisation's value in the same
period when it has none (so "as good as the centre" scores 100)::

    ratio = value / reference            (higher_is_better)
    ratio = reference / value            (lower_is_better; a value of 0 scores 100)
    score = 100 * min(ratio, 1)

The overall score is the weighted mean of the KPI scores a row has (weights from the
definitions); rows are ranked by it, best first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import msgspec
import pyarrow as pa

from liucheng.eventlog.table import EventTable
from liucheng.kpi.definition import KpiDefinition, KpiSet, Title
from liucheng.kpi.errors import KpiDefinitionError
from liucheng.kpi.evaluation import KpiInfo, KpiValue, evaluate
from liucheng.kpi.periods import Direction, Period, Status
from liucheng.kpi.view import LogOptions

Level = Literal["department", "team", "person"]
LEVELS: Final = ("department", "team", "person")


class ScoreLine(msgspec.Struct, frozen=True, kw_only=True):
    kpi: str
    value: float | None
    unit: str
    #: What the value was scored against: the target, or the organisation's value.
    reference: float | None
    reference_is_target: bool
    status: Status | None
    score: float | None
    weight: float


class ScoreRow(msgspec.Struct, frozen=True, kw_only=True):
    holder: str | None
    period: str | None
    score: float | None
    rank: int
    lines: list[ScoreLine]


class Scorecard(msgspec.Struct, frozen=True, kw_only=True):
    level: str
    period: str
    tz: str
    kpis: list[KpiInfo]
    rows: list[ScoreRow]

    def to_json(self) -> bytes:
        return msgspec.json.encode(self)

    def to_dicts(self) -> list[dict[str, Any]]:
        """One dict per holder and period: score, rank and ``<kpi>``/``<kpi>_score`` columns."""
        out = []
        for row in self.rows:
            item: dict[str, Any] = {"holder": row.holder, "period": row.period, "score": row.score, "rank": row.rank}
            for line in row.lines:
                item[line.kpi] = line.value
                item[f"{line.kpi}_score"] = line.score
            out.append(item)
        return out

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist(self.to_dicts())


def kpi_score(value: float | None, reference: float | None, direction: Direction) -> float | None:
    """0-100: how close ``value`` comes to ``reference`` (100 when it meets or beats it)."""
    if value is None or reference is None:
        return None
    if direction == "lower_is_better":
        ratio = 1.0 if value <= reference else (reference / value if value > 0 else 1.0)
    else:
        ratio = 1.0 if value >= reference else (value / reference if reference > 0 else 1.0)
    return 100.0 * max(0.0, min(ratio, 1.0))


def overall_score(lines: Sequence[ScoreLine]) -> float | None:
    """The weighted mean of the scores present (None when no KPI could be scored)."""
    scored = [(line.score, line.weight) for line in lines if line.score is not None and line.weight > 0]
    total = sum(w for _, w in scored)
    if not scored or total == 0:
        return None
    return sum(s * w for s, w in scored) / total


def default_scorecard_kpis(*, step_clocks: bool = False) -> list[KpiDefinition]:
    """Step KPIs every log supports, plus step SLA attainment when the log has our step clocks."""
    kpis = [
        KpiDefinition(name="processing_time", title=Title(zh="处理时长", en="Processing time"), kind="efficiency",
                      measure="processing_time", unit="h", direction="lower_is_better"),
        KpiDefinition(name="waiting_time", title=Title(zh="等待时长", en="Waiting time"), kind="efficiency",
                      measure="waiting_time", unit="h", direction="lower_is_better"),
        KpiDefinition(name="handoffs_per_case", title=Title(zh="每单转交次数", en="Hand-offs per case"),
                      kind="efficiency", measure="handoffs_per_case", direction="lower_is_better", weight=0.5),
    ]
    if step_clocks:
        kpis.append(KpiDefinition(name="step_sla", title=Title(zh="环节时限达成率", en="Step SLA attainment"),
                                  kind="result", measure="sla_attainment", params={"clock": "step"}, unit="%",
                                  direction="higher_is_better", target=95.0, warning=90.0, critical=80.0,
                                  weight=2.0))
    return kpis


def scorecard(
    table: EventTable,
    kpis: KpiSet | Sequence[KpiDefinition] | None = None,
    *,
    level: Level = "department",
    period: Period = "all",
    tz: str = "UTC",
    log: LogOptions | None = None,
    teams: Mapping[str, str] | None = None,
) -> Scorecard:
    """Score every department, team (``teams`` maps people to teams) or person on ``kpis``
    (``default_scorecard_kpis`` when None), per ``period``."""
    if level not in LEVELS:
        raise KpiDefinitionError(f"unknown scorecard level {level!r}", field="level", hint=f"use one of {LEVELS}")
    if kpis is None:
        definitions = default_scorecard_kpis(step_clocks="clock" in table.table.column_names)
    else:
        definitions = list(kpis.kpi) if isinstance(kpis, KpiSet) else list(kpis)
        log = log or (kpis.log if isinstance(kpis, KpiSet) else None)
    by_holder = evaluate(table, definitions, by=[level], period=period, tz=tz, log=log, teams=teams)
    untargeted = [d for d in definitions if d.target is None]
    whole = evaluate(table, untargeted, by=[], period=period, tz=tz, log=log).values if untargeted else []
    references = {(v.kpi, v.period): v.value for v in whole}
    cells: dict[tuple[str | None, str | None], dict[str, KpiValue]] = {}
    for value in by_holder.values:
        cells.setdefault((value.dims[level], value.period), {})[value.kpi] = value
    rows = []
    for (holder, start), values in cells.items():
        lines = [_line(d, values.get(d.name), references.get((d.name, start))) for d in definitions]
        rows.append((holder, start, lines, overall_score(lines)))
    rows.sort(key=lambda r: (r[1] or "", r[3] is None, -(r[3] or 0.0), r[0] or ""))
    ranked: list[ScoreRow] = []
    for holder, start, lines, score in rows:
        rank = 1 if not ranked or ranked[-1].period != start else ranked[-1].rank + 1
        ranked.append(ScoreRow(holder=holder, period=start, score=score, rank=rank, lines=lines))
    return Scorecard(level=level, period=period, tz=tz, kpis=by_holder.kpis, rows=ranked)


def _line(kpi: KpiDefinition, value: KpiValue | None, organisation: float | None) -> ScoreLine:
    reference = kpi.target if kpi.target is not None else organisation
    number = value.value if value is not None else None
    return ScoreLine(
        kpi=kpi.name,
        value=number,
        unit=kpi.unit,
        reference=reference,
        reference_is_target=kpi.target is not None,
        status=value.status if value is not None else None,
        score=kpi_score(number, reference, kpi.direction),
        weight=kpi.weight,
    )
