"""``config load``: the example file loads, its assignment rules take effect, bad files change nothing."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from liucheng.core.calendar import WARN_DAYS_AHEAD, BusinessCalendar, china_mainland
from liucheng.engine.policy import DEFAULT_CATEGORIES, SlaPolicy
from tests.cli.conftest import COMPLAINT, EXAMPLE_CONFIG, URGENT, as_json

EXAMPLE = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))


def _active_members(queue: str) -> set[str]:
    """Who may receive the queue's tasks, worked out from the file itself."""
    inactive = {u["id"] for u in EXAMPLE["users"] if not u.get("active", True)}
    (group,) = [g for g in EXAMPLE["groups"] if g["id"] == queue]
    return (set(group.get("members", [])) | set(group.get("leads", []))) - inactive


def test_example_config_loads_and_shows_back(cli):
    summary = as_json(cli("config", "load", EXAMPLE_CONFIG, "-F", "json"))
    assert summary["users_added"] == len(EXAMPLE["users"])
    assert summary["groups_added"] == len(EXAMPLE["groups"])
    assert summary["calendars"] == len(EXAMPLE["calendars"])
    assert summary["policies"] == len(EXAMPLE["sla_policies"])
    shown = as_json(cli("config", "show", "-F", "json"))
    assert {u["id"]: (u["active"], set(u["skills"])) for u in shown["users"]} == {
        u["id"]: (u.get("active", True), set(u.get("skills", []))) for u in EXAMPLE["users"]
    }
    assert {
        g["id"]: (g["kind"], g.get("parent"), set(g["leads"]), set(g["members"]) | set(g["leads"]))
        for g in shown["groups"]
    } == {
        g["id"]: (
            g["kind"],
            g.get("parent"),
            set(g.get("leads", [])),
            set(g.get("members", [])) | set(g.get("leads", [])),
        )
        for g in EXAMPLE["groups"]
    }
    assert shown["assignment"] == EXAMPLE["assignment"]
    assert shown["categories"] == sorted(EXAMPLE["categories"])
    calendars = {c["name"]: BusinessCalendar.from_dict(c) for c in shown["calendars"]}
    assert calendars["cn-mainland"] == china_mainland()
    assert calendars["hotline"].zone == "Asia/Shanghai"
    policies = {p["name"]: p for p in shown["sla_policies"]}
    assert policies["complaints"]["processes"] == ["complaint", "urgent_ticket"]
    assert policies["default"]["processes"] == ["*"]
    assert SlaPolicy.from_dict(policies["complaints"]).target("complaint", "P1").resolution_s == 4 * 3600
    # loading again changes nothing and fails on nothing
    again = as_json(cli("config", "load", EXAMPLE_CONFIG, "-F", "json"))
    assert again["users_added"] == 0 and again["users_updated"] == len(EXAMPLE["users"])
    assert as_json(cli("config", "show", "-F", "json")) == shown


def test_assignment_rule_gives_new_tasks_an_assignee(cli):
    cli("process", "deploy", URGENT, COMPLAINT)
    cli("case", "open", "-p", "complaint", "--category", "complaint")
    before = as_json(cli("task", "list", "-F", "json"))
    assert [t["assignee"] for t in before] == [None]
    cli("config", "load", EXAMPLE_CONFIG)
    assignees = []
    for _ in range(4):
        opened = as_json(
            cli(
                "case", "open", "-p", "complaint", "--category", "complaint", "--priority", "P1", "-F", "json"
            )
        )
        (task,) = opened["tasks"]
        assert task["lane"] == "agent"
        assignees.append(task["assignee"])
    members = sorted(_active_members("agent"))
    assert EXAMPLE["assignment"]["agent"] == "round_robin"
    assert assignees == [members[i % len(members)] for i in range(4)]
    # the policy for complaints started its clocks with the file's P1 targets
    shown = as_json(cli("case", "show", opened["case_id"], "-F", "json"))
    clocks = {c["name"]: c["target_s"] for c in shown["clocks"]}
    assert clocks["first_response"] == 30 * 60 and clocks["resolution"] == 4 * 3600


def test_a_bad_file_writes_nothing(cli, tmp_path: Path):
    bad = tmp_path / "bad.toml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    bad.write_text(text.replace('calendar = "hotline"', 'calendar = "mars"'), encoding="utf-8")
    result = cli("config", "load", bad, expect=2)
    assert "mars" in result.stderr and "hint:" in result.stderr
    shown = as_json(cli("config", "show", "-F", "json"))
    assert shown == {
        "users": [],
        "groups": [],
        "calendars": [],
        "sla_policies": [],
        "assignment": {},
        "categories": sorted(DEFAULT_CATEGORIES),
    }

    for broken, words in (
        (text + "\n[[teams]]\nid = 'x'\n", "unknown section"),
        (text.replace('kind = "team"', 'kind = "squad"', 1), "squad"),
        (text.replace('agent = "round_robin"', 'agent = "lottery"'), "lottery"),
        (text.replace('members = ["li.na", "zhang.wei"]', 'members = ["li.na", "nobody"]'), "nobody"),
        (
            text.replace('parent = "centre"', 'parent = "team_lead"', 1).replace(
                'id = "team_lead"\nname = "班长 Team leads"\nkind = "role"\nparent = "centre"',
                'id = "team_lead"\nname = "班长 Team leads"\nkind = "role"\nparent = "room_manager"',
            ),
            "ancestor",
        ),
        ("users = [", "TOML"),
        (text.replace('"billing"]', '"bad name"]', 1), "bad name"),
    ):
        bad.write_text(broken, encoding="utf-8")
        result = cli("config", "load", bad, expect=2)
        assert words in result.stderr, result.stderr
    assert as_json(cli("config", "show", "-F", "json"))["users"] == []


def test_configured_categories_are_the_ones_cases_may_have(cli):
    cli("process", "deploy", URGENT, COMPLAINT)
    cli("case", "open", "-p", "complaint", "--category", "billing", expect=2)  # not built in
    cli("config", "load", EXAMPLE_CONFIG)
    opened = as_json(cli("case", "open", "-p", "complaint", "--category", "billing", "-F", "json"))
    assert opened["category"] == "billing"
    result = cli("case", "open", "-p", "complaint", "--category", "gossip", expect=2)
    assert "gossip" in result.stderr and "billing" in result.stderr


def test_loading_warns_when_a_presets_holidays_run_out_and_next_year_can_be_added(cli, tmp_path):
    last = china_mainland().holidays_until
    expect_warning = (last - date.today()).days <= WARN_DAYS_AHEAD  # the real clock drives the CLI
    plain = tmp_path / "cn.toml"
    plain.write_text('[[calendars]]\nname = "cn"\npreset = "china_mainland"\n', encoding="utf-8")
    loaded = cli("config", "load", plain)
    assert ("holidays are known until " + last.isoformat() in loaded.stderr) == expect_warning
    assert bool(as_json(cli("config", "load", plain, "-F", "json"))["warnings"]) == expect_warning
    nxt = last.year + 1
    extended = tmp_path / "cn-next.toml"
    extended.write_text('[[calendars]]\nname = "cn"\npreset = "china_mainland"\n'
                        f'holidays = ["{nxt}-01-01"]\nmakeup_workdays = []\n', encoding="utf-8")
    assert as_json(cli("config", "load", extended, "-F", "json"))["warnings"] == []
    stored = as_json(cli("config", "show", "-F", "json"))["calendars"]
    shown = {c["name"]: BusinessCalendar.from_dict(c) for c in stored}
    assert date(nxt, 1, 1) in shown["cn"].holidays and shown["cn"].holidays_until == date(nxt, 12, 31)
