"""Anonymous Bank call records: counts per interval against a plain re-reading of the file, errors."""

from __future__ import annotations

import csv
import gzip
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from liucheng.core.errors import ValidationError
from liucheng.workforce.callrecords import count_intervals, patience_s, read_call_records

DATA = next((root / "callcentre_anonymous_bank" / "data_anonymous_bank_february.txt.gz"
             for root in (Path(__file__).resolve().parents[3] / "shared" / "data", Path("/work/shared/data"))
             if root.exists()), Path("shared-data-missing"))
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="shared data not present")


def _plain(day: str) -> dict[int, list[tuple[int, bool]]]:
    """Per hour of ``day``: (wait, answered) of calls that queued or were served, PHANTOM left out."""
    out: dict[int, list[tuple[int, bool]]] = {}
    with gzip.open(DATA, "rt", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            row = {k.strip(): v.strip() for k, v in row.items()}
            if row["date"] != day or row["outcome"] == "PHANTOM":
                continue
            if row["outcome"] != "AGENT" and row["q_start"] == "0:00:00":
                continue  # hung up in the voice menu: never asked for an agent
            reached_at = next(t for t in (row["q_start"], row["ser_start"], row["vru_exit"]) if t != "0:00:00")
            hour = int(reached_at.split(":")[0])
            out.setdefault(hour, []).append((int(row["q_time"]), row["outcome"] == "AGENT"))
    return out


def test_hourly_counts_and_service_level_match_a_plain_reading() -> None:
    records = read_call_records(DATA)
    counts = count_intervals(records, first_day=date(1999, 2, 22), n_days=7, interval_min=60, target_s=20)
    plain = _plain("990222")
    arrivals = np.array([len(plain.get(h, [])) for h in range(24)])
    within = np.array([sum(1 for w, a in plain.get(h, []) if a and w <= 20) for h in range(24)])
    assert arrivals.sum() > 1000
    assert np.array_equal(counts.arrivals[:24], arrivals)
    assert np.array_equal(counts.answered_in_target[:24], within)
    assert counts.arrivals.sum() == int(np.sum(records.day >= np.datetime64("1999-02-22")))
    assert 60 < patience_s(records) < 3600


def test_bad_lines_name_file_line_and_column(tmp_path: Path) -> None:
    header = "\t".join(
        [
            "vru+line",
            "call_id",
            "customer_id",
            "priority",
            "type",
            "date",
            "vru_entry",
            "vru_exit",
            "vru_time",
            "q_start",
            "q_exit",
            "q_time",
            "outcome",
            "ser_start",
            "ser_exit",
            "ser_time",
            "server",
        ]
    )
    good = "AA0101\t1\t0\t0\tPS\t990201\t7:02:47\t7:02:56\t9\t7:02:56\t7:03:10\t14\tAGENT\t7:03:10\t7:05:41\t151\tDORIT"
    path = tmp_path / "calls.txt"
    path.write_text(f"{header}\r\n{good}\r\n{good.replace('7:02:56', '7h02')}\r\n")
    with pytest.raises(ValidationError, match=r"'7h02' is not H:MM:SS") as err:
        read_call_records(path)
    assert err.value.where == f"{path}:3 [q_start]"
    path.write_text(f"{header}\n{good}\n")
    records = read_call_records(path)
    assert records.wait_s.tolist() == [14.0] and records.answered.tolist() == [True]
    path.write_text(f"{header}\n{good.replace('AGENT', 'LOST')}\n")
    with pytest.raises(ValidationError, match="outcome 'LOST' is not one of") as err:
        read_call_records(path)
    assert err.value.where == f"{path}:2 [outcome]"
