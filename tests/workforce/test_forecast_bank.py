"""The Anonymous Bank call records (February 1999): counts, the forecast of the last week, staffing."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from liucheng.core.errors import ValidationError
from liucheng.workforce.callrecords import read_call_records
from liucheng.workforce.forecast import Model, accuracy, seasonal_naive
from liucheng.workforce.intervals import series_from_call_records
from liucheng.workforce.queueing import queue_measures
from liucheng.workforce.study import BankStudy, anonymous_bank_requirement

BANK = next((root / "callcentre_anonymous_bank" / "data_anonymous_bank_february.txt.gz"
             for root in (Path(__file__).resolve().parents[3] / "shared" / "data", Path("/work/shared/data"))
             if root.exists()), Path("shared-data-missing"))
pytestmark = pytest.mark.skipif(not BANK.exists(), reason="shared data not mounted")


def _raw_rows() -> list[dict[str, str]]:
    with gzip.open(BANK, "rt", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _asks_for_agent(row: dict[str, str]) -> bool:
    return row["outcome"] == "AGENT" or (row["outcome"] == "HANG" and row["q_start"] != "0:00:00")


def test_counts_per_half_hour_equal_a_count_of_the_raw_file() -> None:
    expected: Counter[tuple[date, int]] = Counter()
    for row in _raw_rows():
        if _asks_for_agent(row):
            d = row["date"]
            hours, minutes, _ = row["vru_entry"].split(":")
            expected[(date(1999, int(d[2:4]), int(d[4:6])), int(hours) * 2 + int(minutes) // 30)] += 1
    series = series_from_call_records(BANK, interval_min=30)
    assert series.days == 28 and series.local_dates()[0] == date(1999, 2, 1)
    got = series.counts.reshape(28, 48)
    for d in range(28):
        day = date(1999, 2, 1) + timedelta(days=d)
        assert [int(got[d, s]) for s in range(48)] == [expected[(day, s)] for s in range(48)], day
    assert got.sum() == sum(expected.values()) == 31_125


@pytest.fixture(scope="module")
def study() -> BankStudy:
    return anonymous_bank_requirement(BANK)


@pytest.mark.slow
def test_the_chosen_model_beats_the_seasonal_naive_on_the_last_week(study: BankStudy) -> None:
    series = series_from_call_records(BANK, interval_min=30)
    history = series.counts[: 21 * 48]
    naive = accuracy(study.actual, seasonal_naive(history, season=7 * 48, horizon=7 * 48))
    ours = accuracy(study.actual, study.forecast.values)
    assert study.forecast.model is not Model.NAIVE
    assert ours.wape < naive.wape
    assert study.actual.sum() == series.counts[21 * 48 :].sum()


@pytest.mark.slow
def test_handle_time_and_patience_match_a_pure_python_estimate(study: BankStudy) -> None:
    served = queued = abandoned = 0
    service_sum = queue_sum = 0.0
    for row in _raw_rows():
        if not _asks_for_agent(row) or int(row["date"]) >= 990222:
            continue
        if float(row["ser_time"]) > 0:
            served += 1
            service_sum += float(row["ser_time"])
        if float(row["q_time"]) > 0:
            queued += 1
            queue_sum += float(row["q_time"])
            abandoned += row["outcome"] == "HANG"
    assert study.parameters.served == served and study.parameters.abandoned == abandoned
    assert study.parameters.aht_s == pytest.approx(service_sum / served)
    assert study.parameters.patience_s == pytest.approx(queue_sum / abandoned)


@pytest.mark.slow
def test_requirement_is_the_fewest_agents_meeting_80_in_20(study: BankStudy) -> None:
    agents = study.requirement.agents
    volume = study.forecast.values
    busy = volume > 0.5
    assert busy.sum() > 150
    p = study.parameters

    def sl(n: np.ndarray) -> np.ndarray:
        m = queue_measures(np.maximum(n, 1).astype(float), volume=volume[busy], interval_s=1800, aht_s=p.aht_s,
                           patience_s=p.patience_s, target_s=20)
        return np.asarray(m.service_level)

    assert np.all(sl(agents[busy]) >= 0.8 - 1e-9)
    fewer = agents[busy] > 1  # one agent less must miss the target (zero agents cannot be measured)
    assert np.all(sl(agents[busy] - 1)[fewer] < 0.8)
    assert np.all(agents[~busy & (volume == 0)] == 0)


def test_a_broken_call_record_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "calls.txt"
    header = "\t".join(["vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry", "vru_exit",
                        "vru_time", "q_start", "q_exit", "q_time", "outcome", "ser_start", "ser_exit", "ser_time",
                        "server"])
    good = "AA0101\t1\t0\t0\tPS\t990201\t7:02:47\t7:02:56\t9\t0:00:00\t0:00:00\t0\tAGENT\t7:02:55\t7:05:41\t166\tDORIT"
    path.write_text(f"{header}\r\n{good}\r\n{good.replace('7:02:47', '7h02')}\r\n")
    with pytest.raises(ValidationError) as err:
        read_call_records(path)
    assert err.value.where == f"{path}:3 [vru_entry]"
