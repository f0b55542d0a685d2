"""Each catalogue measure on a small hand-made log: values worked out by hand, then the brute force."""

from __future__ import annotations

import pytest

from liucheng.kpi import KpiDataError, KpiDefinition, LogOptions, Title, evaluate

from .helpers import compare, compare_many, kpi, table

# A: Register by ann, Handle by bob (1 h) and again by ann (30 min), closed the same morning.
# B: registered and closed by carl in 10 minutes.
# C: closed on 16 Jan, escalated on 20 Jan (reopened by that event), closed again on 3 Feb.
# D: still open; bob starts handling 1.5 h after registering it.
ROWS = [
    ("A", "Register", "2024-01-01T09:00", "complete", "ann", "G1"),
    ("A", "Handle", "2024-01-01T09:30", "start", "bob", "G2"),
    ("A", "Handle", "2024-01-01T10:30", "complete", "bob", "G2"),
    ("A", "Handle", "2024-01-01T11:00", "start", "ann", "G1"),
    ("A", "Handle", "2024-01-01T11:30", "complete", "ann", "G1"),
    ("A", "Close", "2024-01-01T12:00", "complete", "ann", "G1"),
    ("B", "Register", "2024-01-02T08:00", "complete", "carl", "G1"),
    ("B", "Close", "2024-01-02T08:10", "complete", "carl", "G1"),
    ("C", "Register", "2024-01-15T08:00", "complete", "ann", "G1"),
    ("C", "Close", "2024-01-16T08:00", "complete", "ann", "G1"),
    ("C", "Escalate", "2024-01-20T08:00", "complete", "dave", "G3"),
    ("C", "Close", "2024-02-03T08:00", "complete", "dave", "G3"),
    ("D", "Register", "2024-01-31T23:30", "complete", "bob", "G2"),
    ("D", "Handle", "2024-02-01T01:00", "start", "bob", "G2"),
]
CLOSE = LogOptions(end_activities=["Close"])
HOUR = 3600.0


@pytest.fixture(scope="module")
def log():
    return table(ROWS)


BY_HAND = [
    ("cycle_time", {}, (3 * HOUR + 600 + 19 * 24 * HOUR) / 3),
    ("cycle_time", {"statistic": "max"}, 19 * 24 * HOUR),
    ("processing_time", {}, (HOUR + HOUR / 2) / 2),
    ("waiting_time", {}, (1800 + 1800 + 5400) / 3),
    ("throughput", {}, 3),
    ("backlog", {}, 1),
    ("sla_attainment", {"target_s": 86400}, 2 / 3),
    ("sla_attainment", {"clock": "first_response", "target_s": 3600}, 2 / 4),
    ("sla_attainment", {"clock": "step", "target_s": 2400}, 1 / 2),
    ("first_contact_resolution", {}, 1 / 3),
    ("first_contact_resolution", {"single": "step"}, 0),
    ("reopen_rate", {}, 1 / 3),
    ("rework_rate", {}, 2 / 3),
    ("handoffs_per_case", {}, 3 / 4),
    ("handoffs_per_case", {"level": "group"}, 3 / 4),
    ("ping_pong_rate", {}, 1 / 3),
    ("escalation_rate", {"activities": ["Escalate"]}, 1 / 3),
    ("cost_per_case", {"activity_costs": {"Handle": 50.0}, "per_hour": 100.0}, (100 + 150) / 3),
]


@pytest.fixture(scope="module")
def whole_log(log):
    kpis = [kpi(measure, f"k{i}", **params) for i, (measure, params, _) in enumerate(BY_HAND)]
    return {v.kpi: v.value for v in evaluate(log, kpis, period="all", log=CLOSE).values}


@pytest.mark.parametrize("index", range(len(BY_HAND)), ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(BY_HAND)])
def test_values_worked_out_by_hand(whole_log, index):
    assert whole_log[f"k{index}"] == pytest.approx(BY_HAND[index][2])


def test_throughput_and_backlog_by_month(log):
    months = {key[0].month: value[0] for key, value in compare(log, "throughput", options=CLOSE).items()}
    assert months == {1: 2.0, 2: 1.0}
    open_at_end = {key[0].month: value[0] for key, value in compare(log, "backlog", options=CLOSE).items()}
    assert open_at_end == {1: 2.0, 2: 1.0}  # C and D at the end of January, D at the end of February


def test_a_case_without_a_closing_activity_closes_at_its_last_event(log):
    # Without end_activities every case is closed at its last event: D counts, nothing is reopened.
    report = evaluate(log, [kpi("throughput"), kpi("reopen_rate")], period="all")
    assert [v.value for v in report.values] == [4.0, 0.0]


SPECS = {
    "cycle_time": ("cycle_time", {}),
    "cycle_p90": ("cycle_time", {"statistic": "p90"}),
    "processing_time": ("processing_time", {}),
    "waiting_median": ("waiting_time", {"statistic": "median"}),
    "throughput": ("throughput", {}),
    "backlog": ("backlog", {}),
    "sla": ("sla_attainment", {"target_s": 86400}),
    "first_response": ("sla_attainment", {"clock": "first_response", "target_s": 3600}),
    "step_sla": ("sla_attainment", {"clock": "step", "target_s": 2400}),
    "fcr": ("first_contact_resolution", {}),
    "fcr_step": ("first_contact_resolution", {"single": "step"}),
    "reopen_rate": ("reopen_rate", {}),
    "rework_rate": ("rework_rate", {}),
    "handoffs_per_case": ("handoffs_per_case", {}),
    "group_handoffs": ("handoffs_per_case", {"level": "group"}),
    "ping_pong_rate": ("ping_pong_rate", {"level": "group"}),
    "escalation_rate": ("escalation_rate", {"activities": ["Escalate"]}),
    "cost": ("cost_per_case", {"activity_costs": {"Handle": 50.0}, "per_hour": 100.0}),
}


@pytest.mark.parametrize(("period", "by"), [("day", ()), ("week", ("department",)), ("month", ("person", "case_id"))])
def test_every_group_and_period_matches_the_brute_force(log, period, by):
    compare_many(log, SPECS, period=period, by=by, options=CLOSE)


def test_periods_follow_the_local_calendar(log):
    # D opened 23:30 UTC on 31 Jan = 07:30 on 1 Feb in Beijing: not yet open when January ends there.
    utc = compare(log, "backlog", period="month", options=CLOSE)
    beijing = compare(log, "backlog", period="month", tz="Asia/Shanghai", options=CLOSE)
    assert {k[0].month: v[0] for k, v in utc.items()} == {1: 2.0, 2: 1.0}
    assert {k[0].month: v[0] for k, v in beijing.items()} == {1: 1.0, 2: 1.0}


def test_escalations_need_events_or_a_list_of_activities(log):
    with pytest.raises(KpiDataError, match="escalation") as caught:
        evaluate(log, [kpi("escalation_rate")], period="all", log=CLOSE)
    assert "params.activities" in str(caught.value)


def test_sla_without_events_needs_a_target(log):
    with pytest.raises(KpiDataError, match="target_s"):
        evaluate(log, [kpi("sla_attainment")], period="all", log=CLOSE)


def test_an_unknown_dimension_is_named(log):
    with pytest.raises(KpiDataError, match="'team'") as caught:
        evaluate(log, [kpi("throughput")], by=["team"], log=CLOSE)
    assert "teams=" in str(caught.value)


def test_teams_come_from_a_mapping_of_people(log):
    report = evaluate(log, [kpi("processing_time")], by=["team"], period="all", log=CLOSE,
                      teams={"ann": "north", "bob": "south"})
    assert {v.dims["team"]: v.value for v in report.values} == {"north": HOUR / 2, "south": HOUR}


def test_filters_keep_the_facts_they_name(log):
    only_g1 = KpiDefinition(name="g1_processing", title=Title(zh="处理", en="Processing"), kind="efficiency",
                            measure="processing_time", direction="lower_is_better", filter={"group": ["G1"]})
    (value,) = evaluate(log, [only_g1], period="all", log=CLOSE).values
    assert (value.value, value.n) == (HOUR / 2, 1)  # ann's Handle in A; bob's (G2) is left out
    by_process = KpiDefinition(name="inquiries", title=Title(zh="咨询", en="Inquiries"), kind="result",
                               measure="throughput", direction="higher_is_better", process=["inquiry"])
    with pytest.raises(KpiDataError, match="case:process_key"):
        evaluate(log, [by_process], period="all", log=CLOSE)
