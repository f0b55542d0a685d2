"""Streaming IEEE 1849-2016 XES writer.

Written by hand rather than through a tree so that memory stays flat however long the log is:
text goes out in chunks as events arrive. Only the set of case ids already closed is kept, to
refuse a case that comes back after its trace was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal

from liucheng.eventlog._io import open_binary_out, wants_gzip
from liucheng.eventlog.errors import LogWriteError
from liucheng.eventlog.schema import (
    XES_CONCEPT_NAME,
    XES_EVENT_KEYS,
    XES_GROUP,
    XES_LIFECYCLE,
    XES_RESOURCE,
    XES_TIMESTAMP,
    CaseSource,
    LogCase,
    LogEvent,
    WriteSummary,
    case_lookup,
)
from liucheng.eventlog.values import NaiveInstantError, format_float, format_instant, xes_type_of

XES_NAMESPACE: Final = "http://www.xes-standard.org/"

_HEADER: Final = f"""<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="{XES_NAMESPACE}">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
\t<global scope="trace">
\t\t<string key="concept:name" value="__INVALID__"/>
\t</global>
\t<global scope="event">
\t\t<string key="concept:name" value="__INVALID__"/>
\t\t<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
\t</global>
\t<classifier name="Activity" keys="concept:name"/>
\t<string key="concept:name" value="liucheng export"/>
"""
# Only attributes every trace/event is guaranteed to carry are declared global: the standard
# reads a global as a promise, and lifecycle/resource/group are optional here.

#: Characters that need an entity in an attribute value, plus those XML 1.0 cannot hold at all.
_SPECIAL: Final = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_ENTITIES: Final = {
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
    # Raw tabs and newlines in an attribute are normalised to spaces by every XML parser.
    "\t": "&#9;", "\n": "&#10;", "\r": "&#13;",
}
_FLUSH_PARTS: Final = 8192


class _XesWriter:
    def __init__(self, sink: BinaryIO, *, invalid_chars: Literal["replace", "error"]) -> None:
        self._sink = sink
        self._parts: list[str] = [_HEADER]
        self._strict = invalid_chars == "error"
        self.replaced = 0
        self._case_id: str | None = None

    def _escape(self, text: str) -> str:
        if _SPECIAL.search(text) is None:
            return text
        return _SPECIAL.sub(self._entity, text)

    def _entity(self, match: re.Match[str]) -> str:
        char = match.group()
        entity = _ENTITIES.get(char)
        if entity is not None:
            return entity
        if self._strict:
            raise LogWriteError(
                f"character U+{ord(char):04X} cannot appear in an XML 1.0 document",
                case_id=self._case_id,
                hint="clean the text, or pass invalid_chars='replace' to write U+FFFD instead",
            )
        self.replaced += 1
        return "\ufffd"

    def attribute(self, indent: str, key: str, value: Any) -> None:
        xes_type = xes_type_of(value)
        if xes_type is None:
            if value is None:
                return
            raise LogWriteError(
                f"value of type {type(value).__name__} has no XES type",
                case_id=self._case_id, field=key,
                hint="use str, int, float, bool, an aware datetime or uuid.UUID",
            )
        if xes_type == "string":
            text = self._escape(value)
        elif xes_type == "date":
            try:
                text = format_instant(value)
            except NaiveInstantError as exc:
                raise LogWriteError(str(exc), case_id=self._case_id, field=key,
                                    hint="attach a time zone, e.g. value.replace(tzinfo=UTC)") from None
        elif xes_type == "boolean":
            text = "true" if value else "false"
        elif xes_type == "float":
            text = format_float(value)
        else:
            text = str(value)
        self._parts.append(f'{indent}<{xes_type} key="{self._escape(key)}" value="{text}"/>\n')

    def open_trace(self, case_id: str, case: LogCase | None) -> None:
        self._case_id = case_id
        self._parts.append(f'\t<trace>\n\t\t<string key="concept:name" value="{self._escape(case_id)}"/>\n')
        if case is not None:
            for key, value in case.attributes.items():
                if key == XES_CONCEPT_NAME:
                    raise LogWriteError("a case attribute may not be called concept:name",
                                        case_id=case_id, field=key, hint="the case id is written there")
                self.attribute("\t\t", key, value)

    def close_trace(self) -> None:
        self._parts.append("\t</trace>\n")

    def event(self, event: LogEvent) -> None:
        parts = self._parts
        parts.append(
            f'\t\t<event>\n\t\t\t<string key="{XES_CONCEPT_NAME}" value="{self._escape(event.activity)}"/>\n'
            f'\t\t\t<date key="{XES_TIMESTAMP}" value="{format_instant(event.timestamp)}"/>\n'
        )
        for key, value in ((XES_LIFECYCLE, event.lifecycle), (XES_RESOURCE, event.resource),
                           (XES_GROUP, event.group)):
            if value is not None:
                parts.append(f'\t\t\t<string key="{key}" value="{self._escape(value)}"/>\n')
        for key, value in event.attributes.items():
            if key in XES_EVENT_KEYS:
                raise LogWriteError(
                    "an event attribute repeats a standard XES key", case_id=event.case_id, field=key,
                    hint="set it through the LogEvent fields activity, timestamp, lifecycle, resource, group",
                )
            self.attribute("\t\t\t", key, value)
        parts.append("\t\t</event>\n")
        if len(parts) >= _FLUSH_PARTS:
            self.flush()

    def flush(self) -> None:
        self._sink.write("".join(self._parts).encode("utf-8"))
        self._parts.clear()

    def finish(self) -> None:
        self._parts.append("</log>\n")
        self.flush()


def write_xes(
    events: Iterable[LogEvent],
    cases: CaseSource,
    out: BinaryIO | Path | str,
    *,
    gzip: bool | None = None,
    invalid_chars: Literal["replace", "error"] = "replace",
) -> WriteSummary:
    """Write events as an XES log, one trace per case, streaming.

    ``events`` must come grouped by case (e.g. ordered by case id, then seq); a case that comes
    back after its trace was closed raises LogWriteError. ``cases`` gives each case's attributes.
    A path ending in ``.gz`` is gzip-compressed unless ``gzip`` says otherwise. Characters XML 1.0
    cannot hold (most C0 controls, lone surrogates) become U+FFFD and are counted, or raise with
    ``invalid_chars="error"``. Cases without events are not written.
    """
    lookup = case_lookup(cases)
    closed: set[str] = set()
    current: str | None = None
    n_events = 0
    with open_binary_out(out, gzip=wants_gzip(out, gzip)) as sink:
        writer = _XesWriter(sink, invalid_chars=invalid_chars)
        for event in events:
            if event.case_id != current:
                if current is not None:
                    writer.close_trace()
                    closed.add(current)
                current = event.case_id
                if current in closed:
                    raise LogWriteError(
                        "the case reappears after its trace was closed", case_id=current,
                        hint="XES groups events by case: iterate them ordered by case id, then seq",
                    )
                writer.open_trace(current, lookup(current))
            writer.event(event)
            n_events += 1
        if current is not None:
            writer.close_trace()
            closed.add(current)
        writer.finish()
    return WriteSummary(cases=len(closed), events=n_events, replaced_chars=writer.replaced)
