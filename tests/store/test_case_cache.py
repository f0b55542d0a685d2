"""The store's memory of the case states it saved: only committed states go in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liucheng.engine import AddComment, OpenCase, step
from liucheng.store import Store, open_store
from liucheng.store.cases import CaseCache
from liucheng.store.rows import NewerVersionError
from tests.store.engine_cases import CTX, T0, apply, open_case


def _comment(store: Store, case_id: str, text: str) -> None:
    with store.unit_of_work() as uow:
        state, version, _ = uow.cases.load(case_id)
        new_state, events = step(state, AddComment(text=text, by="ann"), T0, CTX, owned=True)
        uow.cases.save(new_state, events, expected_version=version, now=T0)


def test_a_committed_save_is_remembered_and_steps_without_a_read(store: Store) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
    _comment(store, "C-1", "one")
    with store.unit_of_work() as uow:
        state, version, remembered = uow.cases.load("C-1")
        assert remembered and version == 2
        assert state == uow.cases.get("C-1")


def test_rolled_back_work_is_not_remembered(store: Store) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        apply(uow, "C-1", AddComment(text="lost", by="ann"), T0)
        raise RuntimeError("after the save")
    with store.unit_of_work() as uow:
        _state, version, remembered = uow.cases.load("C-1")
        assert (version, remembered) == (1, False)
        assert not [e for e in uow.events.for_case("C-1") if e.type == "comment.added"]


def test_a_rolled_back_savepoint_forgets_what_it_saved(store: Store) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
        open_case(uow, "C-2", T0)
    with store.unit_of_work() as uow:
        apply(uow, "C-1", AddComment(text="kept", by="ann"), T0)
        savepoint = uow.savepoint()
        apply(uow, "C-2", AddComment(text="undone", by="ann"), T0)
        savepoint.rollback()
        # within the unit of work too, C-2 is read from the database again
        state, version, remembered = uow.cases.load("C-2")
        assert (version, remembered) == (1, False) and state == uow.cases.get("C-2")
    with store.unit_of_work() as uow:
        assert uow.cases.load("C-1")[1:] == (2, True)
        assert uow.cases.load("C-2")[1:] == (1, False)


def test_commit_points_hand_over_what_they_made_durable(store: Store) -> None:
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
        uow.commit_point()
        open_case(uow, "C-2", T0)
        raise RuntimeError("after the commit point")
    with store.unit_of_work() as uow:
        assert uow.cases.load("C-1")[1:] == (1, True)
        assert not uow.cases.exists("C-2")


def test_a_stale_memory_writes_nothing(store_url: str) -> None:
    """Another store (process) moved the case on: the save from memory is refused whole."""
    with open_store(store_url) as first, open_store(store_url) as second:
        with first.unit_of_work() as uow:
            open_case(uow, "C-1", T0)
        _comment(second, "C-1", "from second")
        with first.unit_of_work() as uow:
            state, version, remembered = uow.cases.load("C-1")
            assert (version, remembered) == (1, True)
            new_state, events = step(state, AddComment(text="stale", by="ann"), T0, CTX, owned=True)
            with pytest.raises(Exception, match="version 2, not 1"):
                uow.cases.save(new_state, events, expected_version=version, now=T0, alone=True)
        with first.unit_of_work() as uow:
            texts = [e.data["text"] for e in uow.events.for_case("C-1") if e.type == "comment.added"]
            assert texts == ["from second"]
            assert uow.cases.list()[0].event_count == len(uow.events.for_case("C-1"))


def test_a_lone_write_leaves_the_connection_in_transactions(store: Store) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
    _comment(store, "C-1", "one")
    with store.unit_of_work() as uow:
        state, version, _ = uow.cases.load("C-1")
        new_state, events = step(state, AddComment(text="two", by="ann"), T0, CTX, owned=True)
        uow.cases.save(new_state, events, expected_version=version, now=T0, alone=True)
    # the pooled connection is lent out again: a unit of work that fails leaves nothing behind
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        open_case(uow, "C-2", T0 + timedelta(seconds=1))
        raise RuntimeError("after the insert")
    with store.unit_of_work() as uow:
        assert [r.case_id for r in uow.cases.list()] == ["C-1"]
        assert uow.cases.list()[0].row_version == 3


def test_a_case_opens_only_on_the_newest_version(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.definitions.add("ticket", 1, "Ticket", "<bpmn/>", "h1", T0, "ann")
        uow.definitions.add("ticket", 2, "Ticket", "<bpmn/>", "h2", T0, "ann")
    state, events = step(None, OpenCase(case_id="C-1", process_key="ticket"), T0, CTX)
    assert state.process_version == 1
    with pytest.raises(NewerVersionError, match="newer version than 1"), store.unit_of_work() as uow:
        uow.cases.insert(state, events, T0, alone=True)
    with store.unit_of_work() as uow:
        assert not uow.cases.exists("C-1")


def test_the_cache_keeps_its_size() -> None:
    cache = CaseCache(size=3)
    for n in range(5):
        cache.put(f"C-{n}", b"{}", 1)
    assert len(cache) == 3 and cache.take("C-0") is None and cache.take("C-4") == (b"{}", 1)
    off = CaseCache(size=0)
    off.put("C-1", b"{}", 1)
    assert off.take("C-1") is None
