"""Real logs from ../shared/data: the counts their README states, and a lossless XES round trip."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liucheng.eventlog import read_xes, write_xes

_ROOTS = [Path(__file__).resolve().parents[i] / "shared" / "data" for i in (3, 4)]  # checkout or worktree
DATA = next((root for root in _ROOTS if root.is_dir()), _ROOTS[0])
LOGS = [
    # file, cases, events, activities: as stated in data/README.md
    ("receipt_wabo/receipt.xes.gz", 1434, 8577, 27),
    ("helpdesk/helpdesk.xes.gz", 4580, 21348, 14),
]


def brute_force_counts(path: Path) -> tuple[int, int]:
    """Count trace and event opening tags in the raw text, without any XML parser."""
    with gzip.open(path, "rt", encoding="utf-8") as text:
        body = text.read()
    return len(re.findall(r"<trace[\s>]", body)), len(re.findall(r"<event[\s>]", body))


@pytest.mark.parametrize(("name", "n_cases", "n_events", "n_activities"), LOGS)
def test_real_log_counts_match_the_readme(name: str, n_cases: int, n_events: int, n_activities: int) -> None:
    path = DATA / name
    traces = list(read_xes(path))
    events = [e for t in traces for e in t.events]
    assert (len(traces), len(events)) == (n_cases, n_events) == brute_force_counts(path)
    assert len({e.activity for e in events}) == n_activities
    assert len({t.case.case_id for t in traces}) == n_cases
    assert all(e.timestamp.tzinfo is UTC for e in events)


def test_offsets_in_the_file_are_honoured() -> None:
    # The first event of case-10011 is stamped 2011-10-11T13:45:40.276+02:00 in the file.
    trace = next(t for t in read_xes(DATA / "receipt_wabo/receipt.xes.gz") if t.case.case_id == "case-10011")
    first = trace.events[0]
    assert first.activity == "Confirmation of receipt"
    assert first.timestamp == datetime(2011, 10, 11, 11, 45, 40, 276000, tzinfo=UTC)
    assert (first.lifecycle, first.resource, first.group) == ("complete", "Resource21", "Group 1")
    assert first.attributes == {"concept:instance": "task-42933"}
    assert trace.case.attributes["channel"] == "Internet"
    assert trace.case.attributes["startdate"] == datetime(2011, 10, 11, 11, 42, 22, 688000, tzinfo=UTC)


@pytest.mark.parametrize(("name", "n_cases", "n_events", "n_activities"), LOGS)
def test_real_log_written_back_to_xes_reads_the_same(
    tmp_path: Path, name: str, n_cases: int, n_events: int, n_activities: int
) -> None:
    traces = list(read_xes(DATA / name))
    cases = {t.case.case_id: t.case for t in traces}
    out = tmp_path / "again.xes.gz"
    summary = write_xes((e for t in traces for e in t.events), cases, out)
    assert (summary.cases, summary.events) == (n_cases, n_events)
    assert list(read_xes(out)) == traces
    assert brute_force_counts(out) == (n_cases, n_events)
