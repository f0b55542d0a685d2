"""A child process for the multi-process tests: ``python -m tests.store.worker MODE URL ...``.

conflict URL CASE_ID DIR: load the case, say so, wait for DIR/go, then try to save; prints
    ``won`` or ``conflict``.
load URL PREFIX: open cases and work them forever, one unit of work per step, printing each
    case id once it is stored; the parent kills it with SIGKILL.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from liucheng.core.errors import ConflictError
from liucheng.engine import AddComment, ClaimTask, CompleteTask, step
from liucheng.store import open_store
from tests.store.engine_cases import CTX, T0, apply, open_case, task_id


def conflict(url: str, case_id: str, folder: Path) -> None:
    store = open_store(url, create=False)
    with store.unit_of_work() as uow:
        state, version = uow.cases.get_for_update(case_id)
    new_state, events = step(state, AddComment(text=f"from {folder.name}", by="bob"), T0, CTX)
    (folder / f"loaded-{os.getpid()}").touch()
    deadline = time.monotonic() + 60
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("parent never said go")
        time.sleep(0.01)
    try:
        with store.unit_of_work() as uow:
            uow.cases.save(new_state, events, expected_version=version, now=T0)
    except ConflictError:
        print("conflict", flush=True)
    else:
        print("won", flush=True)


def load(url: str, prefix: str) -> None:
    store = open_store(url, create=False)
    n = 0
    while True:
        n += 1
        case_id = f"{prefix}-{n}"
        now = T0 + timedelta(seconds=n)
        with store.unit_of_work() as uow:
            state = open_case(uow, case_id, now, title=f"case {n}")
        register = task_id(state, "register")
        for command in (
            AddComment(text="first look", by="ann"),
            ClaimTask(task_id=register, by="ann"),
            CompleteTask(task_id=register, by="ann"),
        ):
            with store.unit_of_work() as uow:
                apply(uow, case_id, command, now)
        print(case_id, flush=True)


if __name__ == "__main__":
    mode, url, *rest = sys.argv[1:]
    if mode == "conflict":
        conflict(url, rest[0], Path(rest[1]))
    elif mode == "load":
        load(url, rest[0])
    else:
        raise SystemExit(f"unknown mode {mode}")
