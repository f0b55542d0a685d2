"""Files as bpmn.io and Camunda Modeler 7/8 save them deploy unchanged, with every field read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import SpiffWorkflow
from lxml import etree

from liucheng.process import ElementKind, FormField, TimerKind, WebhookSpec, check_bpmn, read_bpmn

FIXTURES = Path(__file__).parent / "fixtures"
MODELER_FILES = ["bpmn_io_complaint.bpmn", "camunda7_refund.bpmn", "camunda8_onboarding.bpmn"]
SCHEMA = Path(SpiffWorkflow.__file__).parent / "bpmn" / "parser" / "schema" / "BPMN20.xsd"


@pytest.fixture(scope="module")
def bpmn_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


@pytest.mark.parametrize("name", MODELER_FILES)
def test_modeler_files_are_valid_bpmn_and_read_clean(name: str, bpmn_schema: etree.XMLSchema) -> None:
    path = FIXTURES / name
    # The OMG schema is the independent judge that the fixture is real BPMN 2.0.
    assert bpmn_schema.validate(etree.parse(str(path))), bpmn_schema.error_log
    assert check_bpmn(path) == []
    (definition,) = read_bpmn(path)
    assert len(definition.source_hash) == 64


@pytest.mark.parametrize("name", MODELER_FILES)
def test_every_flow_node_and_flow_in_the_file_is_read(name: str) -> None:
    tree = etree.parse(str(FIXTURES / name))
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    (process,) = tree.xpath("//bpmn:process", namespaces=ns)
    skip = {"sequenceFlow", "laneSet", "textAnnotation", "association", "documentation", "extensionElements"}
    nodes = {el.get("id") for el in process if etree.QName(el).localname not in skip}
    flows = {el.get("id") for el in process.iterfind("bpmn:sequenceFlow", ns)}
    (definition,) = read_bpmn(FIXTURES / name)
    assert set(definition.elements) == nodes
    assert set(definition.flows) == flows
    for el in process:
        if etree.QName(el).localname in skip:
            continue
        element = definition.elements[el.get("id")]
        # bpmn.io writes <incoming>/<outgoing> children; ours come from the flows and must agree.
        assert set(element.outgoing) == {o.text for o in el.iterfind("bpmn:outgoing", ns)}
        assert set(element.incoming) == {i.text for i in el.iterfind("bpmn:incoming", ns)}


def test_bpmn_io_collaboration_lanes_and_timer_boundary() -> None:
    (d,) = read_bpmn(FIXTURES / "bpmn_io_complaint.bpmn")
    assert d.key == "Process_1" and d.name == "Complaint handling"  # name from the pool
    assert d.elements["Activity_register"].kind is ElementKind.MANUAL_TASK  # plain task
    assert d.elements["Activity_register"].documentation.startswith("Record the customer")
    assert d.elements["Activity_investigate"].lane == "Back office"
    assert d.elements["Activity_close"].lane == "Front office"
    assert d.elements["Activity_investigate"].step_sla_s == 4 * 3600 * 2
    assert d.elements["Gateway_severity"].default_flow == "Flow_minor"
    assert d.flows["Flow_high"].condition == 'severity == "high" || amount >= 5000'
    boundary = d.elements["Event_0b6kl9w"]
    assert boundary.kind is ElementKind.BOUNDARY_TIMER
    assert (boundary.attached_to, boundary.cancel_activity) == ("Activity_investigate", False)
    assert boundary.timer is not None and boundary.timer.duration_s == 4 * 3600
    assert [e.id for e in d.boundaries["Activity_investigate"]] == ["Event_0b6kl9w"]


def test_camunda7_attributes_form_and_events() -> None:
    (d,) = read_bpmn(FIXTURES / "camunda7_refund.bpmn")
    assert (d.key, d.name, d.owner, d.reopen_target) == (
        "refund_request",
        "Refund request",
        "finance-ops",
        "Task_review",
    )
    review = d.elements["Task_review"]
    assert review.candidate_groups == ("finance", "support")
    assert review.assignee == "lihua"
    assert review.skills == ("refunds", "zh")
    assert review.form == (
        FormField("amount", "Amount (CNY)", "long", required=True),
        FormField("reason", "Reason", "enum", values=("damaged", "late", "other")),
        FormField("photos_ok", "Photos attached", "boolean"),
    )
    assert d.flows["Flow_large"].condition == 'amount > 1000 && reason != "other"'
    assert d.elements["Task_payout"].webhook == WebhookSpec("https://pay.example.com/refunds", "POST", 30, 5)
    photos = d.elements["Event_photos"]
    assert (photos.kind, photos.message, photos.waits_on_customer) == (
        ElementKind.MESSAGE_CATCH,
        "photos-received",
        True,
    )
    wait = d.elements["Event_7_days"].timer
    assert wait is not None and (wait.duration_s, wait.business_time) == (7 * 86400, True)
    assert d.elements["Event_abandoned"].escalation_code == "refund-abandoned"
    assert d.elements["Gateway_wait"].kind is ElementKind.EVENT_BASED_GATEWAY


def test_camunda8_zeebe_extensions() -> None:
    (d,) = read_bpmn(FIXTURES / "camunda8_onboarding.bpmn")
    contract = d.elements["Task_contract"]
    assert (contract.assignee, contract.candidate_groups) == ("hr.wang", ("hr", "legal"))
    assert d.elements["Activity_equipment"].called_process == "equipment_order"
    assert d.flows["Flow_laptop"].condition == "needs_laptop == true"
    assert d.elements["Event_done"].terminate is True
    assert d.elements["Event_onboarded"].kind is ElementKind.NONE_THROW
    delayed = d.elements["Event_delayed"]
    assert (delayed.kind, delayed.escalation_code, delayed.cancel_activity) == (
        ElementKind.BOUNDARY_ESCALATION,
        "equipment-delayed",
        True,
    )
    daily = d.elements["Event_daily"].timer
    assert daily is not None
    assert (daily.kind, daily.duration_s, daily.repeat) == (TimerKind.CYCLE, 86400, 3)
    assert d.elements["Task_account"].webhook == WebhookSpec(
        "https://it.example.com/hooks/accounts", retries=2
    )


def test_source_given_as_text_bytes_or_path_reads_the_same() -> None:
    path = FIXTURES / "camunda7_refund.bpmn"
    by_path = read_bpmn(path)[0]
    assert read_bpmn(path.read_bytes())[0] == by_path
    assert read_bpmn(path.read_text("utf-8"))[0] == by_path
    assert read_bpmn(str(path))[0] == by_path


def _move_shapes(xml: str) -> str:
    """What dragging shapes in the modeler changes: only diagram coordinates."""
    return re.sub(r'(x|y)="(\d+)"', lambda m: f'{m[1]}="{int(m[2]) + 37}"', xml)


@pytest.mark.parametrize("name", MODELER_FILES)
def test_source_hash_ignores_layout_but_not_flows(name: str) -> None:
    text = (FIXTURES / name).read_text("utf-8")
    original = read_bpmn(text)[0].source_hash
    assert read_bpmn(_move_shapes(text))[0].source_hash == original
    reindented = re.sub(r"\n\s*", "\n", text)
    assert read_bpmn(reindented)[0].source_hash == original
    flow = re.search(r'<bpmn:sequenceFlow id="([^"]+)" sourceRef', text)
    assert flow is not None
    renamed = text.replace(
        f'<bpmn:sequenceFlow id="{flow[1]}" ', f'<bpmn:sequenceFlow id="{flow[1]}" name="new" '
    )
    assert read_bpmn(renamed)[0].source_hash != original


def test_only_executable_processes_are_taken() -> None:
    text = (FIXTURES / "camunda7_refund.bpmn").read_text("utf-8")
    extra = '<bpmn:process id="notes" isExecutable="false"><bpmn:startEvent id="S9"/></bpmn:process>'
    text = text.replace("<bpmn:message ", extra + "<bpmn:message ", 1)
    assert [d.key for d in read_bpmn(text)] == ["refund_request"]
