"""Scorecards: values attributed to the holder of each step, scored against target or organisation."""

from __future__ import annotations

import json

import pytest

from liucheng.kpi.scorecard import ScoreLine, kpi_score, overall_score, scorecard

from .helpers import table
from .test_kpi_catalogue import CLOSE, ROWS

HOUR = 3600.0


@pytest.fixture(scope="module")
def people():
    return scorecard(table(ROWS), level="person", log=CLOSE)


def test_each_person_answers_for_the_steps_they_held(people):
    rows = {r.holder: {line.kpi: line.value for line in r.lines} for r in people.rows}
    # ann: Handle in A took 30 min after waiting 30 min; she handed A to bob and C to dave: 2 in 2 cases.
    assert rows["ann"] == pytest.approx({"processing_time": 0.5, "waiting_time": 0.5, "handoffs_per_case": 1.0})
    # bob: Handle in A took 1 h after 30 min; D waited 1.5 h for him; he handed A back to ann.
    assert rows["bob"] == pytest.approx({"processing_time": 1.0, "waiting_time": 1.0, "handoffs_per_case": 0.5})
    assert rows["carl"] == {"processing_time": None, "waiting_time": None, "handoffs_per_case": 0.0}


def test_scores_against_the_organisation_and_ranks(people):
    bob = next(r for r in people.rows if r.holder == "bob")
    references = {line.kpi: line.reference for line in bob.lines}
    assert references == pytest.approx(
        {"processing_time": 0.75, "waiting_time": 3000 / HOUR, "handoffs_per_case": 0.75})
    assert {line.kpi: line.score for line in bob.lines} == pytest.approx(
        {"processing_time": 75.0, "waiting_time": 100 * (3000 / 3600), "handoffs_per_case": 100.0})
    assert bob.score == pytest.approx((75.0 + 100 * 3000 / 3600 + 0.5 * 100) / 2.5)
    ann = next(r for r in people.rows if r.holder == "ann")
    assert ann.score == pytest.approx((100 + 100 + 0.5 * 75) / 2.5)
    assert [(r.holder, r.rank) for r in people.rows] == [("carl", 1), ("dave", 2), ("ann", 3), ("bob", 4)]
    assert json.loads(people.to_json())["rows"][0]["holder"] == "carl"
    assert people.to_arrow().column("rank").to_pylist() == [1, 2, 3, 4]


@pytest.mark.parametrize(("value", "reference", "direction", "expected"), [
    (2.0, 4.0, "lower_is_better", 100.0),
    (8.0, 4.0, "lower_is_better", 50.0),
    (0.0, 0.0, "lower_is_better", 100.0),
    (90.0, 95.0, "higher_is_better", pytest.approx(100 * 90 / 95)),
    (99.0, 95.0, "higher_is_better", 100.0),
    (None, 95.0, "higher_is_better", None),
])
def test_kpi_score(value, reference, direction, expected):
    assert kpi_score(value, reference, direction) == expected


def test_overall_score_weights_what_was_scored():
    def line(score, weight):
        return ScoreLine(kpi="k", value=1.0, unit="", reference=1.0, reference_is_target=False, status=None,
                         score=score, weight=weight)
    assert overall_score([line(100.0, 1.0), line(40.0, 2.0), line(None, 5.0)]) == pytest.approx(60.0)
    assert overall_score([line(None, 1.0)]) is None


def test_departments_by_month_have_a_rank_each_month():
    card = scorecard(table(ROWS), level="department", period="month", log=CLOSE)
    by_month: dict[str, list[int]] = {}
    for row in card.rows:
        by_month.setdefault(row.period, []).append(row.rank)
    # January: G1 (ann, carl), G2 (bob) and G3 (dave escalating C); February: G2 (D) and G3 (closing C).
    assert by_month == {"2024-01-01": [1, 2, 3], "2024-02-01": [1, 2]}


def test_teams_pool_their_people():
    card = scorecard(table(ROWS), level="team", log=CLOSE, teams={"ann": "north", "carl": "north", "bob": "south"})
    rows = {r.holder: {line.kpi: line.value for line in r.lines} for r in card.rows}
    # north held ann's and carl's steps: 2 hand-offs (ann's) over 3 cases (A, B, C).
    assert rows["north"]["handoffs_per_case"] == pytest.approx(2 / 3)
    assert rows["south"]["processing_time"] == pytest.approx(1.0)
    assert None in rows  # dave belongs to no team
