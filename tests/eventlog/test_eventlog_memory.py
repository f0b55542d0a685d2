"""Writers stream: a million events go out in bounded memory.

Each writer runs in a fresh interpreter and the test compares its peak resident set size after
the write with the peak after importing and a small warm-up write. RSS counts what tracemalloc
cannot see (Arrow buffers, zlib state). For scale: the same million LogEvents held in a list take
well over 500 MB, so a writer that buffered its input would fail this.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

LIMIT_BYTES = 100 * 1024 * 1024

SCRIPT = textwrap.dedent("""
    import json, resource, sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from liucheng.eventlog import LogCase, LogEvent, write_parquet, write_xes

    ACTIVITIES = ["登记 Register", "Classify", "Assign", "Work <on> it", "Wait & see", "Resolve", "Review",
                  "Close"]
    BASE = datetime(2024, 1, 1, tzinfo=UTC)

    def events(n):
        for i in range(n):
            yield LogEvent(
                f"case-{i // 8:07d}", ACTIVITIES[i % 8], BASE + timedelta(seconds=i, microseconds=i % 997),
                "complete", f"agent-{i % 50}", f"team-{i % 5}", {"seq": i, "cost": i * 0.25, "note": "工单"},
            )

    def cases(case_id):
        return LogCase(case_id, {"priority": "high", "opened": BASE})

    class CountingSink:
        def __init__(self):
            self.size = 0
        def write(self, data):
            self.size += len(data)
            return len(data)

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux

    fmt, out, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    writer = write_xes if fmt == "xes" else write_parquet
    writer(events(20_000), cases, out if fmt == "parquet" else CountingSink())
    before = peak()
    sink = CountingSink()
    summary = writer(events(n), cases, out if fmt == "parquet" else sink)
    print(json.dumps({"growth": peak() - before, "events": summary.events, "cases": summary.cases,
                      "bytes": sink.size}))
""")


def run_writer(fmt: str, out: str, n: int) -> dict[str, int]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, fmt, out, str(n)], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


@pytest.mark.slow
def test_million_events_to_parquet_in_bounded_memory(tmp_path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "big.parquet"
    result = run_writer("parquet", str(out), 1_000_000)
    assert result["growth"] < LIMIT_BYTES, result
    assert (result["events"], result["cases"]) == (1_000_000, 125_000)
    metadata = pq.ParquetFile(out).metadata
    assert metadata.num_rows == 1_000_000
    assert metadata.num_row_groups == 16  # 65,536 rows per batch


@pytest.mark.slow
def test_million_events_to_xes_in_bounded_memory(tmp_path) -> None:
    result = run_writer("xes", str(tmp_path / "unused"), 1_000_000)
    assert result["growth"] < LIMIT_BYTES, result
    assert (result["events"], result["cases"]) == (1_000_000, 125_000)
    assert result["bytes"] > 1_000_000 * 300  # every event really went out
