"""A broken model is rejected with every problem at once, each naming its element and a fix."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from liucheng.process import (
    Element,
    ElementKind,
    ModelError,
    ProcessDefinition,
    SequenceFlow,
    Severity,
    check_bpmn,
    read_bpmn,
    validate,
)

FIXTURES = Path(__file__).parent / "fixtures"

#: element id -> words its problem must contain; one entry per fault planted in many_faults.bpmn.
EXPECTED = {
    "Task_dup": "used twice",
    "StartEvent_timer": "timer start event is not supported",
    "Sub_1": "subProcess is not supported",
    "Script_1": "scriptTask is not supported",
    "Rule_1": "businessRuleTask is not supported",
    "Send_1": "sendTask is not supported",
    "Receive_1": "receiveTask is not supported",
    "Complex_1": "complexGateway is not supported",
    "Event_signal": "signal",
    "Flow_par_cond": "parallelGateway",
    "Flow_bad_cond": "does not parse",
    "Flow_dangling": "'Nowhere' is not an element",
    "Gateway_nodefault": "gateway without default",
    "Gateway_event": "event-based gateway leads to userTask",
    "Service_nourl": "no url",
    "Call_nothing": "no called process",
    "Task_deadend": "no outgoing flow",
    "Event_timer_empty": "no duration, date or cycle",
    "Event_timer_bad": "timer expression does not parse",
    "Event_msg_noname": "no message name",
    "Boundary_on_gateway": "not an activity",
    "Task_loop1": "cannot reach an end event",
    "Task_loop2": "cannot reach an end event",
    "Task_orphan": "cannot be reached from a start event",
    "Process_nostart": "no start event",
}


def test_many_faults_are_all_reported_with_their_element_ids() -> None:
    path = FIXTURES / "many_faults.bpmn"
    with pytest.raises(ModelError) as info:
        read_bpmn(path)
    problems = info.value.problems
    by_id = {p.element_id: p for p in problems}
    for element_id, words in EXPECTED.items():
        assert element_id in by_id, f"no problem reported for {element_id}"
        assert words in by_id[element_id].message, by_id[element_id]
    # Nothing beyond the planted faults: one fault is not reported as a cascade of others.
    assert set(by_id) == set(EXPECTED)
    assert all(p.hint for p in problems)
    assert all(p.line is not None for p in problems if p.element_id != "Process_nostart")
    assert by_id["Task_loop1"].severity is Severity.WARNING
    assert by_id["Gateway_nodefault"].severity is Severity.ERROR
    text = str(info.value)
    assert str(path) in text and "Sub_1" in text and "Flow_bad_cond" in text
    assert info.value.to_dict()["problems"][0]["element_id"] == problems[0].element_id


def test_line_numbers_point_at_the_element() -> None:
    lines = (FIXTURES / "many_faults.bpmn").read_text("utf-8").splitlines()
    for problem in check_bpmn(FIXTURES / "many_faults.bpmn"):
        if problem.line is not None and problem.element_id != "Task_dup":
            assert f'id="{problem.element_id}"' in lines[problem.line - 1]


def test_broken_xml_gives_line_and_column() -> None:
    text = (FIXTURES / "camunda7_refund.bpmn").read_text("utf-8")
    broken = text.replace(
        '<bpmn:userTask id="Task_approve"', '<bpmn:userTask id="Task_approve" name="a" name="b"'
    )
    with pytest.raises(ModelError) as info:
        read_bpmn(broken, filename="refund.bpmn")
    (problem,) = info.value.problems
    expected_line = next(i for i, line in enumerate(broken.splitlines(), 1) if 'name="a" name="b"' in line)
    assert problem.line == expected_line and problem.column is not None and problem.column > 1
    assert "not well formed" in problem.message
    assert str(info.value).startswith("refund.bpmn: ")


@pytest.mark.parametrize(
    ("mangle", "words"),
    [
        (lambda data: data[: len(data) // 2], "cut off"),
        (lambda data: data.replace(b"Refund request", "Rückerstattung".encode("latin-1")), "UTF-8"),
        (lambda data: b"", "empty"),
        (lambda data: b"\x00\x01\x02garbage", "not a text file"),
        (lambda data: b"\xff\xfe<bpmn>", "this is not XML"),
        (lambda data: b"name,amount\nrefund,12\n", "this is not XML"),
    ],
    ids=["truncated", "latin-1 bytes", "empty", "binary", "stray bytes", "a CSV file"],
)
def test_unreadable_files_give_a_clear_error(mangle, words: str) -> None:
    data = mangle((FIXTURES / "camunda7_refund.bpmn").read_bytes())
    with pytest.raises(ModelError) as info:
        read_bpmn(data)
    (problem,) = info.value.problems
    assert words in problem.hint
    assert problem.line is not None


def test_a_file_that_is_not_bpmn_or_not_there() -> None:
    with pytest.raises(ModelError, match="root element is <html>"):
        read_bpmn("<html><body>hello</body></html>")
    with pytest.raises(ModelError, match="cannot read"):
        read_bpmn(FIXTURES / "no_such_file.bpmn")
    with pytest.raises(ModelError, match="no process"):
        read_bpmn('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (FIXTURES / "camunda7_refund.bpmn").read_text("utf-8")
    xml = xml.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>',
    ).replace("Refund request", "&x;", 1)
    try:
        definitions = read_bpmn(xml)
    except ModelError:
        return
    assert "TOP-SECRET" not in definitions[0].name


def _simple(**changes: object) -> ProcessDefinition:
    """start -> task -> end, built in code as the engine's tests do."""
    flows = {"f1": SequenceFlow("f1", "s", "t"), "f2": SequenceFlow("f2", "t", "e")}
    elements = {
        "s": Element("s", ElementKind.START_EVENT, outgoing=("f1",)),
        "t": Element("t", ElementKind.USER_TASK, incoming=("f1",), outgoing=("f2",)),
        "e": Element("e", ElementKind.END_EVENT, incoming=("f2",)),
    }
    return replace(ProcessDefinition("p", "P", elements, flows), **changes)


def test_validate_works_on_definitions_built_in_code() -> None:
    assert validate(_simple()) == []
    bad = _simple(reopen_target="e")
    (problem,) = validate(bad)
    assert problem.element_id == "p" and "reopenTarget" in problem.message


def test_user_task_without_lane_groups_or_assignee_is_fine() -> None:
    definition = _simple()
    task = definition.elements["t"]
    assert (task.lane, task.candidate_groups, task.assignee) == (None, (), None)
    assert validate(definition) == []


def test_conditions_on_a_plain_exclusive_branch_are_warned() -> None:
    flows = {
        "f1": SequenceFlow("f1", "s", "g"),
        "a": SequenceFlow("a", "g", "e", condition="x > 1"),
        "b": SequenceFlow("b", "g", "e"),
        "c": SequenceFlow("c", "g", "e"),
    }
    elements = {
        "s": Element("s", ElementKind.START_EVENT, outgoing=("f1",)),
        "g": Element(
            "g", ElementKind.EXCLUSIVE_GATEWAY, incoming=("f1",), outgoing=("a", "b", "c"), default_flow="c"
        ),
        "e": Element("e", ElementKind.END_EVENT, incoming=("a", "b", "c")),
    }
    (problem,) = validate(ProcessDefinition("p", "P", elements, flows))
    assert (problem.element_id, problem.severity) == ("g", Severity.WARNING)
    assert "b" in problem.message
