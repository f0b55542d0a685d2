"""Keeping the analytics mirror (a DuckDB file) up to date with the store, incrementally by ``seq``.

Each run reads the events the store gained since the last one and appends the business events
(those with an activity) to the mirror, refreshes the summaries of the cases they belong to, and
moves the mirror's position, all in one DuckDB transaction: an interrupted run leaves the mirror
as it was.

On PostgreSQL concurrent transactions can commit their ``seq`` numbers out of order: when a run
reads up to ``seq`` 120, a transaction holding 118 may still be open. Every ``seq`` missing below
the position is therefore remembered as a gap and read again by the next runs, until it appears
or has been missing for ``GAP_GRACE_S`` seconds (then it was a rolled-back transaction: sequences
never give a number back). SQLite commits one writer at a time, so its gaps are only rollbacks.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa

from liucheng.core.errors import ValidationError
from liucheng.eventlog.mirror import MIRROR_FORMAT, SCHEMA, SUFFIX, MirrorError, connect, meta
from liucheng.services.platform import Platform
from liucheng.store.feed import CASE_COLUMNS, EVENT_COLUMNS, case_rows, count_business_after, event_rows, seqs_after

#: How long a missing ``seq`` is waited for before it counts as a rollback.
GAP_GRACE_S: Final = 300.0
#: A hole wider than this is not tracked seq by seq (no transaction writes that many events).
MAX_GAP_WIDTH: Final = 100_000
#: Case summaries are read all at once instead of by id when more than this share of the mirrored
#: cases changed.
_ALL_CASES_SHARE: Final = 0.2


@dataclass(frozen=True)
class MirrorSummary:
    path: Path
    source: str
    events_added: int
    cases_updated: int
    last_seq: int
    events_total: int
    cases_total: int
    pending_gaps: int
    seconds: float
    rebuilt: bool

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "path": str(self.path)}


def default_mirror_path(database_url: str) -> Path:
    """``x.db`` → ``x.mirror.duckdb`` beside it; for a server database ``liucheng.mirror.duckdb`` here."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).with_suffix(".mirror" + SUFFIX)
    return Path("liucheng.mirror" + SUFFIX)


def sync_mirror(platform: Platform, path: Path | str, *, rebuild: bool = False,
                progress: Callable[[int, int], None] | None = None,
                wall: Callable[[], float] = time.time) -> MirrorSummary:
    """Bring the mirror at ``path`` up to date with the store (create it on the first run).

    ``rebuild`` starts it again from the first event. ``progress(read, total)`` hears how many
    stored events have been read. ``wall`` is the clock the gap grace period is measured on.
    """
    started = time.perf_counter()
    path = Path(path)
    if path.suffix.lower() != SUFFIX:
        raise ValidationError(f"a mirror is a DuckDB file named *{SUFFIX}, not {path.name!r}", where="--to",
                              hint=f"choose a name ending in {SUFFIX}")
    if not path.parent.exists():
        raise ValidationError(f"folder {str(path.parent)!r} does not exist", where="--to",
                              hint="create it or choose another path")
    source = platform.store.engine.url.render_as_string(hide_password=True)
    con = connect(path, read_only=False)
    try:
        _run(con, "BEGIN TRANSACTION")
        info = meta(con)
        if info and not rebuild:
            _check_compatible(info, source, path)
        if rebuild:
            for table in ("events", "cases", "mirror_meta"):
                _run(con, f"DROP TABLE IF EXISTS {table}")
            info = {}
        for statement in SCHEMA:
            _run(con, statement)
        position = int(info.get("last_seq", 0))
        gaps = {int(seq): since for seq, since in json.loads(info.get("gaps", "{}")).items()}
        now = wall()
        gaps = {seq: since for seq, since in gaps.items() if now - since < GAP_GRACE_S}
        added, touched, position, gaps = _copy_events(platform, con, position, gaps, now, progress)
        cases_updated = _refresh_cases(platform, con, touched, everything=not info)
        _write_meta(con, {"format": str(MIRROR_FORMAT), "source": source, "last_seq": str(position),
                          "gaps": json.dumps({str(s): t for s, t in sorted(gaps.items())}),
                          "synced_at": str(now)})
        events_total = _count(con, "events")
        cases_total = _count(con, "cases")
        _run(con, "COMMIT")
    except BaseException:
        _rollback(con)
        raise
    finally:
        con.close()
    return MirrorSummary(path=path, source=source, events_added=added, cases_updated=cases_updated,
                         last_seq=position, events_total=events_total, cases_total=cases_total,
                         pending_gaps=len(gaps), seconds=time.perf_counter() - started, rebuilt=rebuild)


def _run(con: Any, sql: str, parameters: list[Any] | None = None) -> None:
    """Execute and finish one statement (DuckDB wants a result read before the next statement)."""
    con.execute(sql, parameters).fetchall()


def _count(con: Any, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _rollback(con: Any) -> None:
    import duckdb

    with contextlib.suppress(duckdb.Error):  # no transaction open: the failure came before it began
        _run(con, "ROLLBACK")


def _check_compatible(info: dict[str, str], source: str, path: Path) -> None:
    if info.get("format") != str(MIRROR_FORMAT):
        raise MirrorError(f"mirror format {info.get('format')}, this version writes {MIRROR_FORMAT}", file=path,
                          hint="rebuild it with `liucheng events mirror --rebuild`")
    if info.get("source") != source:
        raise MirrorError(f"this mirror follows {info.get('source')}, not {source}", file=path,
                          hint="choose another file with --to, or start it again with --rebuild")


def _copy_events(platform: Platform, con: Any, position: int, gaps: dict[int, float], now: float,
                 progress: Callable[[int, int], None] | None) -> tuple[int, set[str], int, dict[int, float]]:
    """Append the new business events; returns (added, cases touched, new position, open gaps).

    Every ``seq`` above the oldest awaited one is read first (integers only): the awaited ones
    that turned up are filled, and the numbers missing above the position become awaited. Then
    the business events up to the highest ``seq`` seen are read with their columns. A transaction
    that commits between the two reads shows up in the second only: its events are taken and its
    numbers are no longer awaited.
    """
    low = min([position, *(seq - 1 for seq in gaps)])
    awaited = set(gaps)
    with platform.store.unit_of_work(read_only=True) as uow:
        expected = low + 1  # the next seq a gap-free log would hold
        for rows in seqs_after(uow.connection, low):
            seqs = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
            if gaps:
                for seq in seqs[np.isin(seqs, np.fromiter(gaps, dtype=np.int64, count=len(gaps)))].tolist():
                    del gaps[seq]
            gaps.update((seq, now) for seq in _holes(expected, seqs) if seq > position)
            expected = int(seqs[-1]) + 1
        highest = max(position, expected - 1)
        added, read, touched = 0, 0, set()
        total = count_business_after(uow.connection, low, highest) if progress is not None else 0
        for rows in event_rows(uow.connection, after_seq=low, up_to=highest):
            columns = dict(zip(EVENT_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
            seqs = np.asarray(columns["seq"], dtype=np.int64)
            # New: above the position, or one that was awaited. Everything else is mirrored already.
            keep = seqs > position
            if awaited:
                keep |= np.isin(seqs, np.fromiter(awaited, dtype=np.int64, count=len(awaited)))
            for seq in seqs[keep].tolist():
                gaps.pop(seq, None)
            touched.update(case for case, new in zip(columns["case_id"], keep.tolist(), strict=True) if new)
            added += _append(con, columns, keep)
            read += len(rows)
            if progress is not None:
                progress(read, total)
    return added, touched, highest, gaps


def _holes(expected: int, seqs: np.ndarray) -> list[int]:
    """The seqs missing from ``expected`` up to the last of ``seqs`` (ascending)."""
    previous = np.concatenate(([expected - 1], seqs[:-1]))
    holes: list[int] = []
    for before, after in zip(previous[seqs - previous > 1].tolist(), seqs[seqs - previous > 1].tolist(), strict=True):
        if after - before - 1 <= MAX_GAP_WIDTH:
            holes.extend(range(before + 1, after))
    return holes


def _append(con: Any, columns: dict[str, list[Any]], keep: np.ndarray) -> int:
    if not keep.any():
        return 0
    batch = pa.table({
        "seq": pa.array(columns["seq"], pa.int64()),
        "case_id": pa.array(columns["case_id"], pa.string()),
        "activity": pa.array(columns["activity"], pa.string()),
        "lifecycle": pa.array(columns["lifecycle"], pa.string()),
        "resource": pa.array(columns["resource"], pa.string()),
        "group": pa.array(columns["group"], pa.string()),
        "timestamp": pa.array(columns["at_us"], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "event_type": pa.array(columns["event_type"], pa.string()),
        "task_id": pa.array(columns["task_id"], pa.string()),
        "element_id": pa.array(columns["element_id"], pa.string()),
        "data": pa.array(columns["data"], pa.string()),
    }).filter(pa.array(keep))
    con.register("mirror_batch", batch)
    try:
        _run(con, 'INSERT INTO events SELECT seq, case_id, activity, lifecycle, resource, "group", timestamp, '
                    "event_type, task_id, element_id, data::JSON FROM mirror_batch")
    finally:
        con.unregister("mirror_batch")
    return batch.num_rows


def _refresh_cases(platform: Platform, con: Any, touched: set[str], *, everything: bool) -> int:
    if not touched and not everything:
        return 0
    mirrored = _count(con, "cases")
    read_all = everything or len(touched) > _ALL_CASES_SHARE * max(mirrored, 1)
    updated = 0
    with platform.store.unit_of_work(read_only=True) as uow:
        for rows in case_rows(uow.connection, None if read_all else sorted(touched)):
            if not rows:
                continue
            columns = dict(zip(CASE_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
            batch = pa.table({
                **{name: pa.array(columns[name], pa.string()) for name in
                   ("case_id", "process_key", "status", "category", "priority", "customer", "title",
                    "parent_case_id")},
                "process_version": pa.array(columns["process_version"], pa.int32()),
                "opened_at": pa.array(columns["opened_at_us"], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
                "closed_at": pa.array(columns["closed_at_us"], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            })
            con.register("mirror_cases", batch)
            try:
                _run(con, "INSERT OR REPLACE INTO cases SELECT case_id, process_key, process_version, status, "
                            "category, priority, customer, title, parent_case_id, opened_at, closed_at "
                            "FROM mirror_cases")
            finally:
                con.unregister("mirror_cases")
            updated += batch.num_rows
    # Reading every summary is cheaper than asking for many by id; the cases that changed are the touched ones.
    return updated if everything else len(touched)


def _write_meta(con: Any, values: dict[str, str]) -> None:
    for key, value in values.items():
        _run(con, "INSERT OR REPLACE INTO mirror_meta VALUES (?, ?)", [key, value])

