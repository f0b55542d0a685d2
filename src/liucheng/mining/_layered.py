"""A layered (Sugiyama-style) layout of a directed graph with cycles, for process maps.

The steps are the classic ones:

1. cycle removal: a depth-first search from the sources, heaviest edges first, marks back edges;
   they are laid out reversed and drawn as returns (rework loops stay visible, they just do not
   drive the layering);
2. layering: longest path from the sources over the remaining acyclic graph;
3. long edges are split by dummy nodes, one per layer crossed, so they bend around nodes;
4. crossing reduction: barycentre sweeps down and up, keeping the best order seen (counted
   exactly after each sweep);
5. coordinates: each layer is a row; nodes are placed at the mean position of their neighbours
   in the row above (then below), then pushed apart to keep a minimum gap.

Pure Python, no drawing: the caller gets boxes and polylines and renders them (see
``processmap``). Deterministic: ties break by node order given.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Sweeps of the barycentre heuristic (down + up each); more rarely helps on process maps.
SWEEPS = 12


@dataclass(frozen=True, slots=True)
class LayoutEdge:
    source: str
    target: str
    #: True when the edge was reversed to break a cycle (it points "up" in the drawing).
    reversed: bool
    #: Centre points from the source's box to the target's box, through the dummy nodes.
    points: tuple[tuple[float, float], ...]


@dataclass
class GraphLayout:
    #: node -> (x, y) of its centre
    centres: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: node -> layer (row) index
    layer: dict[str, int] = field(default_factory=dict)
    #: node -> position within its layer, left to right
    order: dict[str, int] = field(default_factory=dict)
    edges: list[LayoutEdge] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    crossings: int = 0


def layered_layout(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str, float]],
    *,
    sizes: dict[str, tuple[float, float]] | None = None,
    gap_x: float = 40.0,
    gap_y: float = 70.0,
    margin: float = 20.0,
) -> GraphLayout:
    """Lay out ``nodes`` and weighted ``edges`` (source, target, weight) top to bottom.

    ``sizes`` gives each real node's (width, height); unknown nodes are 120 x 40. Self-loops are
    ignored for the layering (the renderer draws them on the node). Edges naming unknown nodes
    raise ``ValueError``.
    """
    index = {node: i for i, node in enumerate(nodes)}
    for source, target, _ in edges:
        for end in (source, target):
            if end not in index:
                raise ValueError(f"edge {source!r} -> {target!r} names unknown node {end!r}")
    sizes = sizes or {}
    plain = [(s, t, w) for s, t, w in edges if s != t]
    back = _back_edges(list(nodes), plain, index)
    dag = [((t, s) if (s, t) in back else (s, t), w) for s, t, w in plain]
    layer = _longest_path_layers(list(nodes), [e for e, _ in dag], index)

    # Split long edges with dummy nodes: chains[(s, t)] lists the nodes along the laid-out edge.
    rows: dict[int, list[str]] = defaultdict(list)
    for node in nodes:
        rows[layer[node]].append(node)
    adjacency: list[tuple[str, str, float]] = []
    chains: dict[tuple[str, str], list[str]] = {}
    dummies: set[str] = set()
    for (s, t), w in dag:
        chain = [s]
        for lay in range(layer[s] + 1, layer[t]):
            dummy = f"\x00{s}\x00{t}\x00{lay}"
            dummies.add(dummy)
            layer[dummy] = lay
            rows[lay].append(dummy)
            chain.append(dummy)
        chain.append(t)
        for a, b in itertools.pairwise(chain):
            adjacency.append((a, b, w))
        chains[(s, t)] = chain
    depth = max(rows) + 1 if rows else 0
    ordered = [rows[i] for i in range(depth)]
    ordered, crossings = _reduce_crossings(ordered, adjacency)

    size = {n: sizes.get(n, (120.0, 40.0)) for n in nodes}
    for dummy in dummies:
        size[dummy] = (8.0, 0.0)
    xs = _coordinates(ordered, adjacency, size, gap_x)
    out = GraphLayout(layer={n: layer[n] for n in nodes}, crossings=crossings)
    row_h = [max((size[n][1] for n in row), default=0.0) for row in ordered]
    y = margin
    centre_y: dict[int, float] = {}
    for i, h in enumerate(row_h):
        centre_y[i] = y + h / 2
        y += h + gap_y
    min_x = min((xs[n] - size[n][0] / 2 for row in ordered for n in row), default=0.0)
    shift = margin - min_x
    for i, row in enumerate(ordered):
        for pos, node in enumerate(row):
            if node in dummies:
                xs[node] += shift
                continue
            out.centres[node] = (xs[node] + shift, centre_y[i])
            out.order[node] = pos
    for dummy in dummies:
        out_centre = (xs[dummy], centre_y[layer[dummy]])
        out.centres.setdefault(dummy, out_centre)
    for s, t, _ in edges:
        if s == t:
            out.edges.append(LayoutEdge(s, t, False, (out.centres[s],)))
            continue
        is_back = (s, t) in back
        chain = chains[(t, s) if is_back else (s, t)]
        points = tuple(out.centres[n] for n in chain)
        out.edges.append(LayoutEdge(s, t, is_back, tuple(reversed(points)) if is_back else points))
    for dummy in dummies:
        del out.centres[dummy]
    out.width = max((x + size[n][0] / 2 for n, (x, _) in out.centres.items()), default=0.0) + margin
    out.width = max([out.width] + [p[0] + margin for e in out.edges for p in e.points])
    out.height = y - gap_y + margin if ordered else 2 * margin
    return out


def _back_edges(nodes: list[str], edges: list[tuple[str, str, float]], index: dict[str, int]) -> set[tuple[str, str]]:
    """Edges closing a cycle in a DFS from the sources (then from any unvisited node)."""
    succ: dict[str, list[tuple[float, str]]] = defaultdict(list)
    indeg: dict[str, int] = dict.fromkeys(nodes, 0)
    for s, t, w in edges:
        succ[s].append((w, t))
        indeg[t] += 1
    for s in succ:
        # Heaviest first, then node order: the main path is laid out straight.
        succ[s].sort(key=lambda wt: (-wt[0], index[wt[1]]))
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    back: set[tuple[str, str]] = set()
    roots = [n for n in nodes if indeg[n] == 0] + nodes
    for root in roots:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            node, i = stack[-1]
            children = succ.get(node, [])
            if i < len(children):
                stack[-1] = (node, i + 1)
                child = children[i][1]
                mark = state.get(child)
                if mark is None:
                    state[child] = 1
                    stack.append((child, 0))
                elif mark == 1:
                    back.add((node, child))
            else:
                state[node] = 2
                stack.pop()
    return back


def _longest_path_layers(nodes: list[str], dag: list[tuple[str, str]], index: dict[str, int]) -> dict[str, int]:
    succ: dict[str, list[str]] = defaultdict(list)
    indeg = dict.fromkeys(nodes, 0)
    for s, t in dag:
        succ[s].append(t)
        indeg[t] += 1
    layer = dict.fromkeys(nodes, 0)
    ready = sorted((n for n in nodes if indeg[n] == 0), key=index.__getitem__)
    while ready:
        node = ready.pop(0)
        for child in succ[node]:
            layer[child] = max(layer[child], layer[node] + 1)
            indeg[child] -= 1
            if indeg[child] == 0:
                ready.append(child)
    return layer


def count_crossings(rows: list[list[str]], adjacency: list[tuple[str, str, float]]) -> int:
    """Edge crossings between consecutive rows (each edge goes from one row to the next)."""
    pos = {n: i for row in rows for i, n in enumerate(row)}
    row_of = {n: r for r, row in enumerate(rows) for n in row}
    between: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for s, t, _ in adjacency:
        if row_of[t] == row_of[s] + 1:
            between[row_of[s]].append((pos[s], pos[t]))
    total = 0
    for pairs in between.values():
        pairs.sort()
        for i, (a1, b1) in enumerate(pairs):
            for a2, b2 in pairs[i + 1:]:
                if a1 < a2 and b1 > b2:
                    total += 1
    return total


def _reduce_crossings(
    rows: list[list[str]], adjacency: list[tuple[str, str, float]]
) -> tuple[list[list[str]], int]:
    up: dict[str, list[str]] = defaultdict(list)
    down: dict[str, list[str]] = defaultdict(list)
    for s, t, _ in adjacency:
        down[s].append(t)
        up[t].append(s)
    best = [list(row) for row in rows]
    best_count = count_crossings(best, adjacency)
    current = [list(row) for row in rows]
    for _ in range(SWEEPS):
        if best_count == 0:
            break
        for downwards in (True, False):
            if downwards:
                for r in range(1, len(current)):
                    current[r] = _by_barycentre(current[r], current[r - 1], up)
            else:
                for r in range(len(current) - 2, -1, -1):
                    current[r] = _by_barycentre(current[r], current[r + 1], down)
            count = count_crossings(current, adjacency)
            if count < best_count:
                best, best_count = [list(row) for row in current], count
    return best, best_count


def _by_barycentre(row: list[str], fixed: list[str], neighbours: dict[str, list[str]]) -> list[str]:
    pos = {n: i for i, n in enumerate(fixed)}

    def key(item: tuple[int, str]) -> tuple[float, int]:
        i, node = item
        linked = [pos[m] for m in neighbours.get(node, ()) if m in pos]
        return (sum(linked) / len(linked) if linked else float(i), i)

    return [node for _, node in sorted(enumerate(row), key=key)]


def _coordinates(
    rows: list[list[str]], adjacency: list[tuple[str, str, float]], size: dict[str, tuple[float, float]], gap: float
) -> dict[str, float]:
    """x centres: packed rows first, then a few passes pulling nodes under their neighbours."""
    up: dict[str, list[str]] = defaultdict(list)
    down: dict[str, list[str]] = defaultdict(list)
    for s, t, _ in adjacency:
        down[s].append(t)
        up[t].append(s)
    xs: dict[str, float] = {}
    for row in rows:
        x = 0.0
        for node in row:
            w = size[node][0]
            xs[node] = x + w / 2
            x += w + gap
    for _ in range(4):
        for r in range(1, len(rows)):
            _pull(rows[r], up, xs, size, gap)
        for r in range(len(rows) - 2, -1, -1):
            _pull(rows[r], down, xs, size, gap)
    return xs


def _pull(row: list[str], neighbours: dict[str, list[str]], xs: dict[str, float],
          size: dict[str, tuple[float, float]], gap: float) -> None:
    wanted = []
    for node in row:
        linked = neighbours.get(node)
        wanted.append(sum(xs[m] for m in linked) / len(linked) if linked else xs[node])
    # Place left to right at the wanted x, never overlapping the previous node ...
    placed: list[float] = []
    for i, node in enumerate(row):
        x = wanted[i]
        if placed:
            prev = row[i - 1]
            x = max(x, placed[-1] + (size[prev][0] + size[node][0]) / 2 + gap)
        placed.append(x)
    # ... then shift the whole row back by the mean overshoot so it stays centred on its wishes.
    overshoot = sum(p - w for p, w in zip(placed, wanted, strict=True)) / len(row) if row else 0.0
    for node, x in zip(row, placed, strict=True):
        xs[node] = x - overshoot
