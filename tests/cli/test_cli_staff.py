"""``liucheng staff`` end to end through the real app, JSON and CSV output parsed."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from liucheng.cli.main import app
from liucheng.workforce.queueing import queue_measures
from tests.cli.conftest import as_json, make_cli

runner = CliRunner()


def staff(*args: Any, expect: int = 0) -> Result:
    result = runner.invoke(app, ["staff", *map(str, args)], catch_exceptions=False)
    assert result.exit_code == expect, (args, result.stdout, result.stderr)
    return result


def test_erlang_measures_match_the_published_example() -> None:
    # Call Centre Helper: 100 calls in 30 min, AHT 180 s, 14 agents -> P(wait) 17.41 %, SL 88.84 %
    data = json.loads(staff("erlang", "--volume", 100, "--aht", 180, "--agents", 14, "-F", "json").stdout)
    assert data["p_wait"] == pytest.approx(0.1741, abs=5e-5)
    assert data["service_level"] == pytest.approx(0.8884, abs=5e-5)
    assert data["occupancy"] == pytest.approx(0.714, abs=5e-4)


def test_erlang_requirement_with_shrinkage_in_csv() -> None:
    out = staff("erlang", "--volume", 100, "--aht", 180, "--target-sl", 0.88, "--shrinkage", 0.3, "-F", "csv").stdout
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert (row["agents"], row["positions"]) == ("14", "20")  # published: 14 agents, 20 with 30 % shrinkage


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("--volume", -5, "--aht", 180), "volume"),
        (("--volume", 100, "--aht", 0), "aht_s"),
        (("--volume", 100, "--aht", 180, "--interval", 7), "interval"),
    ],
)
def test_erlang_bad_input_is_exit_2_with_the_place(args: tuple[Any, ...], where: str) -> None:
    result = staff("erlang", *args, "-F", "json", expect=2)
    error = json.loads(result.stderr)
    assert error["error"] == "invalid_input" and error["message"].startswith(where)


def _counts_csv(path: Path, weeks: int = 3) -> np.ndarray:
    """Hourly counts in Shanghai time from Monday 2 March 2026, closed 22:00-08:00."""
    rng = np.random.default_rng(3)
    hours = np.arange(24 * 7 * weeks) % 24
    counts = np.where((hours >= 8) & (hours < 22), rng.poisson(20, hours.size), 0)
    start = datetime(2026, 3, 1, 16, tzinfo=UTC)  # 2026-03-02 00:00 +08:00
    lines = ["timestamp,count"] + [
        f"{(start + timedelta(hours=i)).isoformat()},{c}" for i, c in enumerate(counts) if c
    ]
    path.write_text("\n".join(lines) + "\n")
    return counts.astype(float)


def test_forecast_then_requirement(tmp_path: Path) -> None:
    counts = _counts_csv(tmp_path / "counts.csv")
    out = tmp_path / "forecast.csv"
    result = staff("forecast", tmp_path / "counts.csv", "--interval", 60, "--horizon", "1w", "--model", "naive",
                   "-o", out, "-F", "json")
    data = json.loads(result.stdout)
    assert data["model"] == "naive"
    assert [row["count"] for row in data["forecast"]] == list(counts[-168:])  # last week, shifted by a week
    assert data["forecast"][0]["timestamp"] == "2026-03-22T16:00:00Z"
    naive = data["backtest"]["models"][0]
    week2, week3 = counts[168:336], counts[336:]
    assert naive["overall"]["wape"] == pytest.approx(np.abs(week3 - week2).sum() / week3.sum())
    assert len(naive["per_day"]) == 7

    req = json.loads(staff("requirement", out, "--aht", 240, "-F", "json").stdout)  # hourly, from the file
    mismatch = json.loads(staff("requirement", out, "--aht", 240, "--interval", 30, "-F", "json", expect=2).stderr)
    assert mismatch["message"].startswith("--interval: --interval 30 but the timestamps are 60 minutes apart")
    rows = req["intervals"]
    assert len(rows) == 168
    volume = np.array([r["volume"] for r in rows])
    agents = np.array([r["agents"] for r in rows])
    assert np.all(agents[volume == 0] == 0)
    busy = volume > 0
    sl = queue_measures(agents[busy], volume=volume[busy], interval_s=3600, aht_s=240, target_s=20).service_level
    assert np.all(sl >= 0.8 - 1e-9)
    assert req["agent_hours"] == agents.sum()


def test_forecast_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "counts.csv"
    bad.write_text("timestamp,count\n2026-03-02T09:00:00,3\n")
    error = json.loads(staff("forecast", bad, "-F", "json", expect=2).stderr)
    assert error["message"].startswith(f"{bad}:2 [timestamp]")
    _counts_csv(bad)
    error = json.loads(staff("forecast", bad, "--horizon", "soon", "-F", "json", expect=2).stderr)
    assert error["message"].startswith("--horizon")


def test_adherence_per_agent(tmp_path: Path) -> None:
    events = tmp_path / "states.csv"
    events.write_text(
        "agent,state,reason,timestamp\n"
        "ana,sign_in,,2026-03-02T09:10:00+08:00\nana,ready,,2026-03-02T09:10:00+08:00\n"
        "ana,not_ready,coaching,2026-03-02T11:00:00+08:00\nana,ready,,2026-03-02T11:30:00+08:00\n"
        "ana,sign_out,,2026-03-02T13:00:00+08:00\n"
        "bo,sign_in,,2026-03-02T08:58:00+08:00\nbo,on_contact,,2026-03-02T09:00:00+08:00\n"
    )
    schedule = tmp_path / "schedule.csv"
    schedule.write_text(
        "agent,activity,start,end,leave_type\n"
        "ana,shift,2026-03-02T09:00:00+08:00,2026-03-02T13:00:00+08:00,\n"
        "bo,shift,2026-03-02T09:00:00+08:00,2026-03-02T12:00:00+08:00,\n"
        "cai,shift,2026-03-02T09:00:00+08:00,2026-03-02T12:00:00+08:00,sick\n"
    )
    data = json.loads(staff("adherence", events, "--schedule", schedule, "-F", "json").stdout)
    ana, bo = data["days"]
    assert ana["adherence"] == pytest.approx((240 - 10 - 30) / 240)
    assert ana["late"] and ana["late_s"] == 600 and ana["reason_s"] == {"coaching": 1800}
    assert bo["missing_sign_out"] and bo["adherence"] == 1.0 and bo["worked_s"] == 3 * 3600 + 120
    assert data["leave"] == [{"agent": "cai", "day": "2026-03-02", "leave_type": "sick", "scheduled_s": 10800}]
    table = staff("adherence", events, "--schedule", schedule).stdout
    assert "ana" in table and "missing" in table and "sick" in table


def test_adherence_unknown_state_names_the_line(tmp_path: Path) -> None:
    events = tmp_path / "states.csv"
    events.write_text("agent,state,reason,timestamp\nana,lunch,,2026-03-02T09:10:00+08:00\n")
    schedule = tmp_path / "schedule.csv"
    schedule.write_text("agent,activity,start,end\n")
    result = staff("adherence", events, "--schedule", schedule, expect=2)
    assert f"{events}:2 [state]: unknown state 'lunch'" in result.stderr


@pytest.mark.slow
def test_forecast_from_the_store_counts_cases_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    cli = make_cli(url)
    cli("demo", "--cases", "200", "--seed", "5", "-F", "json")
    opened = sorted(datetime.fromisoformat(c["opened_at"]) for c in as_json(cli("case", "list", "--limit", "100000",
                                                                             "-F", "json")))
    data = as_json(cli("staff", "forecast", "--from-store", "--horizon", "1d", "--model", "naive", "--interval", 60,
                       "--zone", "UTC", "-F", "json"))
    # brute force: the naive forecast is the cases opened in each hour of the same weekday a week before the
    # last complete day's successor; the last (partial) day is left out of the history
    first = data["forecast"][0]["timestamp"]
    day = datetime.fromisoformat(first.replace("Z", "+00:00"))
    assert day == datetime.combine(opened[-1].date(), datetime.min.time(), UTC)
    week_before = day - timedelta(days=7)
    expected = [sum(1 for t in opened if week_before + timedelta(hours=h) <= t < week_before + timedelta(hours=h + 1))
                for h in range(24)]
    assert [row["count"] for row in data["forecast"]] == expected


def test_forecast_with_china_holidays(tmp_path: Path) -> None:
    # 16 March - 12 April 2026, 20 calls an hour 08:00-22:00; Qingming 4-6 April (Sat-Mon) only 5
    start = datetime(2026, 3, 15, 16, tzinfo=UTC)  # 2026-03-16 00:00 +08:00
    rows = []
    for hour in range(24 * 28):
        local = start + timedelta(hours=hour + 8)
        if 8 <= local.hour < 22:
            holiday = datetime(2026, 4, 4).date() <= local.date() <= datetime(2026, 4, 6).date()
            rows.append(f"{(start + timedelta(hours=hour)).isoformat()},{5 if holiday else 20}")
    path = tmp_path / "counts.csv"
    path.write_text("timestamp,count\n" + "\n".join(rows) + "\n")
    plain = as_json(staff("forecast", path, "--interval", 60, "--model", "naive", "-F", "json"))
    data = as_json(staff("forecast", path, "--interval", 60, "--model", "naive", "--cn-holidays", "-F", "json"))
    assert data["holiday_factor"] == pytest.approx(0.25)
    monday = [row["count"] for row in data["forecast"][:24]]  # 13 April: a normal Monday, not last week's holiday
    assert monday == [20.0 if 8 <= h < 22 else 0.0 for h in range(24)]
    assert [row["count"] for row in plain["forecast"][8:22]] == [5.0] * 14


def test_forecast_of_a_log_without_events_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "empty.xes"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0"></log>\n')
    result = staff("forecast", path, expect=2)
    assert str(path) in result.stderr and "column" in result.stderr


PUBLISHED_DAY = [6, 6, 6, 6, 6, 8, 9, 12, 18, 22, 25, 21, 21, 20, 18, 21, 21, 24, 24, 18, 18, 18, 12, 8]


def test_plan_covers_the_published_day_with_55_shifts_and_draws_it(tmp_path: Path) -> None:
    """The published LP example (references/erlang.md): 8-hour shifts at any hour, wrapping midnight: 55."""
    shifts = tmp_path / "shifts.toml"
    shifts.write_text("".join(f'[[shift]]\nname = "s{h:02d}"\nstart = "{h:02d}:00"\nlength_min = 480\ncost = 1\n\n'
                              for h in range(24)), encoding="utf-8")
    demand = tmp_path / "demand.csv"
    demand.write_text("timestamp,agents\n" + "".join(f"2026-03-02T{h:02d}:00:00+08:00,{n}\n"
                                                    for h, n in enumerate(PUBLISHED_DAY)), encoding="utf-8")
    chart = tmp_path / "coverage.svg"
    result = CliRunner().invoke(app, ["staff", "plan", str(demand), "--shifts", str(shifts), "--chart", str(chart),
                                      "-F", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cost"] == pytest.approx(55) and sum(c["agents"] for c in data["counts"]) == 55
    assert data["understaffed"] == [] and data["mip_gap"] <= 1e-4
    assert chart.read_text(encoding="utf-8").startswith("<svg")
    # Too few agents: the plan says where it falls short instead of failing.
    short = CliRunner().invoke(app, ["staff", "plan", str(demand), "--shifts", str(shifts), "--max-agents", "20",
                                     "-F", "json"], catch_exceptions=False)
    assert short.exit_code == 0, short.stderr
    assert json.loads(short.stdout)["understaffed"]


def test_plan_refuses_demand_that_does_not_start_at_midnight(tmp_path: Path) -> None:
    shifts = tmp_path / "shifts.toml"
    shifts.write_text('[[shift]]\nname = "day"\nstart = "08:00"\nlength_min = 480\n', encoding="utf-8")
    demand = tmp_path / "demand.csv"
    demand.write_text("timestamp,agents\n2026-03-02T08:00:00+08:00,3\n2026-03-02T09:00:00+08:00,3\n",
                      encoding="utf-8")
    result = CliRunner().invoke(app, ["staff", "plan", str(demand), "--shifts", str(shifts), "-F", "json"])
    assert result.exit_code == 2
    assert "midnight" in json.loads(result.stderr)["message"]
