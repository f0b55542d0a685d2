"""The shipped BPMN files: valid BPMN 2.0, readable diagrams, and accepted by our reader.

Checked three independent ways: raw lxml walks of the XML, the OMG BPMN 2.0 XML Schema (the copy
SpiffWorkflow ships), and ``liucheng.process.read_bpmn``.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import SpiffWorkflow
from lxml import etree

from liucheng.core.durations import parse_duration_s
from liucheng.core.errors import NotFoundError
from liucheng.library import LIBRARY_DIR, PROCESS_FILES, library_path, library_paths
from liucheng.process import check_bpmn, read_bpmn

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
}
LC = "{http://liucheng.io/schema/bpmn}"
FLOW_NODES = [
    "startEvent", "endEvent", "userTask", "manualTask", "serviceTask", "callActivity", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway", "intermediateCatchEvent",
    "intermediateThrowEvent", "boundaryEvent",
]
#: Roles and departments the demo organisation has (the brief's list, plus none other).
KNOWN_LANES = {
    "agent", "team_lead", "room_interface", "back_office", "quality", "room_manager", "centre",
    "external_dept", "it_support", "finance",
}
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")
FILES = library_paths()


def parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path))


def flow_nodes(tree: etree._ElementTree) -> list[etree._Element]:
    return [el for tag in FLOW_NODES for el in tree.iterfind(f".//bpmn:process/bpmn:{tag}", NS)]


def bounds(shape: etree._Element) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    return float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height"))


def tag(el: etree._Element) -> str:
    return etree.QName(el).localname


@pytest.fixture(params=FILES, ids=lambda p: p.name)
def tree(request: pytest.FixtureRequest) -> etree._ElementTree:
    return parse(request.param)


def test_the_library_lists_every_file_and_each_file_defines_its_key() -> None:
    on_disk = {p.name for p in LIBRARY_DIR.glob("*.bpmn")}
    assert on_disk == set(PROCESS_FILES.values())
    for key in PROCESS_FILES:
        (process,) = parse(library_path(key)).iterfind("bpmn:process", NS)
        assert process.get("id") == key
        assert process.get("isExecutable") == "true"
        assert process.get(f"{LC}owner") in KNOWN_LANES
    with pytest.raises(NotFoundError) as caught:
        library_path("complaints")
    assert "complaint" in str(caught.value.hint)


def test_files_validate_against_the_bpmn_2_0_xml_schema(tree: etree._ElementTree) -> None:
    xsd = Path(SpiffWorkflow.__file__).parent / "bpmn" / "parser" / "schema" / "BPMN20.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(tree), schema.error_log


def test_ids_are_unique_and_every_reference_resolves(tree: etree._ElementTree) -> None:
    # camunda:formField ids name case variables and may repeat across tasks; only BPMN ids count
    bpmn_namespaces = {NS["bpmn"], NS["bpmndi"]}
    ids = [
        el.get("id") for el in tree.iter() if el.get("id") and etree.QName(el).namespace in bpmn_namespaces
    ]
    assert len(ids) == len(set(ids))
    known = set(ids)
    nodes = {el.get("id"): el for el in flow_nodes(tree)}
    flows = tree.findall(".//bpmn:sequenceFlow", NS)
    for flow in flows:
        src, tgt = flow.get("sourceRef"), flow.get("targetRef")
        assert src in nodes and tgt in nodes, flow.get("id")
        # incoming/outgoing lists agree with the flows, as bpmn.io writes them
        assert flow.get("id") in [o.text for o in nodes[src].findall("bpmn:outgoing", NS)]
        assert flow.get("id") in [i.text for i in nodes[tgt].findall("bpmn:incoming", NS)]
    for attr in ("bpmnElement", "attachedToRef", "messageRef", "escalationRef", "processRef", "default"):
        for el in tree.iterfind(f".//*[@{attr}]"):
            assert el.get(attr) in known, f"{el.get('id')} {attr}={el.get(attr)}"
    for ref in tree.iterfind(".//bpmn:flowNodeRef", NS):
        assert ref.text in nodes


def test_every_element_has_exactly_one_diagram_shape(tree: etree._ElementTree) -> None:
    drawn = [s.get("bpmnElement") for s in tree.iterfind(".//bpmndi:BPMNShape", NS)]
    edges = [e.get("bpmnElement") for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)]
    assert len(drawn) == len(set(drawn)) and len(edges) == len(set(edges))
    expected = {el.get("id") for el in flow_nodes(tree)}
    expected |= {el.get("id") for el in tree.iterfind(".//bpmn:lane", NS)}
    expected |= {el.get("id") for el in tree.iterfind(".//bpmn:participant", NS)}
    assert set(drawn) == expected
    assert set(edges) == {f.get("id") for f in tree.iterfind(".//bpmn:sequenceFlow", NS)}


def test_lanes_are_horizontal_bands_that_hold_their_elements(tree: etree._ElementTree) -> None:
    shapes = {s.get("bpmnElement"): s for s in tree.iterfind(".//bpmndi:BPMNShape", NS)}
    lanes = tree.findall(".//bpmn:lane", NS)
    bands = sorted((bounds(shapes[lane.get("id")]) for lane in lanes), key=lambda b: b[1])
    for upper, lower in itertools.pairwise(bands):
        assert upper[1] + upper[3] == lower[1] and upper[0] == lower[0] and upper[2] == lower[2]
    in_lane: dict[str, str] = {}
    for lane in lanes:
        assert lane.get("name") in KNOWN_LANES
        assert CJK.search(lane.findtext("bpmn:documentation", "", NS)), "Chinese name in documentation"
        x, y, w, h = bounds(shapes[lane.get("id")])
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            assert ref.text not in in_lane, f"{ref.text} is in two lanes"
            in_lane[ref.text] = lane.get("name")
            ex, ey, ew, eh = bounds(shapes[ref.text])
            assert x < ex and ex + ew < x + w and y < ey and ey + eh < y + h, f"{ref.text} outside its lane"
    assert set(in_lane) == {el.get("id") for el in flow_nodes(tree)}


def test_shapes_do_not_overlap_and_flow_left_to_right(tree: etree._ElementTree) -> None:
    shapes = {s.get("bpmnElement"): bounds(s) for s in tree.iterfind(".//bpmndi:BPMNShape", NS)}
    nodes = [el for el in flow_nodes(tree) if tag(el) != "boundaryEvent"]
    for a, b in itertools.combinations(nodes, 2):
        (ax, ay, aw, ah), (bx, by, bw, bh) = shapes[a.get("id")], shapes[b.get("id")]
        assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a.get("id"), b.get("id"))
    # Left to right: the start is the leftmost shape and every end lies right of it.
    start = tree.find(".//bpmn:startEvent", NS).get("id")
    assert shapes[start][0] == min(b[0] for k, b in shapes.items() if k in {n.get("id") for n in nodes})


def _on_border(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    (px, py), (x, y, w, h) = point, box
    inside_x, inside_y = x - 1 <= px <= x + w + 1, y - 1 <= py <= y + h + 1
    on_x, on_y = min(abs(px - x), abs(px - x - w)) <= 1, min(abs(py - y), abs(py - y - h)) <= 1
    return (on_x and inside_y) or (on_y and inside_x)


def test_edges_are_orthogonal_join_their_shapes_and_cross_no_other_shape(tree: etree._ElementTree) -> None:
    shapes = {s.get("bpmnElement"): bounds(s) for s in tree.iterfind(".//bpmndi:BPMNShape", NS)}
    node_ids = {el.get("id") for el in flow_nodes(tree)}
    host = {b.get("id"): b.get("attachedToRef") for b in tree.iterfind(".//bpmn:boundaryEvent", NS)}
    flows = {f.get("id"): f for f in tree.iterfind(".//bpmn:sequenceFlow", NS)}
    for edge in tree.iterfind(".//bpmndi:BPMNEdge", NS):
        flow = flows[edge.get("bpmnElement")]
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
        assert len(points) >= 2
        assert _on_border(points[0], shapes[flow.get("sourceRef")]), flow.get("id")
        assert _on_border(points[-1], shapes[flow.get("targetRef")]), flow.get("id")
        ends = {flow.get("sourceRef"), flow.get("targetRef"), host.get(flow.get("sourceRef"))}
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            assert x1 == x2 or y1 == y2, f"{flow.get('id')} has a diagonal segment"
            for other in node_ids - ends:
                x, y, w, h = shapes[other]
                crosses = min(x1, x2) < x + w - 2 and max(x1, x2) > x + 2
                crosses = crosses and min(y1, y2) < y + h - 2 and max(y1, y2) > y + 2
                assert not crosses, f"{flow.get('id')} runs through {other}"


def test_every_node_is_named_in_chinese_and_english(tree: etree._ElementTree) -> None:
    for el in flow_nodes(tree):
        name = el.get("name", "")
        if tag(el).endswith("Gateway") and not name:
            # only a merge or a parallel split may go unnamed: neither asks a question
            merge = len(el.findall("bpmn:outgoing", NS)) == 1
            assert merge or tag(el) == "parallelGateway", el.get("id")
            continue
        assert CJK.search(name) and LATIN.search(name), f"{el.get('id')}: {name!r}"


def test_extension_attributes_follow_the_reader_conventions(tree: etree._ElementTree) -> None:
    lane_of = {r.text: lane.get("name") for lane in tree.iterfind(".//bpmn:lane", NS)
               for r in lane.iterfind("bpmn:flowNodeRef", NS)}
    for el in flow_nodes(tree):
        kind, eid = tag(el), el.get("id")
        if kind in ("userTask", "manualTask"):
            groups = el.get(f"{LC}candidateGroups", "").split(",")
            assert lane_of[eid] in groups, f"{eid}: the lane's role may work the task"
            assert parse_duration_s(el.get(f"{LC}stepSla"), where=eid) > 0
        if kind == "serviceTask":
            assert el.get(f"{LC}url", "").startswith("http") and el.get(f"{LC}method") == "POST"
        if kind == "callActivity":
            assert el.get("calledElement") in PROCESS_FILES
        for timer in el.iterfind("bpmn:timerEventDefinition/*", NS):
            text = timer.text.strip()
            parse_duration_s(text.split("/")[-1], where=eid)
        if el.find("bpmn:messageEventDefinition", NS) is not None and kind == "intermediateCatchEvent":
            assert el.get(f"{LC}waitsOnCustomer") == "true", f"{eid} waits on the customer"


def test_choice_gateways_have_a_default_flow_without_condition(tree: etree._ElementTree) -> None:
    flows = {f.get("id"): f for f in tree.iterfind(".//bpmn:sequenceFlow", NS)}
    for gateway in itertools.chain(tree.iterfind(".//bpmn:exclusiveGateway", NS),
                                   tree.iterfind(".//bpmn:inclusiveGateway", NS)):
        outgoing = [flows[o.text] for o in gateway.iterfind("bpmn:outgoing", NS)]
        if len(outgoing) < 2:
            continue
        default = gateway.get("default")
        assert default in {f.get("id") for f in outgoing}, gateway.get("id")
        for flow in outgoing:
            has_condition = flow.find("bpmn:conditionExpression", NS) is not None
            assert has_condition == (flow.get("id") != default), flow.get("id")


def test_call_activity_escalations_are_thrown_by_the_called_process() -> None:
    complaint = parse(library_path("complaint"))
    caught = {
        e.get("escalationCode")
        for e in complaint.iterfind("bpmn:escalation", NS)
        for b in complaint.iterfind(".//bpmn:boundaryEvent/bpmn:escalationEventDefinition", NS)
        if b.get("escalationRef") == e.get("id")
    }
    called = parse(library_path("urgent_ticket"))
    thrown = {e.get("escalationCode") for e in called.iterfind("bpmn:escalation", NS)}
    assert caught == {"urgent_ticket_overdue"} and caught <= thrown


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_liucheng_reader_accepts_every_file_without_a_problem(path: Path) -> None:
    assert check_bpmn(path) == []
    (definition,) = read_bpmn(path)
    raw = parse(path)
    assert definition.key == raw.find("bpmn:process", NS).get("id")
    assert set(definition.elements) == {el.get("id") for el in flow_nodes(raw)}
    assert {lane.name for lane in definition.lanes.values()} <= KNOWN_LANES
    for element in definition.elements.values():
        assert element.lane is not None, element.id
    conditions = {f.get("id"): f.findtext("bpmn:conditionExpression", None, NS)
                  for f in raw.iterfind(".//bpmn:sequenceFlow", NS)}
    assert {f.id: f.condition for f in definition.flows.values()} == conditions
