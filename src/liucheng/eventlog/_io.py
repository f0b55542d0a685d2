"""Opening log files: gzip by name or magic bytes, and no half-written file left behind."""

from __future__ import annotations

import gzip as gzip_module
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

_GZIP_MAGIC = b"\x1f\x8b"
#: Level 6 writes within a few percent of level 9's size at about three times the speed.
GZIP_LEVEL = 6


def wants_gzip(out: BinaryIO | Path | str, gzip: bool | None) -> bool:
    if gzip is not None:
        return gzip
    return isinstance(out, str | Path) and str(out).endswith(".gz")


@contextmanager
def open_binary_out(out: BinaryIO | Path | str, *, gzip: bool) -> Iterator[BinaryIO]:
    """A binary sink. A path is written to a sibling temporary file and renamed on success,
    so an export that fails half way (bad event order, bad value) leaves no truncated log."""
    if not isinstance(out, str | Path):
        if not gzip:
            yield out
            return
        with gzip_module.GzipFile(fileobj=out, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as zipped:
            yield zipped  # type: ignore[misc]
        return
    target = Path(out)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "wb") as raw:
            if gzip:
                with gzip_module.GzipFile(
                    filename=target.name.removesuffix(".gz"), fileobj=raw, mode="wb",
                    compresslevel=GZIP_LEVEL, mtime=0,
                ) as zipped:
                    yield zipped  # type: ignore[misc]
            else:
                yield raw
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def open_binary_in(path: Path) -> Iterator[BinaryIO]:
    """Open a file for reading, decompressing gzip whatever the file is called."""
    with open(path, "rb") as raw:
        if raw.peek(2)[:2] == _GZIP_MAGIC:
            with gzip_module.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped  # type: ignore[misc]
        else:
            yield raw
