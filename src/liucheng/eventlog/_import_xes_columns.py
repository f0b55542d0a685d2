"""XES → Arrow columns straight from the bytes: the fast path for files of the regular shape.

XES writers (OpenXES, ProM, PM4Py, our own) write every attribute as ``<type key="K" value="V"/>``
between ``<trace>``/``<event>`` tags. When every element of the body has exactly one of those
shapes, numpy finds the ``<`` and ``"`` bytes, checks each element against its shape, and Arrow
slices keys and values out of the buffer without a Python object per value; each key becomes a
column by scattering its values onto the events (or traces) that carry it.

The result is the table r4pm would give (same columns, types and ``<global>`` defaults), but the
checks are ours and strict: anything else in the body (a comment, a nested or list attribute, an
entity other than the five named ones, an attribute written another way), a date without an
offset, a value its type cannot read, a key with two types or twice in one element, a missing
case, name or time, or a stream that does not end with ``</log>`` gives ``None``, and the caller
takes the checked r4pm path (and from there our streaming reader, which names the line).
"""

from __future__ import annotations

import json
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

_UTC: Final = pa.timestamp("us", tz="UTC")
#: XES attribute element name → (Arrow type, r4pm's name of the type).
_TYPES: Final = {
    "string": (pa.string(), "String"), "date": (_UTC, "Date"), "int": (pa.int64(), "Int"),
    "float": (pa.float64(), "Float"), "boolean": (pa.bool_(), "Boolean"), "id": (pa.string(), "ID"),
}
_ATTRIBUTES: Final = tuple(_TYPES)
#: Structural tokens, exact: the whole tag up to its '>'.
_TRACE, _END_TRACE, _EVENT, _END_EVENT, _END_LOG = range(5)
_STRUCTURE: Final = (b"<trace>", b"</trace>", b"<event>", b"</event>", b"</log>")
#: Attribute tokens start with these (kind 5 + index in _ATTRIBUTES).
_PREFIXES: Final = tuple(f'<{name} key="'.encode() for name in _ATTRIBUTES)
_FIRST_ATTRIBUTE: Final = len(_STRUCTURE)
_BETWEEN: Final = b'" value="'
_BLOCK: Final = 1 << 20
_CONTROL: Final = np.zeros(256, dtype=bool)
_CONTROL[[9, 10, 13]] = True
_ENTITIES: Final = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"))
#: Offsets of an Arrow string array are int32.
_MAX_BYTES: Final = (1 << 31) - 16


class Damaged(Exception):
    """The document is damaged in a way r4pm would read over: our streaming reader must name it."""


def read_columns(buffer: bytes | bytearray, size: int) -> tuple[pa.Table, str] | None:
    """The events of the XES document ``buffer[:size]`` as an Arrow table with XES column names,
    and the log's metadata as JSON; None when the document is not of the regular shape (see the
    module docstring). Raises ``Damaged`` for damage only a strict reader would notice.
    ``buffer`` holds at least 16 more bytes (any) after the document."""
    start = buffer.find(b"<trace>", 0, size)
    if start < 0 or size > _MAX_BYTES or len(buffer) < size + 16:
        return None
    header = _header(bytes(buffer[:start]))
    if header is None:
        return None
    defaults, meta = header
    padded = np.frombuffer(buffer, dtype=np.uint8)
    tokens = _tokens(padded, start, size)
    if tokens is None:
        return None
    kind, spans = tokens
    structure = _structure(kind)
    if structure is None:
        return None
    owner, level, trace_of_event, n_events, n_traces = structure
    attribute = kind >= _FIRST_ATTRIBUTE
    strings = _strings(buffer, spans, start, size)
    if strings is None:
        return None
    columns = _columns(*strings, kind[attribute] - _FIRST_ATTRIBUTE, owner[attribute], level[attribute],
                       defaults, trace_of_event, n_events, n_traces)
    if columns is None:
        return None
    return pa.table(columns), meta


def _tokens(padded: np.ndarray, start: int, size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Per '<' token of ``padded[start:size]`` its kind and, for attributes, the four offsets (key
    start, key end, value start, value end); None when a token has another shape.

    Text between elements is not looked at (XML readers skip it too); it cannot hide a '<' or a
    quote, as every token must be followed by the next '<' after exactly its own quotes.
    """
    special, is_lt = _specials(padded, start, size)
    if len(special) == 0:
        return None
    where_lt = np.flatnonzero(is_lt)
    lt = special[where_lt]
    words = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded.data, strides=(1,))
    head = words[lt]
    kind = _KIND_OF_2[((head >> np.uint64(8)) & np.uint64(0xFFFF)).astype(np.intp)]
    if (kind < 0).any():
        return None
    ok = (head & _HEAD_MASK[kind]) == _HEAD[kind]
    long = np.flatnonzero(_TAIL_MASK[kind] != 0)
    long_kind = kind[long]
    ok[long] &= (words[lt[long] + 8] & _TAIL_MASK[long_kind]) == _TAIL[long_kind]
    if not ok.all():
        return None
    # After a '<', the next '<' comes 1 special later for tags and 5 later (four quotes) for attributes.
    is_attribute = kind >= _FIRST_ATTRIBUTE
    step = np.diff(where_lt, append=len(special))
    if not (step == np.where(is_attribute, 5, 1)).all():
        return None
    at = where_lt[is_attribute]
    if len(at) == 0:
        return None
    key_start = special[at] + _LENGTH[kind[is_attribute]]
    key_end, value_quote, value_end = special[at + 2], special[at + 3], special[at + 4]
    ok = (special[at + 1] == key_start - 1) & (value_quote == key_end + len(_BETWEEN) - 1)
    ok &= (words[key_end] & _mask(8)) == _word(_BETWEEN)
    close = words[value_end]
    ok &= ((close & _mask(3)) == _word(b'"/>')) | ((close & _mask(4)) == _word(b'" />'))
    if not ok.all():
        return None
    spans = np.empty(4 * len(at), dtype=np.int32)
    spans[0::4], spans[1::4], spans[2::4], spans[3::4] = key_start, key_end, value_quote + 1, value_end
    return kind, spans


def _specials(padded: np.ndarray, start: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions of every '<' and '"' in ``padded[start:size]`` (int32), and which are '<'.

    In blocks, so the masks stay in cache instead of spanning the whole document.
    """
    positions: list[np.ndarray] = []
    is_lt: list[np.ndarray] = []
    lt_mask = np.empty(_BLOCK, dtype=bool)
    quote_mask = np.empty(_BLOCK, dtype=bool)
    for low in range(start, size, _BLOCK):
        block = padded[low:min(low + _BLOCK, size)]
        lts, quotes = lt_mask[:len(block)], quote_mask[:len(block)]
        np.equal(block, ord("<"), out=lts)
        np.equal(block, ord('"'), out=quotes)
        np.bitwise_or(lts, quotes, out=quotes)
        found = np.flatnonzero(quotes)
        is_lt.append(lts[found])
        positions.append(found.astype(np.int32) + np.int32(low))
    if not positions:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=bool)
    return np.concatenate(positions), np.concatenate(is_lt)


def _word(pattern: bytes) -> np.uint64:
    """The first 8 bytes of ``pattern`` (padded with zeros) as a little-endian word."""
    return np.frombuffer(pattern.ljust(8, b"\0")[:8], dtype="<u8")[0]


def _mask(length: int) -> np.uint64:
    return np.uint64((1 << (8 * min(length, 8))) - 1)


def _kind_tables() -> tuple[np.ndarray, ...]:
    """Kind by the two bytes after '<', and per kind its pattern as two masked words and its length."""
    patterns = [*_STRUCTURE, *_PREFIXES]
    by_two = np.full(1 << 16, -1, dtype=np.int8)
    for code, pattern in enumerate(patterns):
        by_two[pattern[1] | pattern[2] << 8] = code
    head = np.array([_word(p) for p in patterns], dtype=np.uint64)
    head_mask = np.array([_mask(len(p)) for p in patterns], dtype=np.uint64)
    tail = np.array([_word(p[8:]) for p in patterns], dtype=np.uint64)
    tail_mask = np.array([_mask(len(p) - 8) if len(p) > 8 else 0 for p in patterns], dtype=np.uint64)
    return by_two, head, head_mask, tail, tail_mask, np.array([len(p) for p in patterns], dtype=np.int32)


_KIND_OF_2, _HEAD, _HEAD_MASK, _TAIL, _TAIL_MASK, _LENGTH = _kind_tables()


def _structure(kind: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int] | None:
    """Per token its owner (event or trace number) and level (1 in a trace, 2 in an event), the
    trace of every event, and the counts; None unless traces hold events hold attributes and the
    body ends with ``</log>``."""
    step = np.zeros(len(kind), dtype=np.int8)
    step[(kind == _TRACE) | (kind == _EVENT)] = 1
    step[(kind == _END_TRACE) | (kind == _END_EVENT)] = -1
    level = np.cumsum(step, dtype=np.int64) - step
    expected = np.array([0, 1, 1, 2, 0], dtype=np.int64)
    structural = kind < _FIRST_ATTRIBUTE
    if not (expected[kind[structural]] == level[structural]).all():
        return None
    attribute_level = level[~structural]
    if not ((attribute_level == 1) | (attribute_level == 2)).all():
        return None
    if kind[-1] != _END_LOG or np.count_nonzero(kind == _END_LOG) != 1:
        return None
    trace_number = np.cumsum(kind == _TRACE) - 1
    event_number = np.cumsum(kind == _EVENT) - 1
    n_events, n_traces = int(event_number[-1]) + 1, int(trace_number[-1]) + 1
    if n_events == 0:
        return None
    owner = np.where(level == 2, event_number, trace_number)
    return owner, level, trace_number[kind == _EVENT], n_events, n_traces


def _strings(buffer: bytes | bytearray, spans: np.ndarray, start: int,
             size: int) -> tuple[pa.Array, pa.Array] | None:
    """Keys and values as Arrow strings (the five named XML entities resolved); None when one holds
    a tab or line break (XML would make it a space), a numeric entity, or a key or the text between
    elements an '&'. Raises ``Damaged`` for bytes that are not UTF-8 and a '&' starting no entity."""
    data = pa.py_buffer(buffer)
    sliced = pa.StringArray.from_buffers(len(spans) - 1, pa.py_buffer(spans), data)
    try:
        sliced.validate(full=True)  # from the first key to the last value
    except pa.ArrowInvalid:
        raise Damaged("the file is not valid UTF-8") from None
    count = len(spans) // 4
    keys = sliced.take(pa.array(np.arange(0, 4 * count, 4)))
    values = sliced.take(pa.array(np.arange(2, 4 * count, 4)))
    for strings in (keys, values):
        offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)
        text = np.frombuffer(strings.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[len(strings)]]
        if _CONTROL[text].any():
            return None
    if buffer.find(b"&", start, size) >= 0:
        if pc.any(pc.match_substring(keys, "&")).as_py():
            return None
        ampersands = pc.sum(pc.count_substring(values, "&")).as_py() or 0
        if ampersands != buffer.count(b"&", start, size):
            return None  # one between elements
        for entity, char in _ENTITIES:
            values = pc.replace_substring(values, entity, char)
        ampersands = pc.sum(pc.count_substring(values, "&")).as_py() or 0
        escaped = pc.sum(pc.count_substring(values, "&amp;")).as_py() or 0
        numeric = pc.sum(pc.count_substring(values, "&#")).as_py() or 0
        if ampersands != escaped + numeric:
            raise Damaged("a '&' in a value starts no XML entity")
        if numeric:
            return None
        values = pc.replace_substring(values, "&amp;", "&")
    return keys, values


def _columns(keys: pa.Array, values: pa.Array, types: np.ndarray, owners: np.ndarray, levels: np.ndarray,
             defaults: dict[str, dict[str, tuple[str, str]]], trace_of_event: np.ndarray, n_events: int,
             n_traces: int) -> dict[str, pa.Array] | None:
    encoded = pc.dictionary_encode(keys)
    names = encoded.dictionary.to_pylist()
    group = encoded.indices.to_numpy().astype(np.int64) * 2 + (levels - 1)
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    trace_index = pa.array(trace_of_event)
    columns: dict[str, pa.Array] = {}
    for positions in np.split(order, bounds):
        code = int(group[positions[0]])
        key, in_event = names[code // 2], code % 2 == 1
        rows = owners[positions]
        if len(rows) > 1 and not (np.diff(rows) > 0).all():
            return None  # the key twice in one trace or event
        scope = "event" if in_event else "trace"
        column = _typed(values.take(pa.array(positions)), set(types[positions].tolist()), defaults[scope].get(key))
        if column is None:
            return None
        column, default = column
        size = n_events if in_event else n_traces
        if len(rows) != size:
            index = np.full(size, -1, dtype=np.int64)
            index[rows] = np.arange(len(rows))
            column = column.take(pa.array(index, mask=index < 0))
            if default is not None:
                column = pc.fill_null(column, default)
        if not in_event:
            column = column.take(trace_index)
        name = key if in_event else "case:" + key
        if name in columns:
            return None
        columns[name] = column
    for required in ("case:concept:name", "concept:name", "time:timestamp"):
        if required not in columns or columns[required].null_count:
            return None
    return columns


def _typed(text: pa.Array, kinds: set[int], default: tuple[str, str] | None) -> tuple[pa.Array, Any] | None:
    """The values in their type (ints with floats read as floats, as r4pm does), and the global
    default as a scalar of that type; None when a value or the default cannot be read so."""
    names = {_ATTRIBUTES[k] for k in kinds}
    if names == {"int", "float"}:
        names = {"float"}
    if len(names) != 1:
        return None
    [name] = names
    target = _TYPES[name][0]
    try:
        if name == "boolean" and not pc.all(pc.is_in(text, pa.array(["true", "false"]))).as_py():
            return None
        column = text.cast(target)
        scalar = None
        if default is not None:
            if default[0] != name and {default[0], name} != {"int", "float"}:
                return None
            scalar = pa.array([default[1]]).cast(target)[0]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return column, scalar


def _header(head: bytes) -> tuple[dict[str, dict[str, tuple[str, str]]], str] | None:
    """The ``<global>`` defaults ({"trace"|"event": {key: (type, text)}}) and the log's metadata as
    JSON with the fields r4pm gives; None when the header is not plain UTF-8 XES."""
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        return None
    declaration = head[:200].lower()
    if b"encoding=" in declaration and b"utf-8" not in declaration:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)
    try:
        root = etree.fromstring(head + b"</log>", parser)
    except etree.XMLSyntaxError:
        return None
    if _local(root.tag) != "log":
        return None
    defaults: dict[str, dict[str, tuple[str, str]]] = {"trace": {}, "event": {}}
    meta: dict[str, Any] = {"xes_version": root.get("xes.version"), "extensions": [], "classifiers": [],
                            "log_attributes": [], "global_trace_attrs": [], "global_event_attrs": []}
    for child in root:
        name = _local(child.tag) if isinstance(child.tag, str) else ""
        if name == "extension":
            meta["extensions"].append({k: child.get(k) for k in ("name", "prefix", "uri")})
        elif name == "classifier":
            meta["classifiers"].append({"name": child.get("name"), "keys": (child.get("keys") or "").split()})
        elif name == "global" and child.get("scope") in defaults:
            scope = child.get("scope")
            for attribute in child:
                kind = _local(attribute.tag) if isinstance(attribute.tag, str) else ""
                key, value = attribute.get("key"), attribute.get("value")
                if kind in _TYPES and key is not None and value is not None:
                    defaults[scope][key] = (kind, value)
                meta[f"global_{scope}_attrs"].append(_attribute_json(attribute))
        elif name in _TYPES or name in ("list", "container"):
            meta["log_attributes"].append(_attribute_json(child))
        elif name:
            return None  # e.g. a trace written another way than <trace>
    return defaults, json.dumps(meta, ensure_ascii=False)


def _attribute_json(element: Any) -> dict[str, Any]:
    kind = _local(element.tag)
    children = [_attribute_json(c) for c in element if isinstance(c.tag, str) and _local(c.tag) != "values"]
    for values in (c for c in element if isinstance(c.tag, str) and _local(c.tag) == "values"):
        children.extend(_attribute_json(c) for c in values if isinstance(c.tag, str))
    type_name = _TYPES[kind][1] if kind in _TYPES else kind.capitalize()
    content: Any = element.get("value")
    if kind in ("list", "container"):
        content, children = children, []
    return {"key": element.get("key"), "value": {"type": type_name, "content": content},
            "own_attributes": children or None}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
