"""Filters written as text (``--filter``) keep exactly the cases a plain Python count says they should."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from liucheng.cli.main import app
from liucheng.eventlog.table import from_arrow
from liucheng.mining._ibis import MiningInputError
from liucheng.mining.filter_text import apply_filters, parse_filter
from liucheng.mining.variants import get_variants
from tests.mining.conftest import log_path

LOG = "helpdesk"


@pytest.fixture(scope="module")
def cases(load_log_module):
    """case id -> (activities in order, first instant, last instant, case attributes) from plain Python."""
    events = load_log_module
    rows = events.table.select(["case_id", "activity", "timestamp", "event_index", "customer"]).to_pylist()
    by_case: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_case[row["case_id"]].append(row)
    out = {}
    for case, found in by_case.items():
        found.sort(key=lambda r: (r["timestamp"], r["event_index"]))
        out[case] = ([r["activity"] for r in found], found[0]["timestamp"], found[-1]["timestamp"],
                     {r["customer"] for r in found})
    return out


@pytest.fixture(scope="module")
def load_log_module():
    from liucheng.eventlog.table import read_xes_table

    return read_xes_table(str(log_path(LOG)))


def _kept(events, *texts) -> set[str]:
    return set(apply_filters(events, texts).table["case_id"].to_pylist())


def test_activity_filters(load_log_module, cases) -> None:
    events = load_log_module
    with_wait = {c for c, (acts, *_rest) in cases.items() if "Wait" in acts}
    assert 0 < len(with_wait) < len(cases)
    assert _kept(events, "has=Wait") == with_wait
    assert _kept(events, "lacks=Wait") == set(cases) - with_wait
    both = {c for c, (acts, *_rest) in cases.items() if "Wait" in acts and "Require upgrade" in acts}
    assert _kept(events, "has-all=Wait|Require upgrade") == both
    either = {c for c, (acts, *_rest) in cases.items() if {"Wait", "Require upgrade"} & set(acts)}
    assert _kept(events, "has=Wait|Require upgrade") == either


def test_duration_and_time_filters(load_log_module, cases) -> None:
    events = load_log_module
    # Helpdesk cases last 31 to 60 days, 40 around the median.
    long = {c for c, (_, first, last, _a) in cases.items() if last - first >= timedelta(days=40)}
    assert 0 < len(long) < len(cases)
    assert _kept(events, "duration>=40d") == long == _kept(events, "duration>=P40D")
    short = {c for c, (_, first, last, _a) in cases.items() if last - first <= timedelta(hours=900)}
    assert 0 < len(short) < len(cases)
    assert _kept(events, "duration<=900h") == short == _kept(events, "duration<=PT900H")
    start, end = datetime(2011, 1, 1, tzinfo=UTC), datetime(2011, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)
    started = {c for c, (_, first, _l, _a) in cases.items() if start <= first <= end}
    assert 0 < len(started) < len(cases)
    assert _kept(events, "since=2011-01-01", "until=2011-03-31") == started
    contained = {c for c, (_, first, last, _a) in cases.items() if start <= first and last <= end}
    assert 0 < len(contained) < len(started)
    assert _kept(events, "since=2011-01-01", "until=2011-03-31", "window=contained") == contained
    trimmed = apply_filters(events, ["since=2011-01-01", "until=2011-03-31", "window=events"])
    stamps = trimmed.table["timestamp"].to_pylist()
    assert min(stamps) >= start and max(stamps) <= end


def test_column_and_variant_filters(load_log_module, cases) -> None:
    events = load_log_module
    customers = sorted({next(iter(a)) for *_x, a in cases.values() if len(a) == 1})[:2]
    wanted = {c for c, (*_x, attrs) in cases.items() if attrs & set(customers)}
    assert _kept(events, f"customer={'|'.join(customers)}") == wanted
    assert _kept(events, f"customer!={'|'.join(customers)}") == set(cases) - wanted
    top = get_variants(events).top(3)
    top_cases = {c for c, (acts, *_r) in cases.items() if tuple(acts) in {v.activities for v in top}}
    assert _kept(events, "top-variants=3") == top_cases
    variants = get_variants(events)
    k = variants.k_for_coverage(0.5)
    covered = {v.activities for v in variants.top(k)}
    assert _kept(events, "coverage=0.5") == {c for c, (acts, *_r) in cases.items() if tuple(acts) in covered}
    # Filters apply in order, each to what the previous kept.
    assert _kept(events, "has=Wait", "duration>=40d") == _kept(events, "has=Wait") & _kept(events, "duration>=40d")


def test_a_numeric_column_compares_as_numbers() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    events = from_arrow(pa.table({"case_id": ["a", "a", "b"], "activity": ["X", "Y", "X"],
                                  "timestamp": pa.array([t0, t0 + timedelta(hours=1), t0], pa.timestamp("us", "UTC")),
                                  "points": pa.array([2, 2, 5], pa.int64())}))
    assert _kept(events, "points=2") == {"a"}
    assert _kept(events, "points!=2") == {"b"}


@pytest.mark.parametrize(("text", "says"), [
    ("has", "expected KEY=VALUE"),
    ("duration=2d", "duration>=D"),
    ("since>=2011-01-01", "only applies to duration"),
    ("duration>=2 days", "a duration is"),
    ("since=yesterday", "a date is"),
    ("since=2011-01-01T10:00:00", "needs an offset"),
    ("window=sometimes", "window is one of"),
    ("top-variants=0", "whole number"),
    ("coverage=1.5", "share in (0, 1]"),
    ("has=A||B", "empty value"),
    ("since=2011-01-01|2012-01-01", "one value"),
])
def test_bad_filters_say_what_is_wrong(text, says) -> None:
    with pytest.raises(MiningInputError, match="filter") as caught:
        parse_filter(text)
    assert says in str(caught.value) and text in str(caught.value)


def test_unknown_columns_and_empty_results_are_explained(load_log_module) -> None:
    with pytest.raises(MiningInputError, match="no column 'nosuch'"):
        apply_filters(load_log_module, ["nosuch=1"])
    with pytest.raises(MiningInputError, match="no events are left"):
        apply_filters(load_log_module, ["duration>=520w"])


def test_the_cli_filters_before_it_analyses(load_log_module, cases) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["mine", "dfg", str(log_path(LOG)), "-f", "has=Wait", "-f", "duration>=40d",
                                 "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    expected = {c for c, (acts, first, last, _a) in cases.items()
                if "Wait" in acts and last - first >= timedelta(days=40)}
    assert json.loads(result.stdout)["cases"] == len(expected)
    bad = runner.invoke(app, ["mine", "variants", str(log_path(LOG)), "-f", "duration>=3x"])
    assert bad.exit_code == 2 and "a duration is" in bad.stderr


def test_xes_standard_names_filter_the_core_columns() -> None:
    # org:group is the group column, org:resource the resource column, as the filter help writes them.
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    events = from_arrow(pa.table({
        "case:concept:name": ["a", "a", "b", "c"], "concept:name": ["X", "Y", "X", "Y"],
        "time:timestamp": pa.array([t0 + timedelta(minutes=m) for m in range(4)], pa.timestamp("us", tz="UTC")),
        "org:group": ["L1", "L2", "L1", "L3"], "org:resource": ["ann", "bo", "cy", "ann"]}))
    assert _kept(events, "org:group=L2|L3") == {"a", "c"}
    assert _kept(events, "org:group!=L3") == {"a", "b"}
    assert _kept(events, "org:resource=ann") == _kept(events, "resource=ann") == {"a", "c"}


def test_periods_are_whole_utc_days_or_exact_instants() -> None:
    from liucheng.mining.filter_text import parse_period

    april = (datetime(2012, 4, 1, tzinfo=UTC), datetime(2012, 5, 1, tzinfo=UTC))
    assert parse_period("2012-04-01..2012-04-30") == april
    start, end = parse_period("2012-04-01T09:00:00+08:00..2012-04-01T18:00:00+08:00")
    assert (start.astimezone(UTC).hour, (end - start).total_seconds()) == (1, 9 * 3600)
    for text, says in (("2012-04-01", "not START..END"), ("2012-04-01..soon", "a date is"),
                       ("2012-04-01T09:00..2012-04-02", "needs an offset"), ("2012-05-01..2012-04-30", "ends before")):
        with pytest.raises(MiningInputError, match=says):
            parse_period(text)
