"""The KPIs ``liucheng kpi`` and the analysis report use when no definition file is given."""

from __future__ import annotations

from liucheng.kpi.definition import KpiDefinition, Title


def builtin_kpis(has_engine_events: bool) -> list[KpiDefinition]:
    """KPIs every log supports; SLA attainment and escalation too when the log is liucheng's own."""
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
    if has_engine_events:
        kpis += [
            KpiDefinition(name="resolution_sla", title=Title(zh="解决时限达成率", en="Resolution SLA attainment"),
                          kind="result", measure="sla_attainment", params={"clock": "resolution"}, unit="%",
                          direction="higher_is_better", target=95.0, warning=90.0, critical=80.0),
            KpiDefinition(name="reopen_rate", title=Title(zh="重开率", en="Reopen rate"), kind="result",
                          measure="reopen_rate", unit="%", direction="lower_is_better"),
            KpiDefinition(name="escalation_rate", title=Title(zh="升级率", en="Escalation rate"), kind="result",
                          measure="escalation_rate", unit="%", direction="lower_is_better"),
        ]
    return kpis
