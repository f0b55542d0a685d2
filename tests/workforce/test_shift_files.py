"""Shift and agent files in YAML, TOML and JSON read the same; errors name the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liucheng.core.errors import ValidationError
from liucheng.workforce.roster import load_agents
from liucheng.workforce.shifts import load_shifts

YAML = """\
shift:
  - name: early
    start: 08:00
    length_min: 480
  - name: late
    start: 10:00          # YAML 1.1 would read this as 600 without our loader
    length_min: 480
    days: [mon, tue, wed, thu, fri]
    breaks:
      - {name: lunch, length_min: 30, earliest_min: 180, latest_min: 300}
"""
TOML = """\
[[shift]]
name = "early"
start = "08:00"
length_min = 480

[[shift]]
name = "late"
start = "10:00"
length_min = 480
days = ["mon", "tue", "wed", "thu", "fri"]
breaks = [{ name = "lunch", length_min = 30, earliest_min = 180, latest_min = 300 }]
"""


def test_the_same_shifts_in_yaml_toml_and_json(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(YAML, encoding="utf-8")
    (tmp_path / "s.toml").write_text(TOML, encoding="utf-8")
    from_toml = load_shifts(tmp_path / "s.toml")
    (tmp_path / "s.json").write_text(json.dumps({"shift": [
        {"name": s.name, "start": s.start, "length_min": s.length_min, "days": list(s.days),
         "breaks": [{"name": b.name, "length_min": b.length_min, "earliest_min": b.earliest_min,
                     "latest_min": b.latest_min} for b in s.breaks]} for s in from_toml]}), encoding="utf-8")
    assert load_shifts(tmp_path / "s.yaml") == from_toml == load_shifts(tmp_path / "s.json")
    assert [s.start_min for s in from_toml] == [480, 600]


def test_agents_in_yaml_with_leave_dates(tmp_path: Path) -> None:
    path = tmp_path / "agents.yml"
    path.write_text("agent:\n  - name: ann\n    skills: [cantonese]\n    leave: [2026-02-10]\n", encoding="utf-8")
    (ann,) = load_agents(path)
    assert ann.name == "ann" and tuple(ann.leave) == ("2026-02-10",)


def test_a_broken_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("shift:\n  - name: x\n    start: [\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"broken\.yaml"):
        load_shifts(path)
