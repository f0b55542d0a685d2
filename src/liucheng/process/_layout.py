"""A left-to-right layered layout so written files open in bpmn.io readable, not piled at 0,0.

Longest-path layering after cutting back edges (rework loops); rows inside each lane band in
first-seen order; boundary events drawn on the bottom edge of their activity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from liucheng.process.spec import ACTIVITY_KINDS, BOUNDARY_KINDS, GATEWAY_KINDS, Element, ProcessDefinition

COLUMN = 160
ROW = 120
LEFT = 100  # room for the pool and lane headers
POOL_HEADER = 30
LANE_HEADER = 30
GAP = 60  # between stacked pools


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass
class Layout:
    shapes: dict[str, Box] = field(default_factory=dict)
    edges: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    lanes: dict[str, Box] = field(default_factory=dict)
    pool: Box = Box(0, 0, 0, 0)


def size_of(element: Element) -> tuple[float, float]:
    if element.kind in ACTIVITY_KINDS:
        return 100, 80
    if element.kind in GATEWAY_KINDS:
        return 50, 50
    return 36, 36


def layers(definition: ProcessDefinition) -> dict[str, int]:
    """Longest-path layer of each non-boundary element; back edges found by DFS are ignored."""
    nodes = [e.id for e in definition.elements.values() if e.kind not in BOUNDARY_KINDS]
    host = {e.id: e.attached_to for e in definition.elements.values() if e.kind in BOUNDARY_KINDS}
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for flow in definition.flows.values():
        source = host.get(flow.source, flow.source)
        if source in succ and flow.target in succ and flow.target not in host:
            succ[source].append(flow.target)
    starts = [n for n in nodes if definition.elements[n].kind == "startEvent"]
    state: dict[str, int] = {}  # 1 = on the DFS stack, 2 = done
    forward: dict[str, list[str]] = {n: [] for n in nodes}
    order: list[str] = []
    for root in [*starts, *nodes]:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                order.append(node)
                stack.pop()
            elif state.get(child) != 1:
                forward[node].append(child)
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(succ[child])))
    layer = dict.fromkeys(nodes, 0)
    for node in reversed(order):  # reverse post-order is a topological order of the forward edges
        for child in forward[node]:
            layer[child] = max(layer[child], layer[node] + 1)
    return layer


def layout(definition: ProcessDefinition, *, top: float = 0, with_pool: bool) -> Layout:
    layer = layers(definition)
    lane_names = [lane.name for lane in definition.lanes.values()]
    band_of = {
        eid: lane_names.index(definition.elements[eid].lane or "")
        if definition.elements[eid].lane in lane_names
        else len(lane_names)
        for eid in layer
    }
    bands = sorted(set(band_of.values()) | set(range(len(lane_names))))
    rows: dict[tuple[int, int], int] = {}
    row_of: dict[str, int] = {}
    for eid in layer:
        key = (band_of[eid], layer[eid])
        row_of[eid] = rows.get(key, 0)
        rows[key] = row_of[eid] + 1
    band_rows = {b: max([1, *(n for (band, _), n in rows.items() if band == b)]) for b in bands}
    band_top: dict[int, float] = {}
    y = top + 20
    for b in bands:
        band_top[b] = y
        y += band_rows[b] * ROW
    out = Layout()
    for eid, col in layer.items():
        w, h = size_of(definition.elements[eid])
        cx = LEFT + col * COLUMN + 50
        cy = band_top[band_of[eid]] + row_of[eid] * ROW + ROW / 2
        out.shapes[eid] = Box(cx - w / 2, cy - h / 2, w, h)
    for host, events in definition.boundaries.items():
        box = out.shapes.get(host)
        for i, event in enumerate(events):
            if box is not None:
                out.shapes[event.id] = Box(box.x + box.w - 38 - i * 40, box.y + box.h - 18, 36, 36)
    right = max([LEFT + COLUMN, *(b.x + b.w for b in out.shapes.values())]) + 50
    pool_x = LEFT - 70 if with_pool else 0
    out.pool = Box(pool_x, top, right - pool_x, y - top + 20)
    for b, lane in zip(bands, definition.lanes.values(), strict=False):
        lane_y = top if b == bands[0] else band_top[b]
        bottom = band_top[b] + band_rows[b] * ROW if b != bands[-1] else top + out.pool.h
        out.lanes[lane.id] = Box(pool_x + POOL_HEADER, lane_y, right - pool_x - POOL_HEADER, bottom - lane_y)
    for flow in definition.flows.values():
        source, target = out.shapes.get(flow.source), out.shapes.get(flow.target)
        if source is not None and target is not None:
            boundary = definition.elements[flow.source].kind in BOUNDARY_KINDS
            out.edges[flow.id] = _route(source, target, from_bottom=boundary)
    return out


def _route(s: Box, t: Box, *, from_bottom: bool) -> list[tuple[float, float]]:
    if from_bottom:
        if t.x > s.cx:
            return [(s.cx, s.y + s.h), (s.cx, t.cy), (t.x, t.cy)]
        low = max(s.y + s.h, t.y + t.h) + 30
        return [(s.cx, s.y + s.h), (s.cx, low), (t.cx, low), (t.cx, t.y + t.h)]
    if t.x >= s.x + s.w:
        start, end = (s.x + s.w, s.cy), (t.x, t.cy)
        if start[1] == end[1]:
            return [start, end]
        mid = (start[0] + end[0]) / 2
        return [start, (mid, start[1]), (mid, end[1]), end]
    low = max(s.y + s.h, t.y + t.h) + 25
    return [(s.cx, s.y + s.h), (s.cx, low), (t.cx, low), (t.cx, t.y + t.h)]
