"""Errors for reading and writing event logs: each names the file, the place and the field."""

from __future__ import annotations

from pathlib import Path

from liucheng.core.errors import LiuchengError


class LogFormatError(LiuchengError):
    """An input log is broken or does not fit the canonical schema.

    ``line`` is the 1-based line in a text file (XES, CSV); ``row`` the 1-based data row in a
    table (CSV, Parquet). Either may be unknown, e.g. for a truncated gzip stream.
    """

    code = "invalid_log"

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None,
        line: int | None = None,
        row: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.row = row
        self.field = field
        where = self.file or "<stream>"
        if line is not None:
            where += f":{line}"
        if row is not None:
            where += f" (row {row})"
        if field is not None:
            where += f" [{field}]"
        super().__init__(f"{where}: {message}", hint=hint)

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data.update(file=self.file, line=self.line, row=self.row, field=self.field)
        return data


class LogWriteError(LiuchengError):
    """Events handed to a writer cannot be written as asked (order, types, names)."""

    code = "invalid_log_export"

    def __init__(
        self,
        message: str,
        *,
        case_id: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.case_id = case_id
        self.field = field
        parts = []
        if case_id is not None:
            parts.append(f"case {case_id!r}")
        if field is not None:
            parts.append(f"field {field!r}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message, hint=hint)
