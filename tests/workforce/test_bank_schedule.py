"""The Anonymous Bank study end to end: forecast week -> agents -> the centre's eight shifts -> service level."""

from __future__ import annotations

import csv
import gzip

import numpy as np
import pytest

from liucheng.workforce.study import BANK_FILE, bank_schedule, read_centre_shifts

pytestmark = pytest.mark.skipif(not BANK_FILE.exists(), reason="shared data not present")


def test_the_centre_shifts_read_as_eight_six_hour_shifts() -> None:
    shifts = read_centre_shifts()
    assert [s.name for s in shifts] == [f"Shift{i}" for i in range(1, 9)]
    assert [s.start for s in shifts] == ["00:00", "06:00", "08:00", "10:00", "12:00", "14:00", "16:00", "18:00"]
    assert {s.length_min for s in shifts} == {360}


@pytest.fixture(scope="module")
def study():
    return bank_schedule()


def test_the_schedule_covers_the_forecast_requirement_at_least_cost(study) -> None:
    s = study.schedule
    assert s.status == "optimal" and s.mip_gap <= 1e-4
    need = np.ceil(study.study.requirement.agents - 1e-9)
    assert np.all(s.coverage >= need) and not s.understaffed
    # Six-hour shifts on the hour cannot follow a half-hourly requirement exactly: some slack, not much.
    assert need.sum() <= s.coverage.sum() <= 1.5 * need.sum()


def test_predicted_and_achieved_service_levels(study) -> None:
    # Achieved, counted straight from the file: calls of 22-28 Feb that asked for an agent (answered, or
    # queued), answered within 20 s.
    reached = answered = 0
    with gzip.open(BANK_FILE, "rt", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            row = {k.strip(): (v or "").strip() for k, v in row.items()}
            if not "990222" <= row["date"] <= "990228" or row["outcome"] == "PHANTOM":
                continue
            if row["outcome"] != "AGENT" and row["q_start"] == "0:00:00":
                continue  # hung up in the voice menu: never asked for an agent
            reached += 1
            answered += row["outcome"] == "AGENT" and int(row["q_time"]) <= 20
    assert study.arrivals.sum() == reached
    assert study.week_achieved_sl == pytest.approx(answered / reached)
    # The schedule meets the 80 % target on paper; the records show the centre fell far short.
    assert 0.8 <= study.week_predicted_sl <= 1.0
    assert 0.75 <= study.week_predicted_sl_at_actual <= 1.0
    assert study.week_achieved_sl < 0.6
