"""Streaming XES reader: one ``Trace`` at a time, elements cleared as soon as they are read.

Handles XES 1.0 (OpenXES) and IEEE 1849-2016 files, plain or gzip, with or without the XES
namespace. Nested attributes keep their own value and drop their children; list and container
attributes are skipped. Log-level attributes, globals and classifiers are not returned.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

from lxml import etree

from liucheng.eventlog._io import open_binary_in
from liucheng.eventlog.errors import LogFormatError
from liucheng.eventlog.schema import (
    XES_CONCEPT_NAME,
    XES_GROUP,
    XES_LIFECYCLE,
    XES_RESOURCE,
    XES_TIMESTAMP,
    LogCase,
    LogEvent,
    Trace,
)
from liucheng.eventlog.values import NaiveInstantError, parse_value

_NS: Final = "{http://www.xes-standard.org/}"
_TAGS: Final = ("trace", "event", f"{_NS}trace", f"{_NS}event")
_SCALAR_TYPES: Final = frozenset({"string", "date", "int", "float", "boolean", "id"})
_SKIPPED_TYPES: Final = frozenset({"list", "container", "values"})


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        #: Events of the open trace, without their case id: the trace's name may come after them.
        self.events: list[tuple[Any, ...]] = []

    def error(self, message: str, element: Any, field: str | None, hint: str) -> LogFormatError:
        return LogFormatError(message, file=self.path, line=element.sourceline, field=field, hint=hint)

    def attributes(self, element: Any) -> Iterator[tuple[str, Any, Any]]:
        """(key, typed value, child element) for each scalar attribute directly under ``element``."""
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):  # comments and processing instructions
                continue
            kind = _local(tag)
            if kind not in _SCALAR_TYPES:
                if kind in _SKIPPED_TYPES or kind == "event":
                    continue
                raise self.error(
                    f"unexpected element <{kind}>", child, None,
                    "XES attributes are string, date, int, float, boolean, id, list or container",
                )
            key = child.get("key")
            text = child.get("value")
            if key is None or text is None:
                missing = "key" if key is None else "value"
                raise self.error(f"<{kind}> has no {missing}= attribute", child, key,
                                 f'write it as <{kind} key="..." value="..."/>')
            yield key, self.value(kind, key, text, child), child

    def value(self, kind: str, key: str, text: str, child: Any) -> Any:
        try:
            return parse_value(kind, text)
        except NaiveInstantError:
            raise self.error(f"date-time {text!r} has no time zone", child, key,
                             "XES dates need an offset, e.g. 2024-03-01T09:00:00.000+08:00 or ...Z") from None
        except ValueError as exc:
            if kind == "id":
                # ids in the wild are not always UUIDs; keep the text rather than refuse the log.
                return text
            raise self.error(
                f"{text!r} is not a valid {kind}: {exc}", child, key,
                f"fix the value or declare the attribute with another type than {kind}",
            ) from None

    def event(self, element: Any) -> tuple[Any, ...]:
        activity = timestamp = lifecycle = resource = group = None
        extra: dict[str, Any] = {}
        for key, value, child in self.attributes(element):
            if key == XES_CONCEPT_NAME:
                activity = child.get("value")
            elif key == XES_TIMESTAMP:
                if _local(child.tag) != "date":
                    raise self.error("time:timestamp must be a <date>", child, key,
                                     'write <date key="time:timestamp" value="...">')
                timestamp = value
            elif key == XES_LIFECYCLE:
                lifecycle = child.get("value")
            elif key == XES_RESOURCE:
                resource = child.get("value")
            elif key == XES_GROUP:
                group = child.get("value")
            else:
                extra[key] = value
        if activity is None:
            raise self.error("event has no concept:name", element, XES_CONCEPT_NAME,
                             "every event needs an activity name")
        if timestamp is None:
            raise self.error("event has no time:timestamp", element, XES_TIMESTAMP,
                             "every event needs a time; logs without one cannot be imported")
        return activity, timestamp, lifecycle, resource, group, extra

    def trace(self, element: Any) -> Trace:
        case_id = None
        attrs: dict[str, Any] = {}
        for key, value, child in self.attributes(element):
            if key == XES_CONCEPT_NAME:
                case_id = child.get("value")
            else:
                attrs[key] = value
        if case_id is None:
            raise self.error("trace has no concept:name", element, XES_CONCEPT_NAME,
                             "every trace needs its case id in concept:name")
        events = [LogEvent(case_id, *fields) for fields in self.events]
        self.events = []
        return Trace(LogCase(case_id, attrs), events)


#: Told about an event or trace left out: the error, "event" or "trace", and how many events went.
SkipHandler = Callable[[LogFormatError, str, int], None]


def read_xes(path: Path | str, *, on_skip: SkipHandler | None = None) -> Iterator[Trace]:
    """Yield ``Trace(case, events)`` for each trace of an XES file (plain or gzip).

    Streams: memory holds one trace at a time. Timestamps come back aware in UTC, whatever offset
    the file used; a date without an offset raises LogFormatError with its line. Broken XML,
    truncated or corrupt gzip raise LogFormatError too (after the traces read before the damage).

    With ``on_skip``, a bad event (no name, bad date) or trace (no case id) is handed to it and
    left out instead of raising; damage to the XML or the gzip stream still raises.
    """
    path = Path(path)
    reader = _Reader(path)
    last_line: int | None = None
    try:
        with open_binary_in(path) as source:
            parser = etree.iterparse(
                source, events=("end",), tag=_TAGS, huge_tree=True, remove_comments=True,
                resolve_entities=False, no_network=True,
            )
            for _, element in parser:
                last_line = element.sourceline
                if _local(element.tag) == "event":
                    parent = element.getparent()
                    if parent is not None and _local(parent.tag) == "trace":
                        try:
                            reader.events.append(reader.event(element))
                        except LogFormatError as exc:
                            if on_skip is None:
                                raise
                            on_skip(exc, "event", 1)
                    element.clear()
                    continue
                try:
                    trace: Trace | None = reader.trace(element)
                except LogFormatError as exc:
                    if on_skip is None:
                        raise
                    on_skip(exc, "trace", len(reader.events))
                    reader.events = []
                    trace = None
                parent = element.getparent()
                element.clear()
                # Drop the traces already read from the <log> element, or the tree keeps growing.
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
                if trace is not None:
                    yield trace
    except etree.XMLSyntaxError as exc:
        # With entities left unresolved, an undeclared one surfaces as "no element found" at line
        # 0; the parser's log then holds the real error with its place (its last entry).
        line, message = exc.lineno, exc.msg
        last = exc.error_log.last_error if exc.error_log else None
        if not line and last is not None and last.line:
            line, message = last.line, last.message
        hint = "the file is damaged or not XES; check it with xmllint --noout"
        if "Entity '" in message and "not defined" in message:
            hint = ("XML knows only &lt; &gt; &amp; &quot; &apos; and numeric references: write &#160; "
                    "for &nbsp;, or the character itself")
        raise LogFormatError(f"not well-formed XML: {message}", file=path, line=line, hint=hint) from None
    except (EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
            raise LogFormatError(str(exc), file=path, hint="check the path and its permissions") from None
        raise LogFormatError(
            f"the compressed data is truncated or corrupt ({exc})", file=path, line=last_line,
            hint="the download or copy was probably cut short; fetch the file again",
        ) from None
