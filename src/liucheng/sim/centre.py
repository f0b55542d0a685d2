"""The demo organisation as data: a 10086-style hotline centre in Asia/Shanghai.

Group ids of roles and departments are exactly the lane names of the library's BPMN files, so a
task created in lane ``back_office`` lands in the ``back_office`` queue. Agent teams, the two
hotline rooms and the centre itself are teams and departments above them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from liucheng.core.calendar import BusinessCalendar, china_mainland
from liucheng.engine.assignment import Strategy
from liucheng.services.platform import save_assignment_rules
from liucheng.store import UnitOfWork

ZONE = "Asia/Shanghai"
OFFICE_CALENDAR = "cn-mainland"
ALWAYS_CALENDAR = "24x7"
HOTLINE_CALENDAR = "hotline-hours"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
)


@dataclass(frozen=True, slots=True)
class GroupSpec:
    group_id: str
    name: str
    kind: str  # role | department | team
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    name: str
    groups: tuple[str, ...]
    #: Groups this person leads (a team lead leads a team, a room manager a room).
    leads: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    #: Name of the shift in ``Centre.shifts`` that says when this person works.
    shift: str = "office"

    @property
    def lane(self) -> str:
        """The queue this person works from: the first of its groups."""
        return self.groups[0]


@dataclass(frozen=True)
class Centre:
    groups: tuple[GroupSpec, ...]
    people: tuple[Person, ...]
    #: Calendars stored in the database (SLA clocks and business-time timers use them).
    calendars: Mapping[str, BusinessCalendar]
    #: When people work; simulation only (a roster, not a service-level calendar).
    shifts: Mapping[str, BusinessCalendar]
    #: SLA policy configs as ``SlaPolicy.from_dict`` reads them, each with the processes it covers.
    policies: tuple[dict[str, Any], ...]
    assignment: Mapping[str, Strategy]

    def members(self, group_id: str) -> list[Person]:
        return [p for p in self.people if group_id in p.groups]


def _name(i: int) -> str:
    # Unique for the first len(_SURNAMES) * len(_GIVEN) people.
    return _SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i // len(_SURNAMES) + 3 * (i % len(_SURNAMES))) % len(_GIVEN)]


def _shift(name: str, hours: tuple[tuple[time, time], ...], days: range | tuple[int, ...]) -> BusinessCalendar:
    return BusinessCalendar(name=name, zone=ZONE, weekly_hours={d: hours for d in days})


def _rest_days(first: int) -> tuple[int, ...]:
    """Five working days a week; two consecutive rest days starting at weekday ``first``."""
    return tuple(d for d in range(7) if d not in (first % 7, (first + 1) % 7))


def _shifts() -> dict[str, BusinessCalendar]:
    early = ((time(8), time(12)), (time(13), time(16, 30)))
    late = ((time(13, 30), time(17, 30)), (time(18), time(22)))
    shifts = {
        "office": china_mainland(name="office"),
        "oncall": _shift("oncall", ((time(0), time(9)), (time(18), time(0))), range(7)),
    }
    for rest in range(7):
        shifts[f"early{rest}"] = _shift(f"early{rest}", early, _rest_days(rest))
        shifts[f"late{rest}"] = _shift(f"late{rest}", late, _rest_days(rest))
    return shifts


def _people() -> tuple[list[GroupSpec], list[Person]]:
    groups = [
        GroupSpec("centre", "客服中心 Service centre", "department"),
        GroupSpec("room_1", "一室 Hotline room 1", "department", "centre"),
        GroupSpec("room_2", "二室 Hotline room 2", "department", "centre"),
        GroupSpec("back_office", "综援后台 Back office", "department", "centre"),
        GroupSpec("it_support", "IT支撑 IT support", "department", "centre"),
        GroupSpec("finance", "财务 Finance", "department", "centre"),
        GroupSpec("external_dept", "外部门 External department", "department"),
        GroupSpec("agent", "客服代表 Agents", "role"),
        GroupSpec("team_lead", "班长 Team leads", "role"),
        GroupSpec("quality", "质量专员 Quality specialists", "role"),
        GroupSpec("room_interface", "室接口人 Room interface", "role"),
        GroupSpec("room_manager", "室经理 Room managers", "role"),
    ]
    people: list[Person] = []
    n = 0

    def add(user_id: str, groups: tuple[str, ...], **kw: Any) -> None:
        nonlocal n
        people.append(Person(user_id, _name(n), groups, **kw))
        n += 1

    agent_skills = ("complaint", "billing", "network", "package")
    for t in range(8):
        team, room = f"team_{t + 1:02d}", f"room_{t // 4 + 1}"
        groups.append(GroupSpec(team, f"{t + 1}班 Team {t + 1}", "team", room))
        shift = "early" if t % 2 == 0 else "late"
        add(f"tl{t + 1:02d}", ("team_lead", team, room), leads=(team,), shift=f"{shift}{(t * 3 + 5) % 7}")
        for a in range(7):
            i = t * 7 + a
            skills = (agent_skills[i % 4], agent_skills[(i // 4) % 4])
            add(
                f"ag{i + 1:02d}",
                ("agent", team, room),
                skills=tuple(sorted(set(skills))),
                shift=f"{shift}{(i * 3) % 7}",
            )
    back_skills = (
        ("complaint", "billing"),
        ("complaint", "second_line"),
        ("second_line", "network"),
        ("complaint",),
        ("billing", "second_line"),
        ("complaint", "network"),
    )
    for b in range(18):
        add(
            f"bo{b + 1:02d}",
            ("back_office",),
            leads=("back_office",) if b == 0 else (),
            skills=back_skills[b % len(back_skills)],
        )
    for q in range(4):
        add(f"qa{q + 1:02d}", ("quality", f"room_{q % 2 + 1}"), skills=("quality",))
    add("ri01", ("room_interface", "room_1"), skills=("quality", "business"))
    add("ri02", ("room_interface", "room_2"), skills=("business",))
    add("ri03", ("room_interface", "room_2"), skills=("quality", "business"))
    add("ri04", ("room_interface", "room_1"), skills=("business",))
    add("rm01", ("room_manager", "room_1"), leads=("room_1",))
    add("rm02", ("room_manager", "room_2"), leads=("room_2",))
    add("rm03", ("room_manager", "room_1"), shift="oncall")
    for c in range(3):
        add(f"ctr{c + 1:02d}", ("centre",), leads=("centre",) if c == 0 else ())
    for i in range(7):
        add(f"it{i + 1:02d}", ("it_support",), shift="oncall" if i >= 6 else "office")
    for f in range(3):
        add(f"fin{f + 1:02d}", ("finance",), skills=("billing",))
    for e in range(3):
        add(f"ext{e + 1:02d}", ("external_dept",))
    return groups, people


def _targets(category: str, base: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [
        {"category": category, "priority": f"P{i + 1}", "first_response": fr, "resolution": res}
        for i, (fr, res) in enumerate(base)
    ]


_LADDER = [
    {"level": 1, "role": "team_lead", "at": 0.75},
    {"level": 2, "role": "room_manager", "at": 1.0},
    {"level": 3, "role": "centre", "at": 1.5},
]


def _policies() -> tuple[dict[str, Any], ...]:
    hotline = [
        *_targets("complaint", (("PT30M", "PT8H"), ("PT1H", "PT16H"), ("PT2H", "PT24H"), ("PT4H", "PT40H"))),
        *_targets("inquiry", (("PT15M", "PT4H"), ("PT30M", "PT8H"), ("PT1H", "PT16H"), ("PT2H", "PT24H"))),
        *_targets("fault", (("PT15M", "PT4H"), ("PT30M", "PT8H"), ("PT1H", "PT16H"), ("PT2H", "PT24H"))),
        *_targets("feedback", (("PT1H", "PT16H"), ("PT2H", "PT24H"), ("PT4H", "PT40H"), ("PT8H", "PT80H"))),
        *_targets("suggestion", (("PT2H", "PT24H"), ("PT4H", "PT40H"), ("PT8H", "PT80H"), ("PT8H", "PT120H"))),
    ]
    return (
        {
            "name": "complaint",
            "processes": ["complaint"],
            "calendar": OFFICE_CALENDAR,
            "warn_fractions": [0.5, 0.75],
            "targets": hotline,
            "escalation": _LADDER,
        },
        {
            "name": "hotline",
            "processes": ["inquiry", "feedback", "urgent_ticket"],
            "calendar": OFFICE_CALENDAR,
            "warn_fractions": [0.5, 0.75],
            "targets": hotline,
            "escalation": _LADDER,
        },
        {
            "name": "internal",
            "processes": ["internal_request"],
            "calendar": OFFICE_CALENDAR,
            "warn_fractions": [0.5, 0.75],
            "targets": _targets(
                "internal_request",
                (("PT30M", "PT8H"), ("PT1H", "PT16H"), ("PT2H", "PT24H"), ("PT4H", "PT40H")),
            ),
            "escalation": _LADDER[:2],
        },
        {
            "name": "emergency",
            "processes": ["emergency"],
            "calendar": ALWAYS_CALENDAR,
            "warn_fractions": [0.5, 0.75],
            "targets": _targets(
                "emergency", (("PT10M", "PT4H"), ("PT15M", "PT8H"), ("PT30M", "PT12H"), ("PT30M", "PT24H"))
            ),
            "escalation": [
                {"level": 2, "role": "room_manager", "at": 0.5},
                {"level": 3, "role": "centre", "at": 0.75},
            ],
        },
    )


#: Who gets new tasks in each queue. The busy floor and back office pull from shared queues (every
#: pushed task costs an extra assignment step); smaller teams get work pushed to them.
ASSIGNMENT: dict[str, Strategy] = {
    "agent": Strategy.QUEUE,
    "back_office": Strategy.QUEUE,
    "team_lead": Strategy.QUEUE,
    "quality": Strategy.ROUND_ROBIN,
    "room_interface": Strategy.SKILL,
    "room_manager": Strategy.LEAST_LOADED,
    "centre": Strategy.QUEUE,
    "it_support": Strategy.QUEUE,
    "external_dept": Strategy.QUEUE,
    "finance": Strategy.QUEUE,
}


def demo_centre() -> Centre:
    groups, people = _people()
    hotline = BusinessCalendar(
        name=HOTLINE_CALENDAR, zone=ZONE, weekly_hours={d: ((time(8), time(22)),) for d in range(7)}
    )
    calendars = {
        OFFICE_CALENDAR: china_mainland(),
        ALWAYS_CALENDAR: BusinessCalendar.always_open(zone=ZONE, name=ALWAYS_CALENDAR),
        HOTLINE_CALENDAR: hotline,
    }
    return Centre(
        groups=tuple(groups),
        people=tuple(people),
        calendars=calendars,
        shifts=_shifts(),
        policies=_policies(),
        assignment=dict(ASSIGNMENT),
    )


def load_centre(uow: UnitOfWork, centre: Centre) -> None:
    """Write groups, people, memberships, skills, calendars, SLA policies and assignment rules."""
    for group in centre.groups:
        uow.org.add_group(group.group_id, group.name, kind=group.kind, parent_id=group.parent_id)
    for person in centre.people:
        uow.org.add_user(person.user_id, person.name)
        for group_id in person.groups:
            uow.org.add_membership(person.user_id, group_id, is_lead=group_id in person.leads)
        for skill in person.skills:
            uow.org.add_skill(person.user_id, skill)
    for name, calendar in centre.calendars.items():
        uow.calendars.put(name, calendar.to_dict())
    for policy in centre.policies:
        uow.sla_policies.put(policy["name"], policy)
    save_assignment_rules(uow, centre.assignment)
