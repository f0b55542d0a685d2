"""The bridge from engine events, the LogEvent invariants and the pinned public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import liucheng.eventlog as eventlog
from liucheng.core.errors import ValidationError
from liucheng.engine.events import Event, EventType, Lifecycle
from liucheng.eventlog import CSV_COLUMNS, LogEvent, from_engine_event

SHANGHAI = timezone(timedelta(hours=8))


def test_business_event_becomes_a_log_event_with_its_ids_and_scalar_data() -> None:
    event = Event(
        case_id="WO-1", type=EventType.TASK_COMPLETED, at=datetime(2024, 3, 1, 9, 30, tzinfo=SHANGHAI),
        activity="登记", lifecycle=Lifecycle.COMPLETE, resource="张三", group="客服一组", task_id="t-7",
        element_id="Task_Register",
        data={"priority": 2, "vip": True, "due": datetime(2024, 3, 2, tzinfo=UTC), "form": {"a": 1},
              "tags": ["x"], "activity": "shadow", "case:x": "shadow"},
    )
    log_event = from_engine_event(event, seq=42)
    assert log_event == LogEvent(
        "WO-1", "登记", datetime(2024, 3, 1, 1, 30, tzinfo=UTC), "complete", "张三", "客服一组",
        {"priority": 2, "vip": True, "due": datetime(2024, 3, 2, tzinfo=UTC), "seq": 42,
         "event_type": "task.completed", "task_id": "t-7", "element_id": "Task_Register"},
    )
    assert type(log_event.lifecycle) is str  # a plain value, as it will read back from any file


def test_internal_events_are_left_out_unless_asked_for() -> None:
    event = Event(case_id="WO-1", type=EventType.TOKEN_MOVED, at=datetime(2024, 3, 1, tzinfo=UTC))
    assert from_engine_event(event, seq=1) is None
    included = from_engine_event(event, seq=1, include_internal=True)
    assert included is not None
    assert included.activity == "token.moved"
    assert included.attributes == {"seq": 1, "event_type": "token.moved"}


def test_log_event_timestamps_are_utc_and_never_naive() -> None:
    event = LogEvent("c", "a", datetime(2024, 3, 1, 9, tzinfo=SHANGHAI))
    assert event.timestamp.tzinfo is UTC and event.timestamp.hour == 1
    with pytest.raises(ValidationError):
        LogEvent("c", "a", datetime(2024, 3, 1, 9))


def test_csv_columns_are_the_documented_order() -> None:
    assert CSV_COLUMNS == ("case_id", "activity", "timestamp", "lifecycle", "resource", "group")


def test_public_api_is_pinned() -> None:
    assert sorted(eventlog.__all__) == sorted([
        "CASE_PREFIX", "CSV_COLUMNS", "XES_CASE_ID", "XES_CONCEPT_NAME", "XES_GROUP", "XES_LIFECYCLE",
        "XES_RESOURCE", "XES_TIMESTAMP", "XES_TYPES", "LogCase", "LogEvent", "LogFormatError", "LogRow",
        "LogWriteError", "Trace", "WriteSummary", "from_engine_event", "read_csv", "read_parquet", "read_xes",
        "write_csv", "write_parquet", "write_xes",
    ])
    assert all(hasattr(eventlog, name) for name in eventlog.__all__)


def test_eventlog_sources_import_no_database_or_web_framework() -> None:
    forbidden = {"sqlalchemy", "typer", "fastapi", "psycopg"}
    for source in Path(eventlog.__file__).parent.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not {n.split(".")[0] for n in names} & forbidden, (source.name, names)


def test_importing_eventlog_does_not_load_the_engine() -> None:
    code = "import sys, liucheng.eventlog; print('liucheng.engine' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
