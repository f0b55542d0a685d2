"""BPMN elements liucheng does not run, each with the supported way to draw the same thing."""

from __future__ import annotations

_SUBPROCESS_HINT = (
    "draw the steps inline, or move them into their own process and start it with a call activity"
)
UNSUPPORTED_NODES = {
    "subProcess": _SUBPROCESS_HINT,
    "adHocSubProcess": _SUBPROCESS_HINT,
    "transaction": _SUBPROCESS_HINT,
    "scriptTask": "use a service task with liucheng:url that calls your code",
    "businessRuleTask": "use an exclusive gateway with CEL conditions, or a service task",
    "sendTask": "use a service task with liucheng:url (a webhook)",
    "receiveTask": "use an intermediate message catch event",
    "complexGateway": "use an inclusive gateway with conditions",
}
UNSUPPORTED_EVENTS = {
    "signal": "use a message event; messages are delivered to one case through the API",
    "error": "throw an escalation (escalation end event) and catch it with an escalation boundary",
    "compensate": "model the undo steps explicitly, e.g. after an escalation boundary",
    "conditional": "use an exclusive gateway with a condition, or a timer that re-checks",
    "link": "draw the sequence flow directly",
    "cancel": "transactions are not supported; use an escalation",
}
START_HINTS = {
    "timer": "use a none start event and open cases on a schedule through the API",
    "message": "use a none start event; opening a case through the API is the message",
}
