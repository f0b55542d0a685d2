"""The layered layout and the SVG process map."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from liucheng.eventlog.table import read_xes_table
from liucheng.mining._layered import count_crossings, layered_layout
from liucheng.mining.processmap import MapEdge, MapNode, format_seconds, render_svg

SVG = "{http://www.w3.org/2000/svg}"
HELPDESK = Path(__file__).resolve().parents[3] / "shared" / "data" / "helpdesk" / "helpdesk.xes.gz"


def _is_acyclic(nodes: list[str], edges: list[tuple[str, str]]) -> bool:
    indeg = dict.fromkeys(nodes, 0)
    succ = defaultdict(list)
    for s, t in edges:
        succ[s].append(t)
        indeg[t] += 1
    ready = [n for n in nodes if indeg[n] == 0]
    seen = 0
    while ready:
        n = ready.pop()
        seen += 1
        for m in succ[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                ready.append(m)
    return seen == len(nodes)


graphs = st.integers(2, 9).flatmap(
    lambda n: st.tuples(
        st.just([f"n{i}" for i in range(n)]),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 50)), max_size=3 * n),
    )
)


@settings(max_examples=150, deadline=None)
@given(graphs)
def test_layout_breaks_every_cycle_and_points_the_rest_down(graph) -> None:
    nodes, raw = graph
    edges = list({(nodes[s], nodes[t]): w for s, t, w in raw}.items())
    weighted = [(s, t, float(w)) for (s, t), w in edges]
    layout = layered_layout(nodes, weighted)
    plain = [e for e in layout.edges if e.source != e.target]
    assert len(layout.edges) == len(weighted)
    # Forward edges go down; the reversed ones, turned around, leave an acyclic graph.
    laid = [(e.target, e.source) if e.reversed else (e.source, e.target) for e in plain]
    assert _is_acyclic(nodes, laid)
    for s, t in laid:
        assert layout.layer[t] > layout.layer[s]
    # Only edges on a cycle are ever reversed: the target reaches back to the source.
    succ = defaultdict(set)
    for e in plain:
        succ[e.source].add(e.target)
    for e in plain:
        if e.reversed:
            seen, stack = set(), [e.target]
            while stack:
                n = stack.pop()
                if n not in seen:
                    seen.add(n)
                    stack.extend(succ[n])
            assert e.source in seen, f"{e.source}->{e.target} reversed but not on a cycle"
    # Boxes in one row never overlap.
    rows = defaultdict(list)
    for node in nodes:
        rows[layout.layer[node]].append(layout.centres[node][0])
    for xs in rows.values():
        xs.sort()
        for a, b in itertools.pairwise(xs):
            assert b - a >= 120.0 - 1e-6  # box width 120 + gap, less rounding


def test_trees_are_drawn_without_crossings() -> None:
    rng = random.Random(7)
    for _ in range(50):
        n = rng.randint(3, 25)
        nodes = [f"t{i}" for i in range(n)]
        edges = [(nodes[rng.randrange(i)], nodes[i], 1.0) for i in range(1, n)]
        rng.shuffle(edges)
        layout = layered_layout(nodes, edges)
        assert layout.crossings == 0


def test_reported_crossings_are_the_real_count_and_no_worse_than_the_input_order() -> None:
    rng = random.Random(3)
    for _ in range(40):
        top, bottom = [f"a{i}" for i in range(5)], [f"b{i}" for i in range(5)]
        edges = [(a, b, 1.0) for a in top for b in bottom if rng.random() < 0.35]
        for a in top:  # keep every node on the two layers
            edges.append((a, bottom[rng.randrange(5)], 1.0))
        edges = list(dict.fromkeys(edges))
        layout = layered_layout(top + bottom, edges)
        rows = [sorted(top, key=layout.order.__getitem__), sorted(bottom, key=layout.order.__getitem__)]
        assert layout.crossings == count_crossings(rows, edges)
        assert layout.crossings <= count_crossings([top, bottom], edges)
        # and within reach of the optimum found by trying every order of the bottom row
        best = min(count_crossings([rows[0], list(p)], edges) for p in itertools.permutations(bottom))
        assert layout.crossings <= best + 3


def test_unknown_nodes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown node 'x'"):
        layered_layout(["a"], [("a", "x", 1.0)])


def _svg(text: str) -> etree._Element:
    return etree.fromstring(text.encode())


def test_map_shows_every_activity_and_transition_escaped() -> None:
    nodes = [MapNode("登记 <new>", 10), MapNode("处理 & 回访", 8), MapNode("Close", 7)]
    edges = [
        MapEdge("登记 <new>", "处理 & 回访", 8, 3600.0, 1800.0, 7200.0),
        MapEdge("处理 & 回访", "Close", 7, 60.0, 30.0, 120.0),
        MapEdge("处理 & 回访", "登记 <new>", 2, 86400.0 * 3, 86400.0, 86400.0 * 5),
    ]
    svg = render_svg(nodes, edges, starts={"登记 <new>": 10}, ends={"Close": 7}, view="performance", lang="zh",
                     title="投诉流程")
    root = _svg(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "登记 <new>" in texts and "处理 & 回访" in texts and "投诉流程" in texts
    assert any("平均等待时间" in (t or "") for t in texts)
    groups = root.findall(f".//{SVG}g[@class='edge']")
    assert len(groups) == 3 + 2  # three transitions, one start arc, one end arc
    # Slowest transition red, fastest green.
    strokes = {g.find(f"{SVG}title").text.split(":")[0]: g.find(f"{SVG}path").get("stroke") for g in groups}
    assert strokes["处理 & 回访 → 登记 <new>"] == "#d73027"
    assert strokes["处理 & 回访 → Close"] == "#1a9850"


def test_frequency_labels_are_counts_and_bad_options_are_named() -> None:
    svg = render_svg([MapNode("A", 3), MapNode("B", 3)], [MapEdge("A", "B", 3)], starts={"A": 3}, ends={"B": 3})
    labels = [t.text for t in _svg(svg).iter(f"{SVG}text")]
    assert labels.count("3") >= 3
    with pytest.raises(ValueError, match="view must be"):
        render_svg([], [], view="heat")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no node: 'C'"):
        render_svg([MapNode("A", 1)], [MapEdge("A", "C", 1)])


def test_durations_read_as_people_write_them() -> None:
    assert [format_seconds(s) for s in (5, 600, 5400, 3 * 86400)] == ["5 s", "10 min", "1.5 h", "3.0 d"]
    assert format_seconds(None) == "–"


def test_the_helpdesk_map_has_a_box_per_activity_and_an_arrow_per_transition() -> None:
    table = read_xes_table(str(HELPDESK)).table.sort_by(
        [("case_id", "ascending"), ("timestamp", "ascending"), ("event_index", "ascending")]
    )
    cases = table["case_id"].to_pylist()
    acts = table["activity"].cast("string").to_pylist()
    counts, pairs, starts, ends = Counter(acts), Counter(), Counter(), Counter()
    for i, (case, act) in enumerate(zip(cases, acts, strict=True)):
        if i == 0 or cases[i - 1] != case:
            starts[act] += 1
        if i + 1 == len(cases) or cases[i + 1] != case:
            ends[act] += 1
        else:
            pairs[(act, acts[i + 1])] += 1
    svg = render_svg([MapNode(a, c) for a, c in counts.items()], [MapEdge(s, t, c) for (s, t), c in pairs.items()],
                     starts=starts, ends=ends, title="helpdesk")
    root = _svg(svg)
    assert len(root.findall(f".//{SVG}g[@class='node']")) == len(counts) == 14
    assert len(root.findall(f".//{SVG}g[@class='edge']")) == len(pairs) + len(starts) + len(ends)
    boxes = [
        (float(r.get("x")), float(r.get("y")), float(r.get("width")), float(r.get("height")))
        for r in root.findall(f".//{SVG}g[@class='node']/{SVG}rect")
    ]
    for (x1, y1, w1, h1), (x2, y2, w2, h2) in itertools.combinations(boxes, 2):
        assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1, "two boxes overlap"
