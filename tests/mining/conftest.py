"""The shared real logs, each read once per test session.

``load_log("helpdesk")`` gives the ``EventTable`` (read with ``read_xes_table``);
``pm4py_frame("helpdesk")`` gives the same events as the pandas frame PM4Py expects (XES column
names), built from that one read, so that a comparison with PM4Py tests the algorithms and not
two XES readers. Both are cached for the session. The data folder is the first ``shared/data``
found above this file (``/work/shared/data`` from a worktree) or ``$LIUCHENG_SHARED_DATA``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest

from liucheng.eventlog.table import EventTable, read_xes_table

#: Log name -> path under the shared data folder.
LOGS: Final = {
    "bpic2013_incidents": "bpic2013_incidents/bpic2013_incidents.xes.gz",
    "bpic2013_closed_problems": "bpic2013_closed_problems/bpic2013_closed_problems.xes.gz",
    "helpdesk": "helpdesk/helpdesk.xes.gz",
    "bpic2012": "bpic2012/bpic2012.xes.gz",
    "road_traffic_fines": "road_traffic_fines/road_traffic_fines.xes.gz",
    "receipt_wabo": "receipt_wabo/receipt.xes.gz",
}
#: The logs small enough to read in a second or two.
SMALL_LOGS: Final = ("bpic2013_incidents", "bpic2013_closed_problems", "helpdesk", "receipt_wabo")
#: The big ones (bpic2012: 262k events, road traffic fines: 561k events).
BIG_LOGS: Final = ("bpic2012", "road_traffic_fines")

_PM4PY_COLUMNS: Final = {"case_id": "case:concept:name", "activity": "concept:name", "timestamp": "time:timestamp",
                         "lifecycle": "lifecycle:transition", "resource": "org:resource", "group": "org:group"}


def shared_data_dir() -> Path | None:
    """The shared data folder, or ``None`` when it is not on this machine."""
    if os.environ.get("LIUCHENG_SHARED_DATA"):
        return Path(os.environ["LIUCHENG_SHARED_DATA"])
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


def log_path(name: str) -> Path:
    """The path of shared log ``name``; skips the test when the data folder is absent."""
    folder = shared_data_dir()
    if folder is None or not (folder / LOGS[name]).exists():
        pytest.skip(f"shared log {name} not found (set LIUCHENG_SHARED_DATA to the data folder)")
    return folder / LOGS[name]


@pytest.fixture(scope="session")
def load_log() -> Callable[[str], EventTable]:
    """``load_log(name) -> EventTable`` for a log in ``LOGS``, read once per session."""
    cache: dict[str, EventTable] = {}

    def load(name: str) -> EventTable:
        if name not in cache:
            cache[name] = read_xes_table(str(log_path(name)))
        return cache[name]

    return load


@pytest.fixture(scope="session")
def pm4py_frame(load_log: Callable[[str], EventTable]) -> Callable[[str], Any]:
    """``pm4py_frame(name) -> pandas.DataFrame`` with the XES column names PM4Py reads, in file order."""
    cache: dict[str, Any] = {}

    def frame(name: str) -> Any:
        if name not in cache:
            df = load_log(name).table.select(list(_PM4PY_COLUMNS)).to_pandas()
            # Plain strings, not pandas categoricals: PM4Py groups on them.
            for column in ("activity", "lifecycle", "resource", "group"):
                df[column] = df[column].astype(object)
            cache[name] = df.rename(columns=_PM4PY_COLUMNS)
        return cache[name]

    return frame
