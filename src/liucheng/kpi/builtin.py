"""The KPIs ``liucheng kpi`` and the analysis report use when no definition file is given."""

from __future__ import annotations

from liucheng.eventlog.table import EventTable
from liucheng.kpi.definition import KpiDefinition, Title


def builtin_kpis(table: EventTable) -> list[KpiDefinition]:
    """KPIs every log supports, plus those of liucheng's own events that the log carries: SLA
    attainment when it has the ``sla.met``/``sla.breached`` events (an export with internal events),
    reopen rate when it has ``event_type``, escalation rate when it has escalation events."""
    types = _event_types(table)
    kpis = [
        KpiDefinition(name="cycle_time", title=Title(zh="处理周期", en="Cycle time"), kind="efficiency",
                      measure="cycle_time", unit="d", direction="lower_is_better"),
        KpiDefinition(name="throughput", title=Title(zh="结案量", en="Cases closed"), kind="result",
                      measure="throughput", direction="higher_is_better"),
        KpiDefinition(name="backlog", title=Title(zh="积压", en="Backlog"), kind="result", measure="backlog",
                      direction="lower_is_better"),
        KpiDefinition(name="rework_rate", title=Title(zh="返工率", en="Rework rate"), kind="efficiency",
                      measure="rework_rate", unit="%", direction="lower_is_better"),
        KpiDefinition(name="handoffs_per_case", title=Title(zh="每单转交次数", en="Hand-offs per case"),
                      kind="efficiency", measure="handoffs_per_case", direction="lower_is_better"),
        KpiDefinition(name="ping_pong_rate", title=Title(zh="踢皮球率", en="Ping-pong rate"), kind="efficiency",
                      measure="ping_pong_rate", unit="%", direction="lower_is_better"),
    ]
    if {"sla.met", "sla.breached"} & types:
        kpis.append(
            KpiDefinition(name="resolution_sla", title=Title(zh="解决时限达成率", en="Resolution SLA attainment"),
                          kind="result", measure="sla_attainment", params={"clock": "resolution"}, unit="%",
                          direction="higher_is_better", target=95.0, warning=90.0, critical=80.0))
    if types:
        kpis.append(KpiDefinition(name="reopen_rate", title=Title(zh="重开率", en="Reopen rate"), kind="result",
                                  measure="reopen_rate", unit="%", direction="lower_is_better"))
    if {"escalation.raised", "escalation.thrown"} & types:
        kpis.append(KpiDefinition(name="escalation_rate", title=Title(zh="升级率", en="Escalation rate"),
                                  kind="result", measure="escalation_rate", unit="%", direction="lower_is_better"))
    return kpis


def _event_types(table: EventTable) -> set[str]:
    """The distinct ``event_type`` values of liucheng's own export (empty for other logs)."""
    if "event_type" not in table.table.column_names:
        return set()
    import pyarrow.compute as pc

    return {t for t in pc.unique(table.table["event_type"].cast("string")).to_pylist() if t}
