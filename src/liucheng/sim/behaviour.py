"""How the simulated people and customers behave: what they type into forms and how long they take.

Form values are drawn per field with weights chosen so that every gateway branch of the library
occurs (escalation threats, critical complaints, rework loops, ratings that trigger a follow-up)
while the common path stays common. Fields not listed here get plausible generic values, so a
model edited later still runs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from liucheng.process.spec import Element, FormField

Weights = Mapping[Any, float]

#: (element id, field id) or field id -> weights of the values. Booleans use {True: p, False: 1-p}.
FIELD_WEIGHTS: dict[tuple[str, str] | str, Weights] = {
    "channel": {"hotline": 0.74, "online": 0.18, "media": 0.025, "government": 0.035, "executive": 0.02},
    "escalation_threat": {True: 0.07, False: 0.93},
    ("classify_complaint", "severity"): {"low": 0.25, "normal": 0.5, "high": 0.2, "critical": 0.05},
    ("report_incident", "severity"): {"minor": 0.35, "major": 0.4, "critical": 0.25},
    "severity_judged": {"minor": 0.35, "serious": 0.5, "critical": 0.15},
    "compensation_due": {True: 0.3, False: 0.7},
    "service_fault": {True: 0.4, False: 0.6},
    "customer_accepts": {True: 0.85, False: 0.15},
    "answered_first_contact": {True: 0.72, False: 0.28},
    "customer_satisfied": {True: 0.88, False: 0.12},
    "feedback_type": {"quality": 0.3, "business": 0.38, "emergency": 0.04, "other": 0.28},
    "forward": {True: 0.82, False: 0.18},
    "needs_centre": {True: 0.4, False: 0.6},
    "needs_external": {True: 0.45, False: 0.55},
    "playbook_update_needed": {True: 0.4, False: 0.6},
    "accepted": {True: 0.86, False: 0.14},
    "satisfaction": {5: 0.45, 4: 0.3, 3: 0.13, 2: 0.08, 1: 0.04},
    "request_type": {"system_access": 0.35, "system_fault": 0.3, "report": 0.2, "training": 0.15},
    ("submit_request", "priority"): {"normal": 0.8, "urgent": 0.2},
}

#: Per category, overrides that make e.g. a fault report a network question that the first
#: contact rarely answers.
CATEGORY_WEIGHTS: dict[str, dict[str, Weights]] = {
    "fault": {
        "topic": {"network": 0.8, "package": 0.1, "other": 0.1},
        "answered_first_contact": {True: 0.3, False: 0.7},
    },
    "suggestion": {"feedback_type": {"business": 0.7, "quality": 0.2, "other": 0.1}},
}

_TEXT = {
    "summary": (
        "话费多扣 overcharged",
        "信号差 poor signal",
        "套餐误导 misleading plan",
        "服务态度 rude service",
    ),
    "resolution": ("已退费 refunded", "已修复 fixed", "已解释 explained", "已调整套餐 plan changed"),
    "question": ("套餐资费 plan price", "流量查询 data usage", "国际漫游 roaming", "携号转网 number porting"),
    "answer": ("已答复 answered", "按政策解释 explained by policy"),
    "description": ("详见工单 see ticket", "客户来电反映 reported by caller"),
}
_MONEY_FIELDS = {"refund_fen": (0.35, 500, 20_000), "compensation_fen": (1.0, 1_000, 50_000)}

#: Median handling time in minutes per lane, and per element where it differs.
LANE_MINUTES = {
    "agent": 6, "team_lead": 8, "back_office": 45, "quality": 30, "room_interface": 25,
    "room_manager": 20, "centre": 40, "it_support": 60, "external_dept": 240, "finance": 30,
}  # fmt: skip
ELEMENT_MINUTES = {
    "handle_complaint": 45, "second_line_answer": 25, "handle_urgent_ticket": 70,
    "restore_systems": 100, "fulfil_request": 75, "acknowledge_request": 8, "external_resolve": 360,
    "settle_compensation": 40,
    "register_complaint": 3, "answer_first_contact": 3, "classify_complaint": 4, "submit_request": 10,
    "review_recording": 40, "team_case_study": 30,
}  # fmt: skip
HANDLING_SIGMA = 0.75

#: Minutes before a free person picks up the next task from a queue (calls come first).
PICKUP_MINUTES = {"agent": 6, "team_lead": 4, "back_office": 8, "it_support": 8}
PICKUP_DEFAULT_MINUTES = 10
#: First steps are done by whoever takes the call or notices the incident, at once.
FIRST_STEPS = frozenset(
    {"register_complaint", "answer_first_contact", "collect_feedback", "submit_request", "report_incident"}
)

#: What a customer does when a case waits on them: message name -> weight; "" = never answers.
CUSTOMER_WEIGHTS: dict[str, float] = {"customer_confirmed": 0.62, "customer_rejected": 0.14, "": 0.24}
CUSTOMER_REPLY_MINUTES = 240

WEBHOOK_FAILURE_RATE = 0.08
REOPEN_RATE = 0.033
REOPEN_CATEGORIES = frozenset({"complaint", "inquiry", "fault", "feedback", "suggestion"})
CANCEL_RATE = 0.012


def lognormal_s(rng: random.Random, median_minutes: float, sigma: float = HANDLING_SIGMA) -> int:
    return max(30, round(60 * median_minutes * math.exp(rng.gauss(0.0, sigma))))


def handling_s(rng: random.Random, element: Element) -> int:
    median = ELEMENT_MINUTES.get(element.id) or LANE_MINUTES.get(element.lane or "", 20)
    return lognormal_s(rng, median)


def pickup_s(rng: random.Random, lane: str, element_id: str) -> int:
    if element_id in FIRST_STEPS:
        return rng.randint(5, 90)
    return lognormal_s(rng, PICKUP_MINUTES.get(lane, PICKUP_DEFAULT_MINUTES), 0.9)


def _pick(rng: random.Random, weights: Weights) -> Any:
    values = list(weights)
    return rng.choices(values, [weights[v] for v in values])[0]


def _weights_for(element: Element, field: FormField, category: str) -> Weights | None:
    by_category = CATEGORY_WEIGHTS.get(category, {})
    weights = by_category.get(field.id) or FIELD_WEIGHTS.get((element.id, field.id)) or FIELD_WEIGHTS.get(field.id)
    if weights is not None and field.type == "enum":
        weights = {v: w for v, w in weights.items() if v in field.values}
    return weights or None


def form_values(rng: random.Random, element: Element, *, category: str, case_id: str) -> dict[str, Any]:
    """A filled-in form for ``element``: every required field, most optional ones."""
    form: dict[str, Any] = {}
    for field in element.form:
        if not field.required and rng.random() < 0.3:
            continue
        weights = _weights_for(element, field, category)
        if weights is not None:
            form[field.id] = _pick(rng, weights)
        elif field.type == "boolean":
            form[field.id] = rng.random() < 0.5
        elif field.type == "enum":
            form[field.id] = rng.choice(field.values)
        elif field.id in _MONEY_FIELDS:
            share, low, high = _MONEY_FIELDS[field.id]
            form[field.id] = rng.randrange(low, high, 100) if rng.random() < share else 0
        elif field.type == "long":
            form[field.id] = rng.randint(1, 5)
        elif field.type == "date":
            form[field.id] = "2026-01-01"
        elif field.id in _TEXT:
            form[field.id] = rng.choice(_TEXT[field.id])
        elif field.id.endswith(("_ref", "_no", "_id")):
            form[field.id] = f"{field.id[:2].upper()}-{case_id[-6:]}"
        elif field.id.endswith("phone"):
            form[field.id] = f"139{rng.randrange(10**8):08d}"
        else:
            form[field.id] = f"{field.label.split(' ')[0] or field.id}: ok"
    return form


def customer_reply(rng: random.Random, messages: list[str], *, has_timeout: bool) -> str | None:
    """Which of ``messages`` the customer sends, or None when they never answer."""
    weights = {m: CUSTOMER_WEIGHTS.get(m, 1.0 / max(1, len(messages))) for m in messages}
    if has_timeout:
        weights[""] = CUSTOMER_WEIGHTS[""]
    choice = _pick(rng, weights)
    return choice or None
