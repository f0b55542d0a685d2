"""What an import did: counts, the rows or events it skipped and why, and notes on choices made.

Kept apart from the readers so every format reports the same way, as text for people and as a
plain dict for ``--format json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal

from liucheng.core.errors import ValidationError
from liucheng.eventlog.errors import LogFormatError

OnError = Literal["fail", "skip"]
#: Called with (bytes read so far, total bytes) while a file is read.
Progress = Callable[[int, int], None]
#: How many skipped items the text form lists before summarising the rest.
SHOWN_IN_TEXT: Final = 20


@dataclass(frozen=True)
class Skipped:
    """One row, event or trace left out: where it was and why."""

    reason: str
    line: int | None = None
    row: int | None = None
    element: str | None = None
    field: str | None = None

    @classmethod
    def from_error(cls, exc: LogFormatError, *, element: str | None = None) -> Skipped:
        return cls(reason=_bare_message(exc), line=exc.line, row=exc.row, element=element, field=exc.field)

    def where(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.element is not None:
            parts.append(self.element)
        if self.field is not None:
            parts.append(f"[{self.field}]")
        return " ".join(parts) or "?"


def _bare_message(exc: LogFormatError) -> str:
    """The message without the ``file:line [field]:`` prefix LogFormatError adds."""
    head, sep, rest = exc.message.partition(": ")
    return rest if sep and exc.file is not None and head.startswith(exc.file) else exc.message


@dataclass
class ImportReport:
    """Counts and skipped items of one import; ``events_read - events_kept`` were dropped."""

    source: str
    format: str
    events_read: int = 0
    events_kept: int = 0
    cases: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    #: The column mapping used (CSV, Parquet): canonical name -> source column.
    mapping: dict[str, str] = field(default_factory=dict)
    #: The export recognised from the header (``zendesk``, ``jira``, ``servicenow``), if any.
    sniffed: str | None = None
    #: Choices made on the user's behalf worth knowing (reader used, date format guessed, ...).
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped_count"] = len(self.skipped)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def render_text(self) -> str:
        lines = [f"{self.source} ({self.format}): {self.events_kept} of {self.events_read} events kept, "
                 f"{self.cases} cases"]
        if self.sniffed:
            lines.append(f"recognised a {self.sniffed} export")
        if self.mapping:
            lines.append("mapping: " + ", ".join(f"{k}={v}" for k, v in self.mapping.items()))
        lines.extend(f"note: {note}" for note in self.notes)
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)}:")
            lines.extend(f"  {item.where()}: {item.reason}" for item in self.skipped[:SHOWN_IN_TEXT])
            if len(self.skipped) > SHOWN_IN_TEXT:
                lines.append(f"  ... and {len(self.skipped) - SHOWN_IN_TEXT} more (see --format json)")
        return "\n".join(lines)


def check_on_error(on_error: str) -> OnError:
    if on_error not in ("fail", "skip"):
        raise ValidationError(f"unknown value {on_error!r}", where="on_error", hint="use 'fail' or 'skip'")
    return on_error  # type: ignore[return-value]
