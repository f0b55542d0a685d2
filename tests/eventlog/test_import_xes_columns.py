"""The XES column reader: the same table as r4pm on regular files, and every other shape handed on.

The reference is r4pm (the Rust ``process_mining`` reader), run through the importer's own r4pm
path, and our lxml streaming reader: neither shares code with the column reader.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pyarrow as pa
import pytest
from tests.eventlog.test_import_xes import BIG_LOGS, CORE, DATA, EDGE, SMALL_LOGS

from liucheng.eventlog import LogFormatError, read_xes
from liucheng.eventlog._import_xes import _fast
from liucheng.eventlog.importing import import_log


def _regular_text() -> str:
    """The edge-case log without its list and nested attributes, with XML entities in a value."""
    text = EDGE.read_text(encoding="utf-8")
    text = re.sub(r'<list key="tags">.*?</list>\s*', "", text, flags=re.S)
    return re.sub(r'<string key="note" value="outer">.*?</string>',
                  '<string key="note" value="a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;"/>', text, flags=re.S)


def _write(tmp_path: Path, text: str, name: str = "log.xes") -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _assert_same_as_r4pm(path: Path) -> pa.Table:
    result = import_log(path)
    assert result.report.notes[0] == "read with the column reader"
    ours, theirs = result.table.table, _fast(path).table
    assert ours.schema == theirs.schema
    for name in ours.column_names:
        assert ours[name].equals(theirs[name]), name
    return ours


@pytest.mark.parametrize("name", SMALL_LOGS + [pytest.param(n, marks=pytest.mark.slow) for n in BIG_LOGS])
def test_real_logs_read_as_r4pm_reads_them(name: str) -> None:
    _assert_same_as_r4pm(DATA / name)


def test_types_globals_and_entities_as_r4pm_and_our_streaming_reader(tmp_path: Path) -> None:
    path = _write(tmp_path, _regular_text())
    table = _assert_same_as_r4pm(path)
    rows = table.to_pylist()
    assert rows[0]["note"] == "a & b <c> \"d\" 'e'"
    assert [r["resource"] for r in rows] == ["王芳", "UNKNOWN", "Li"]  # the global default where absent
    streamed = [(e.case_id, e.activity, e.timestamp, e.lifecycle, e.resource, e.group)
                for trace in read_xes(path) for e in trace.events]
    assert list(zip(*[table[c].to_pylist() for c in CORE], strict=True))[:1] == streamed[:1]
    assert next(iter(read_xes(path))).events[0].attributes["note"] == rows[0]["note"]


def _members(path: Path, text: str) -> Path:
    """``text`` gzipped as two members, split before the second trace (what ``cat a.gz b.gz`` makes)."""
    middle = text.index("<trace>", text.index("<trace>") + 1)
    path.write_bytes(gzip.compress(text[:middle].encode()) + gzip.compress(text[middle:].encode()))
    return path


def test_gzip_in_several_members_and_the_pm4py_spacing(tmp_path: Path) -> None:
    text = _regular_text().replace('"/>', '" />')
    plain = _assert_same_as_r4pm(_write(tmp_path, text))
    # r4pm reads only the first member of a gzip file; the column reader reads them all
    result = import_log(_members(tmp_path / "log.xes.gz", text))
    assert result.report.notes[0] == "read with the column reader"
    assert result.table.table.equals(plain)


def test_gzip_in_several_members_of_another_shape_goes_to_the_streaming_reader(tmp_path: Path) -> None:
    result = import_log(_members(tmp_path / "log.xes.gz", EDGE.read_text(encoding="utf-8")))
    assert "2 members" in result.report.notes[0]
    assert result.table.table["case_id"].to_pylist() == ["T-1", "T-1", "T-2"]


@pytest.mark.parametrize(("old", "new"), [
    ('<string key="priority" value="P1"/>', '<!-- a comment --><string key="priority" value="P1"/>'),
    ('<string key="priority" value="P1"/>', '<string key="priority" value="P&#49;"/>'),  # numeric entity
    ('<string key="priority" value="P1"/>', "<string key='priority' value='P1'/>"),
    ('<string key="priority" value="P1"/>', '<string value="P1" key="priority"/>'),
    ('<string key="priority" value="P1"/>', '<string key="priority" value="P\t1"/>'),  # XML makes it a space
    ('<int key="count" value="3"/>', '<int key="count" value="3"/><int key="count" value="4"/>'),  # twice
    ('<int key="count" value="3"/>', '<int key="count" value="3.5"/>'),  # not an int
    ('<float key="cost" value="1.5"/>', '<string key="count" value="three"/>'),  # two types
    ('<boolean key="urgent" value="true"/>', '<boolean key="urgent" value="yes"/>'),
    ("<trace>", '<trace id="x">'),
])
def test_other_shapes_are_handed_to_the_checked_r4pm_path(tmp_path: Path, old: str, new: str) -> None:
    text = _regular_text()
    assert old in text
    result = import_log(_write(tmp_path, text.replace(old, new, 1)))
    assert "column reader" not in result.report.notes[0]
    assert result.table.n_events == 3


def test_nested_and_list_attributes_go_to_r4pm() -> None:
    assert "r4pm" in import_log(EDGE).report.notes[0]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("2024-03-01T01:30:00Z", "2024-03-01T01:30:00", "no time zone"),  # r4pm would take it as UTC
    ('<string key="concept:name" value="派单"/>', "", "no concept:name"),  # r4pm would give a null
    ('<date key="time:timestamp" value="2024-03-01T01:30:00Z"/>', "", "no time:timestamp"),
    ('<string key="concept:name" value="T-2"/>', "", "no concept:name"),
])
def test_what_the_fast_readers_would_let_through_fails_with_the_line(tmp_path: Path, old: str, new: str,
                                                                      message: str) -> None:
    path = _write(tmp_path, _regular_text().replace(old, new, 1))
    with pytest.raises(LogFormatError, match=message) as caught:
        import_log(path)
    assert caught.value.line is not None
    assert "streaming" in import_log(path, on_error="skip").report.notes[0]


def test_a_cut_file_is_never_read_short(tmp_path: Path) -> None:
    text = _regular_text()
    cut = text[: text.index("</trace>", text.index("T-2"))]
    with pytest.raises(LogFormatError, match="not well-formed"):
        import_log(_write(tmp_path, cut))
    # a gzip stream cut after a whole trace: the column reader must not take the part for the whole
    data = gzip.compress(text.encode())
    path = tmp_path / "cut.xes.gz"
    path.write_bytes(data[:-12])
    with pytest.raises(LogFormatError, match="truncated or corrupt"):
        import_log(path)
    # a document that stops after a complete trace, without </log>
    with pytest.raises(LogFormatError):
        import_log(_write(tmp_path, text[: text.index("</log>")], "nolog.xes"))


def test_text_after_the_end_of_the_log_is_not_read_over(tmp_path: Path) -> None:
    path = _write(tmp_path, _regular_text().rstrip() + "\ntrailing text\n")
    with pytest.raises(LogFormatError, match="not well-formed"):
        import_log(path)
    result = import_log(path, on_error="skip")
    assert "streaming" in result.report.notes[0] and result.table.n_events == 3


def test_text_between_elements_is_skipped_as_xml_readers_skip_it(tmp_path: Path) -> None:
    path = _write(tmp_path, _regular_text().replace("<event>", "<event>stray text", 1))
    assert [e.activity for t in read_xes(path) for e in t.events] == ["登记", "派单", "登记"]
    assert import_log(path).table.table["activity"].to_pylist() == ["登记", "派单", "登记"]


@pytest.mark.parametrize(("old", "new", "problem"), [
    (b'value="P3"', b'value="P & 3"', b"starts no XML entity"),
    (b'value="P3"', b'value="P\xff"', b"not valid UTF-8"),
])
def test_damage_r4pm_would_read_over_goes_to_the_streaming_reader(tmp_path: Path, old: bytes, new: bytes,
                                                                   problem: bytes) -> None:
    path = tmp_path / "bad.xes"
    path.write_bytes(_regular_text().encode().replace(old, new, 1))
    with pytest.raises(LogFormatError) as caught:
        import_log(path)
    assert caught.value.line == _line_of(path, new)
    result = import_log(path, on_error="skip")  # the trace before the damage
    assert problem.decode() in result.report.notes[0]
    assert result.table.table["case_id"].to_pylist() == ["T-1", "T-1"]


def _line_of(path: Path, needle: bytes) -> int:
    return next(i for i, line in enumerate(path.read_bytes().splitlines(), 1) if needle in line)


def test_gunzip_into_one_buffer_agrees_with_the_gzip_module(tmp_path: Path) -> None:
    from liucheng.eventlog._import_xes import _PADDING, _read_whole

    payload = b"".join(b"<event>%d</event>\n" % i for i in range(1_500_000))  # over one 8 MB piece
    path = tmp_path / "x.gz"
    for data, members in [(gzip.compress(payload), 1), (gzip.compress(payload) + gzip.compress(b"tail"), 2),
                          (gzip.compress(b""), 1)]:
        path.write_bytes(data)
        read, counted = _read_whole(path, None)
        assert read is not None and counted == members
        assert bytes(read[:-_PADDING]) == gzip.decompress(data) and read[-_PADDING:] == bytes(_PADDING)
    for cut in (gzip.compress(payload)[:-9], gzip.compress(payload) + gzip.compress(b"tail")[:-3]):
        path.write_bytes(cut)
        assert _read_whole(path, None)[0] is None
