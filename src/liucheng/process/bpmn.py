"""Read BPMN 2.0 files as bpmn.io and Camunda Modeler (7 and 8) save them.

``read_bpmn`` returns one ``ProcessDefinition`` per executable process, or raises
``ModelError`` listing every problem in the file at once: XML faults with line and column,
unsupported elements with the supported alternative, and everything ``validate`` finds.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from lxml import etree

from liucheng.process._bpmn_process import IGNORED, DocumentRefs, ProcessReader
from liucheng.process._xmlns import BPMN, BPMNDI, local_name, namespace_of, q
from liucheng.process.spec import ProcessDefinition
from liucheng.process.validate import ModelError, Problem, has_errors, validate

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
#: File-level elements a process may reference; they are part of its identity for hashing.
_SHARED = ("message", "escalation", "error", "signal")


def read_bpmn(source: str | bytes | Path, *, filename: str | None = None) -> list[ProcessDefinition]:
    """Definitions of the executable processes in ``source``; raise ``ModelError`` on any error.

    ``source`` is a path, the file's bytes, or its text (a ``str`` starting with ``<``). Warnings
    (e.g. a node that cannot reach an end event) do not stop the read; ``check_bpmn`` lists them.
    """
    definitions, problems, name = _read(source, filename)
    if has_errors(problems):
        raise ModelError(problems, filename=name)
    return definitions


def check_bpmn(source: str | bytes | Path, *, filename: str | None = None) -> list[Problem]:
    """Every problem in ``source``, errors and warnings, without raising."""
    return _read(source, filename)[1]


def _read(
    source: str | bytes | Path, filename: str | None
) -> tuple[list[ProcessDefinition], list[Problem], str | None]:
    data, name, problem = _load(source, filename)
    if problem is not None:
        return [], [problem], name
    root, problem = _parse(data)
    if problem is not None:
        return [], [problem], name
    problems: list[Problem] = []
    if root.tag != q(BPMN, "definitions"):
        hint = "export the diagram as BPMN 2.0 XML from bpmn.io or Camunda Modeler"
        problems.append(
            Problem(None, f"not a BPMN 2.0 file: the root element is <{local_name(root.tag)}>", hint, 1)
        )
        return [], problems, name
    problems.extend(_duplicate_ids(root))
    refs = DocumentRefs(
        messages={m.get("id", ""): m.get("name") or None for m in root.iterfind(q(BPMN, "message"))},
        escalations={
            e.get("id", ""): e.get("escalationCode") or e.get("name") or None
            for e in root.iterfind(q(BPMN, "escalation"))
        },
    )
    participants = {p.get("processRef"): p for p in root.iter(q(BPMN, "participant"))}
    definitions: list[ProcessDefinition] = []
    for process in _executable_processes(root):
        participant = participants.get(process.get("id"))
        reader = ProcessReader(
            process, refs, name_fallback=participant.get("name") if participant is not None else None
        )
        result = reader.read(source_hash=_process_hash(root, process, participant))
        problems.extend(result.problems)
        problems.extend(validate(result.definition, opaque=result.opaque))
        definitions.append(result.definition)
    if not definitions:
        problems.append(
            Problem(
                None, "the file has no process", "draw at least a start event, a task and an end event", None
            )
        )
    return definitions, problems, name


def _load(source: str | bytes | Path, filename: str | None) -> tuple[bytes, str | None, Problem | None]:
    if isinstance(source, str) and source.lstrip().startswith("<"):
        # lxml refuses text that still declares an encoding, and the text is already decoded.
        return _XML_DECLARATION.sub("", source, count=1).encode("utf-8"), filename, None
    if isinstance(source, bytes):
        return source, filename, None
    path = Path(source)
    name = filename or str(path)
    try:
        return path.read_bytes(), name, None
    except OSError as exc:
        return b"", name, Problem(None, f"cannot read {path}: {exc.strerror or exc}", "check the path", None)


def _parse(data: bytes) -> tuple[etree._Element, Problem | None]:
    parser = etree.XMLParser(
        remove_blank_text=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser), None
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        message = (exc.msg or str(exc)).strip()
        return etree.Element("empty"), Problem(
            None, f"XML is not well formed: {message}", _xml_hint(data, message, line), line, column=column
        )


def _xml_hint(data: bytes, message: str, line: int | None) -> str:
    lowered = message.lower()
    if not data.strip():
        return "the file is empty: save or export it again from the modeler"
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "this is not a text file: export the diagram as BPMN 2.0 XML"
    if "utf-8" in lowered or "encoding" in lowered or ("char" in lowered and "range" in lowered):
        return "save the file as UTF-8, or declare its real encoding in the <?xml ... encoding=...?> line"
    if "start tag expected" in lowered:
        return "this is not XML: export the diagram as BPMN 2.0 XML (UTF-8) from the modeler"
    # An error on the last line means the parser ran out of input: the file was cut short.
    if "premature end" in lowered or "end of data" in lowered or (line or 0) >= data.count(b"\n") + 1:
        return "the file is cut off: save or export it again from the modeler"
    return "fix the XML at that line and column, or export the diagram again from the modeler"


def _duplicate_ids(root: etree._Element) -> list[Problem]:
    seen: dict[str, int | None] = {}
    problems = []
    for el in root.iter():
        if namespace_of(el.tag) != BPMN or el.get("id") is None:
            continue
        eid = el.get("id", "")
        if eid in seen:
            problems.append(
                Problem(
                    eid,
                    f"id {eid!r} is used twice (first at line {seen[eid]})",
                    "give each element its own id in the properties panel",
                    el.sourceline,
                )
            )
        else:
            seen[eid] = el.sourceline
    return problems


def _executable_processes(root: etree._Element) -> list[etree._Element]:
    processes = list(root.iterfind(q(BPMN, "process")))
    marked = [p for p in processes if p.get("isExecutable", "").strip().lower() == "true"]
    if marked:
        return marked
    # bpmn.io marks nothing executable by default; a drawn process is meant to run, an empty pool is not.
    return [
        p
        for p in processes
        if any(namespace_of(c.tag) == BPMN and local_name(c.tag) not in IGNORED for c in p)
    ]


def _process_hash(root: etree._Element, process: etree._Element, participant: etree._Element | None) -> str:
    """sha256 of what the process means: its XML and what it references, never the diagram layout."""
    digest = hashlib.sha256()
    parts = [process]
    parts.extend(c for c in root if local_name(c.tag) in _SHARED and namespace_of(c.tag) == BPMN)
    if participant is not None:
        parts.append(participant)
    for part in parts:
        if namespace_of(part.tag) == BPMNDI:
            continue
        digest.update(etree.tostring(part, method="c14n", exclusive=True, with_comments=False))
        digest.update(b"\0")
    return digest.hexdigest()
