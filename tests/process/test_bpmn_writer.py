"""Written files read back to the same definition and are valid BPMN 2.0 with a usable diagram."""

from __future__ import annotations

from pathlib import Path

import pytest
import SpiffWorkflow
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from liucheng.process import read_bpmn, validate, write_bpmn
from liucheng.process.spec import BOUNDARY_KINDS, ElementKind
from tests.process.strategies import definitions, semantic

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = etree.XMLSchema(
    etree.parse(str(Path(SpiffWorkflow.__file__).parent / "bpmn/parser/schema/BPMN20.xsd"))
)
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}


def bounds(tree: etree._Element) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for shape in tree.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        out[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return out


@pytest.mark.parametrize(
    "name", ["bpmn_io_complaint.bpmn", "camunda7_refund.bpmn", "camunda8_onboarding.bpmn"]
)
def test_fixtures_round_trip(name: str) -> None:
    original = read_bpmn(FIXTURES / name)
    again = read_bpmn(write_bpmn(original))
    assert [semantic(d) for d in again] == [semantic(d) for d in original]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions())
def test_generated_definitions_round_trip(definition) -> None:
    assert [p for p in validate(definition) if p.severity == "error"] == []
    (again,) = read_bpmn(write_bpmn([definition]))
    assert semantic(again) == semantic(definition)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(["alpha", "beta", "gamma"]), min_size=1, max_size=3, unique=True).flatmap(
        lambda keys: st.tuples(*(definitions(key) for key in keys))
    )
)
def test_several_processes_in_one_file(defs) -> None:
    xml = write_bpmn(defs)
    assert SCHEMA.validate(etree.fromstring(xml)), SCHEMA.error_log
    assert [semantic(d) for d in read_bpmn(xml)] == [semantic(d) for d in defs]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions())
def test_output_is_schema_valid_and_every_node_is_drawn(definition) -> None:
    tree = etree.fromstring(write_bpmn([definition]))
    assert SCHEMA.validate(tree), SCHEMA.error_log
    boxes = bounds(tree)
    assert set(definition.elements) <= set(boxes)
    edges = {
        e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)
    }
    assert set(edges) == set(definition.flows)
    assert all(len(points) >= 2 for points in edges.values())
    nodes = [e for e in definition.elements.values() if e.kind not in BOUNDARY_KINDS]
    # No two flow nodes overlap.
    for i, a in enumerate(nodes):
        ax, ay, aw, ah = boxes[a.id]
        for b in nodes[i + 1 :]:
            bx, by, bw, bh = boxes[b.id]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a.id, b.id)
    for e in definition.elements.values():
        if e.kind in BOUNDARY_KINDS:
            hx, hy, hw, hh = boxes[e.attached_to]
            x, y, w, h = boxes[e.id]
            # Drawn on the activity's bottom border, as bpmn.io expects.
            assert hx <= x + w / 2 <= hx + hw and y < hy + hh < y + h


def test_layout_reads_left_to_right() -> None:
    (d,) = read_bpmn(FIXTURES / "camunda8_onboarding.bpmn")
    boxes = bounds(etree.fromstring(write_bpmn([d])))
    x = {eid: boxes[eid][0] for eid in d.elements}
    assert x["StartEvent_1"] < x["Gateway_split"] < x["Task_contract"] < x["Gateway_join"] < x["Task_welcome"]
    assert x["Task_contract"] == x["Task_account"]  # parallel branches share a column
    assert x["Event_done"] == max(x[e] for e in d.elements if d.elements[e].kind is ElementKind.END_EVENT)


def test_lanes_are_drawn_in_a_pool() -> None:
    (d,) = read_bpmn(FIXTURES / "bpmn_io_complaint.bpmn")
    tree = etree.fromstring(write_bpmn([d]))
    boxes = bounds(tree)
    plane = tree.find(".//bpmndi:BPMNPlane", NS)
    participant = tree.find(".//bpmn:participant", NS)
    assert plane.get("bpmnElement") == tree.find("bpmn:collaboration", NS).get("id")
    assert participant.get("processRef") == d.key and participant.get("name") == d.name
    for lane in d.lanes.values():
        lx, ly, lw, lh = boxes[lane.id]
        for eid in lane.element_ids:
            x, y, w, h = boxes[eid]
            assert lx <= x and x + w <= lx + lw and ly <= y + h / 2 <= ly + lh, (lane.name, eid)
