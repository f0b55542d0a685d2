"""``liucheng demo`` fills a database the other commands can then explore."""

from __future__ import annotations

import pytest

from tests.cli.conftest import as_json, make_cli

pytest.importorskip("liucheng.sim.demo")


def test_demo_fills_a_database_the_other_commands_read(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    cli = make_cli(url)
    summary = as_json(cli("demo", "--cases", "40", "--seed", "3", "-F", "json"))
    listed = as_json(cli("case", "list", "--limit", "100000", "-F", "json"))
    assert summary["cases"] == len(listed) >= 40
    assert summary["events"] == sum(c["event_count"] for c in listed)
    assert {p["key"] for p in as_json(cli("process", "list", "-F", "json"))} >= {"complaint", "inquiry"}
    again = cli("demo", "--cases", "40", expect=4)
    assert "already holds data" in again.stderr and "--reset" in again.stderr
