"""Random small logs (ties in time, missing resources, unpaired starts, reopening) against the brute force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liucheng.eventlog.table import from_arrow
from liucheng.kpi import LogOptions

from .helpers import compare_many

BASE = datetime(2024, 3, 30, 20, 0, tzinfo=UTC)
ACTIVITIES = ("Register", "Handle", "Check", "Close", "Reopen")
event = st.tuples(
    st.sampled_from(ACTIVITIES),
    st.integers(0, 60 * 24 * 5),  # minutes after BASE: ties happen, months and weeks change
    st.sampled_from(("start", "complete", None)),
    st.sampled_from(("ann", "bob", "carl", None)),
    st.sampled_from(("G1", "G2", None)),
)
logs = st.lists(st.lists(event, min_size=1, max_size=7), min_size=1, max_size=6)

SPECS = {
    "cycle_time": ("cycle_time", {"statistic": "median"}),
    "waiting_time": ("waiting_time", {}),
    "processing_time": ("processing_time", {"statistic": "p90"}),
    "throughput": ("throughput", {}),
    "backlog": ("backlog", {}),
    "resolution": ("sla_attainment", {"target_s": 86400}),
    "first_response": ("sla_attainment", {"clock": "first_response", "target_s": 3600}),
    "step_sla": ("sla_attainment", {"clock": "step", "target_s": 1800}),
    "fcr": ("first_contact_resolution", {}),
    "reopen_rate": ("reopen_rate", {}),
    "rework_rate": ("rework_rate", {}),
    "handoffs": ("handoffs_per_case", {"level": "group"}),
    "ping_pong": ("ping_pong_rate", {}),
    "escalation_rate": ("escalation_rate", {"activities": ["Check"]}),
    "cost": ("cost_per_case", {"activity_costs": {"Handle": 10.0}, "per_hour": 60.0}),
}


def as_table(cases):
    rows = [(f"c{i}", a, BASE + timedelta(minutes=m), lc, r, g) for i, case in enumerate(cases)
            for a, m, lc, r, g in case]
    columns = ("case_id", "activity", "timestamp", "lifecycle", "resource", "group")
    data = {c: [row[k] for row in rows] for k, c in enumerate(columns)}
    data["timestamp"] = pa.array(data["timestamp"], pa.timestamp("us", tz="UTC"))
    return from_arrow(pa.table(data))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs, st.sampled_from(("week", "month")), st.booleans())
def test_random_logs_match_the_brute_force(cases, period, closing):
    options = LogOptions(end_activities=["Close"], reopen_activities=["Reopen"]) if closing else LogOptions()
    compare_many(as_table(cases), SPECS, period=period, by=("department",), tz="Asia/Shanghai", options=options)
