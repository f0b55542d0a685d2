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
takes the checked r4pm path (and from there our streaming reader, which names the line). Bytes
that are not UTF-8 and an ``&`` that starts no entity raise ``Damaged``: r4pm would read over
them, so the caller goes straight to the streaming reader. Text between elements is skipped, as
XML readers skip it.
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
_TYPE_NAMES: Final = {name: r4pm_name for name, (_, r4pm_name) in _TYPES.items()}
#: Structural tokens, exact: the whole tag up to its '>'.
_TRACE, _END_TRACE, _EVENT, _END_EVENT, _END_LOG = range(5)
_STRUCTURE: Final = (b"<trace>", b"</trace>", b"<event>", b"</event>", b"</log>")
#: Attribute tokens start with these (kind 5 + index in _ATTRIBUTES).
_PREFIXES: Final = tuple(f'<{name} key="'.encode() for name in _ATTRIBUTES)
_FIRST_ATTRIBUTE: Final = len(_STRUCTURE)
_BETWEEN: Final = b'" value="'
_BLOCK: Final = 1 << 21
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
    if buffer[buffer.rfind(b"<", 0, size):size].rstrip() != b"</log>":
        return None  # cut, or something after the end of the log
    header = _header(bytes(buffer[:start]))
    if header is None:
        return None
    defaults, meta = header
    tokens = _tokens(buffer, start, size)
    if tokens is None:
        return None
    kind, spans = tokens
    structure = _structure(kind)
    if structure is None:
        return None
    owner, level, trace_of_event, n_events, n_traces = structure
    attribute = kind >= _FIRST_ATTRIBUTE
    strings = _keys(buffer, spans)
    if strings is None:
        return None
    ampersands = buffer.count(b"&", start, size) if buffer.find(b"&", start, size) >= 0 else 0
    columns = _columns(*strings, kind[attribute] - _FIRST_ATTRIBUTE, owner[attribute], level[attribute],
                       defaults, trace_of_event, n_events, n_traces, ampersands)
    if columns is None:
        return None
    return pa.table(columns), meta


def _tokens(buffer: bytes | bytearray, start: int, size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Per '<' token of ``buffer[start:size]`` its kind and, for attributes, the four offsets (key
    start, key end, value start, value end); None when a token has another shape.

    Text between elements is not looked at (XML readers skip it too); it cannot hide a '<' or a
    quote, as every token must be followed by the next '<' after exactly its own quotes. Done in
    blocks that start at a '<', so the temporary arrays stay in cache.
    """
    padded = np.frombuffer(buffer, dtype=np.uint8)
    words = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded.data, strides=(1,))
    kinds: list[np.ndarray] = []
    spans: list[np.ndarray] = []
    low = start
    while low < size:
        high = buffer.find(b"<", min(low + _BLOCK, size), size)
        high = size if high < 0 else high
        block = _block_tokens(padded, words, low, high)
        if block is None:
            return None
        kinds.append(block[0])
        spans.append(block[1])
        low = high
    kind, span = np.concatenate(kinds), np.concatenate(spans)
    return (kind, span) if len(span) else None


def _block_tokens(padded: np.ndarray, words: np.ndarray, low: int, high: int) -> tuple[np.ndarray, np.ndarray] | None:
    chunk = padded[low:high]
    is_special = chunk == ord("<")
    is_special |= chunk == ord('"')
    special = np.flatnonzero(is_special).astype(np.int32)
    where_lt = np.flatnonzero(chunk[special] == ord("<"))
    special += np.int32(low)
    lt = special[where_lt]
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
#: Per kind: how it changes the nesting level, and the level it must come at (-1: 1 or 2).
_STEP: Final = np.array([1, -1, 1, -1, 0] + [0] * len(_PREFIXES), dtype=np.int32)
_LEVEL: Final = np.array([0, 1, 1, 2, 0] + [-1] * len(_PREFIXES), dtype=np.int32)


def _structure(kind: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int] | None:
    """Per token its owner (event or trace number) and level (1 in a trace, 2 in an event), the
    trace of every event, and the counts; None unless traces hold events hold attributes and the
    body ends with ``</log>``."""
    step = _STEP[kind]
    level = np.cumsum(step, dtype=np.int32) - step
    expected = _LEVEL[kind]  # -1 for attributes: 1 or 2
    if not ((level == expected) | ((expected < 0) & (level >= 1) & (level <= 2))).all():
        return None
    if kind[-1] != _END_LOG or np.count_nonzero(kind == _END_LOG) != 1:
        return None
    is_trace, is_event = kind == _TRACE, kind == _EVENT
    trace_number = np.cumsum(is_trace, dtype=np.int32) - 1
    event_number = np.cumsum(is_event, dtype=np.int32) - 1
    n_events, n_traces = int(event_number[-1]) + 1, int(trace_number[-1]) + 1
    if n_events == 0:
        return None
    owner = np.where(level == 2, event_number, trace_number)
    return owner, level, trace_number[is_event], n_events, n_traces


def _keys(buffer: bytes | bytearray, spans: np.ndarray) -> tuple[pa.StringArray, pa.DictionaryArray] | None:
    """Every key and value as an Arrow string array over the buffer (element ``4 i`` is the key of
    attribute ``i``, ``4 i + 2`` its value, as written), and the keys dictionary-encoded; None when
    a key holds a tab, a line break or an entity. Raises ``Damaged`` for a key that is not UTF-8."""
    sliced = pa.StringArray.from_buffers(len(spans) - 1, pa.py_buffer(spans), pa.py_buffer(buffer))
    keys = pc.dictionary_encode(sliced.take(pa.array(np.arange(0, len(spans), 4))))
    names = keys.dictionary
    _check_utf8(names)
    if _has_control(names) or pc.any(pc.match_substring(names, "&")).as_py():
        return None
    return sliced, keys


def _check_utf8(strings: pa.Array) -> None:
    try:
        strings.validate(full=True)
    except pa.ArrowInvalid:
        raise Damaged("the file is not valid UTF-8") from None


def _has_control(strings: pa.Array) -> bool:
    """Whether a tab or line break is in ``strings`` (XML would make it a space in a value)."""
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[strings.offset:]
    text = np.frombuffer(strings.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[len(strings)]]
    return bool(_CONTROL[text].any())


def _text(values: pa.Array, entities: bool) -> tuple[pa.Array | None, int]:
    """String values checked (UTF-8, no tab or line break) with the five named XML entities resolved,
    and how many '&' they held; None for a numeric entity or a tab or line break. Raises
    ``Damaged`` for bytes that are not UTF-8 and a '&' starting no entity."""
    _check_utf8(values)
    if _has_control(values):
        return None, 0
    if not entities:
        return values, 0
    ampersands = pc.sum(pc.count_substring(values, "&")).as_py() or 0
    if not ampersands:
        return values, 0
    for entity, char in _ENTITIES:
        values = pc.replace_substring(values, entity, char)
    left = pc.sum(pc.count_substring(values, "&")).as_py() or 0
    escaped = pc.sum(pc.count_substring(values, "&amp;")).as_py() or 0
    numeric = pc.sum(pc.count_substring(values, "&#")).as_py() or 0
    if left != escaped + numeric:
        raise Damaged("a '&' in a value starts no XML entity")
    if numeric:
        return None, 0
    return pc.replace_substring(values, "&amp;", "&"), ampersands


def _columns(sliced: pa.StringArray, keys: pa.DictionaryArray, types: np.ndarray, owners: np.ndarray,
             levels: np.ndarray, defaults: dict[str, dict[str, tuple[str, str]]], trace_of_event: np.ndarray,
             n_events: int, n_traces: int, ampersands: int) -> dict[str, pa.Array] | None:
    """One column per key and level (``case:<key>`` for trace attributes), typed, with the global
    defaults filled in; None when a key has two types or comes twice in one element, a value does
    not read as its type, an '&' is outside the values, or a case, name or time is missing."""
    names = keys.dictionary.to_pylist()
    if 2 * len(names) >= np.iinfo(np.int16).max:
        return None
    group = keys.indices.to_numpy().astype(np.int16) * np.int16(2) + (levels - 1).astype(np.int16)
    order = np.argsort(group, kind="stable")  # a radix sort on int16
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    trace_index = pa.array(trace_of_event)
    columns: dict[str, pa.Array] = {}
    seen = 0
    for positions in np.split(order, bounds):
        code = int(group[positions[0]])
        key, in_event = names[code // 2], code % 2 == 1
        rows = owners[positions]
        if len(rows) > 1 and not (np.diff(rows) > 0).all():
            return None  # the key twice in one trace or event
        scope = "event" if in_event else "trace"
        kinds = {_ATTRIBUTES[k] for k in np.unique(types[positions]).tolist()}
        text = sliced.take(pa.array(4 * positions + 2))
        if kinds <= {"string", "id"}:
            text, count = _text(text, ampersands > 0)
            if text is None:
                return None
            seen += count
        column = _typed(text, kinds, defaults[scope].get(key))
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
    if seen != ampersands:
        return None  # an '&' between elements, or in a value that is not text
    for required in ("case:concept:name", "concept:name", "time:timestamp"):
        if required not in columns or columns[required].null_count:
            return None
    return columns


def _typed(text: pa.Array, names: set[str], default: tuple[str, str] | None) -> tuple[pa.Array, Any] | None:
    """The values in their type (ints with floats read as floats, as r4pm does), and the global
    default as a scalar of that type; None when a value or the default cannot be read so."""
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
    """An attribute element as r4pm writes it in its JSON: key, typed value, nested attributes."""
    kind = element.tag.rpartition("}")[2]
    children = []
    for child in element.iterchildren(tag=etree.Element):
        if child.tag.endswith("values"):
            children.extend(_attribute_json(c) for c in child.iterchildren(tag=etree.Element))
        else:
            children.append(_attribute_json(child))
    if kind in ("list", "container"):
        return {"key": element.get("key"), "value": {"type": kind.capitalize(), "content": children},
                "own_attributes": None}
    type_name = _TYPE_NAMES.get(kind) or kind.capitalize()
    return {"key": element.get("key"), "value": {"type": type_name, "content": element.get("value")},
            "own_attributes": children or None}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
