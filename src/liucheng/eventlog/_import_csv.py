"""CSV → EventTable with pyarrow.csv: encodings, delimiter and export sniffing, per-row errors.

The file is read whole (exports of service desks are megabytes, not gigabytes), decoded once to
check the encoding with the byte offset of any bad byte, and parsed by pyarrow with every column
as text; ``_import_table`` then types the timestamps and checks the rows. Line numbers of bad
rows are found with a second, Python-level pass over the text, only when there are bad rows.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.csv as pv

from liucheng.core.errors import ValidationError
from liucheng.eventlog._import_report import ImportReport, OnError, Progress, Skipped
from liucheng.eventlog._import_sniff import proposed_mapping, sniff
from liucheng.eventlog._import_table import TimeOptions, apply_mapping, to_event_table
from liucheng.eventlog.errors import LogFormatError
from liucheng.eventlog.table import EventTable

_CHUNK: Final = 1 << 22
_DELIMITERS: Final = (",", ";", "\t", "|")
#: Share of non-ASCII characters that must be Chinese before we believe a GB18030 guess.
_CJK_SHARE: Final = 0.8


def import_csv(path: Path, *, mapping: Mapping[str, str] | None, times: TimeOptions, encoding: str | None,
               delimiter: str | None, on_error: OnError, progress: Progress | None,
               report: ImportReport) -> EventTable:
    """Read a CSV export (plain or gzip) into an EventTable, filling ``report``."""
    data = _decode(read_bytes(path, progress), path, encoding, report)
    first_line = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    if not first_line.strip():
        raise LogFormatError("the file is empty" if not data.strip() else "the first line is empty", file=path,
                             line=1, hint="the first line must be the header")
    delimiter = delimiter or max(_DELIMITERS, key=first_line.count)
    header = next(csv.reader([first_line], delimiter=delimiter))
    duplicates = sorted({n for n in header if header.count(n) > 1})
    if duplicates:
        raise LogFormatError(f"column {duplicates[0]!r} appears twice in the header", file=path, line=1,
                             field=duplicates[0], hint="rename one of them")
    profile = sniff(header)
    chosen = dict(mapping or {})
    null_values = [""]
    if profile is not None:
        report.sniffed = profile.name
        report.notes.append(f"recognised: {profile.description}")
        chosen = {**proposed_mapping(profile, header), **chosen}
        null_values.extend(profile.null_values)
    report.mapping = chosen
    invalid: list[Any] = []
    table = _parse(data, path, header, delimiter, null_values, invalid)
    lines = _LineIndex(data, delimiter, len(header))
    shapes = [Skipped(reason=f"{row.actual_columns} cells where the header has {row.expected_columns}", line=line)
              for row, line in zip(invalid, lines.invalid_lines(), strict=False)]
    table = apply_mapping(table, chosen, path)
    if on_error == "fail" and shapes:
        _fail_at_first(shapes[0], path, lambda: to_event_table(
            table, path=path, times=times, on_error=on_error, report=report, line_of=lines.lines_of))
    report.skipped.extend(shapes)
    result = to_event_table(table, path=path, times=times, on_error=on_error, report=report, line_of=lines.lines_of)
    report.events_read += len(invalid)
    return result


def _fail_at_first(shape: Skipped, path: Path, check_rows: Callable[[], object]) -> None:
    """Raise for whichever comes first in the file: the malformed row or a bad value before it."""
    try:
        check_rows()
    except LogFormatError as exc:
        if exc.line is not None and shape.line is not None and exc.line < shape.line:
            raise
    raise LogFormatError(shape.reason, file=path, line=shape.line,
                         hint="check the delimiter and the quoting of this row")


def read_bytes(path: Path, progress: Progress | None) -> bytes:
    """The file's bytes, gunzipped when it is gzip, telling ``progress`` the bytes read."""
    total = path.stat().st_size
    parts: list[bytes] = []
    try:
        with open(path, "rb") as raw:
            source: Any = gzip.GzipFile(fileobj=raw, mode="rb") if raw.peek(2)[:2] == b"\x1f\x8b" else raw
            while chunk := source.read(_CHUNK):
                parts.append(chunk)
                if progress is not None:
                    progress(raw.tell(), total)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise LogFormatError(f"the compressed data is truncated or corrupt ({exc})", file=path,
                             hint="the download or copy was probably cut short; fetch the file again") from None
    return b"".join(parts)


def _decode(data: bytes, path: Path, encoding: str | None, report: ImportReport) -> bytes:
    """The text as UTF-8 bytes without a byte-order mark; a wrong encoding names byte and line."""
    if encoding is None:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8):]
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        else:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                text = _try_decode(data, "gb18030")
                if text is None or not _looks_chinese(text):
                    raise _encoding_error(data, exc, "UTF-8", path, "pass the encoding: encoding='latin-1' "
                                          "(--encoding), or save the file as UTF-8") from None
                report.notes.append("decoded as GB18030 (the file is not UTF-8); pass encoding= to choose another")
                return text.encode("utf-8")
            return data
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValidationError(f"unknown encoding {encoding!r}", where="encoding",
                              hint="use utf-8, utf-8-sig, gb18030, gbk, utf-16 or latin-1") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        guess = "gb18030" if _try_decode(data, "gb18030") is not None else "utf-8"
        raise _encoding_error(data, exc, encoding, path, f"the file may be {guess}: pass encoding='{guess}'") from None
    return text.removeprefix("\ufeff").encode("utf-8")


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _looks_chinese(text: str) -> bool:
    """GB18030 decodes most byte soups; believe it only when the result reads as Chinese."""
    wide = [c for c in text if ord(c) > 127]
    cjk = sum(1 for c in wide if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef")
    return bool(wide) and cjk >= _CJK_SHARE * len(wide)


def _encoding_error(data: bytes, exc: UnicodeDecodeError, encoding: str, path: Path, hint: str) -> LogFormatError:
    line = data.count(b"\n", 0, exc.start) + 1
    return LogFormatError(f"not {encoding} text: byte {exc.start} (0x{data[exc.start]:02x}) cannot be decoded",
                          file=path, line=line, hint=hint)


def _parse(data: bytes, path: Path, header: list[str], delimiter: str, null_values: list[str],
           invalid: list[Any]) -> pa.Table:
    """All rows as text; rows with the wrong number of cells go to ``invalid`` and are left out."""
    def on_invalid(row: Any) -> str:
        invalid.append(row)
        return "skip"

    try:
        return pv.read_csv(
            io.BytesIO(data),
            read_options=pv.ReadOptions(block_size=1 << 24),
            parse_options=pv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid,
                                          newlines_in_values=True),
            convert_options=pv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()),
                                              null_values=null_values, strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        raise LogFormatError(f"broken CSV: {str(exc).removeprefix('CSV parse error: ')}", file=path,
                             hint="check the delimiter and the quoting") from None


class _LineIndex:
    """Line numbers of data rows, from a Python csv pass made only when asked."""

    def __init__(self, data: bytes, delimiter: str, width: int) -> None:
        self.data, self.delimiter, self.width = data, delimiter, width
        self._good: list[int] | None = None
        self._bad: list[int] = []

    def _scan(self) -> None:
        if self._good is not None:
            return
        self._good = []
        reader = csv.reader(io.StringIO(self.data.decode("utf-8"), newline=""), delimiter=self.delimiter)
        next(reader, None)
        for cells in reader:
            if not cells:
                continue
            (self._good if len(cells) == self.width else self._bad).append(reader.line_num)

    def lines_of(self, rows: list[int]) -> dict[int, int | None]:
        """{row: line} for 0-based rows of the parsed table (rows with a wrong width are not counted)."""
        self._scan()
        assert self._good is not None
        return {r: self._good[r] if r < len(self._good) else None for r in rows}

    def invalid_lines(self) -> list[int]:
        self._scan()
        return self._bad
