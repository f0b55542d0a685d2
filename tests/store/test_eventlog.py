"""The event log: append-only in the database, ordered by seq, streamed in constant memory."""

from __future__ import annotations

import tracemalloc
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from liucheng.engine import CaseState, Event, EventType, Lifecycle
from liucheng.store import Store, open_store
from tests.store.engine_cases import T0, open_case


def _comment(case_id: str, i: int) -> Event:
    return Event(
        case_id=case_id,
        type=EventType.COMMENT_ADDED,
        at=T0 + timedelta(seconds=i),
        activity="Comment",
        lifecycle=Lifecycle.COMPLETE,
        resource="ann",
        group="agent",
        data={"text": f"note {i} 客户已回电", "i": i},
    )


def _bare_case(case_id: str) -> tuple[CaseState, Event]:
    opened = Event(case_id=case_id, type=EventType.CASE_OPENED, at=T0, data={"process_key": "p"})
    return CaseState(
        case_id=case_id, process_key="p", process_version=1, opened_at=T0, category="inquiry", priority="P3"
    ), opened


def test_events_read_back_equal_and_in_append_order(store: Store) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
        written = [_comment("C-1", i) for i in range(5)]
        first = uow.events.append(written[:2])
        rest = uow.events.append(written[2:])
    seqs = first + rest
    assert len(seqs) == 5 and seqs == sorted(seqs) and len(set(seqs)) == 5
    with store.unit_of_work(read_only=True) as uow:
        stored = uow.events.for_case("C-1")
        assert stored[-5:] == written
        assert stored[0].type is EventType.CASE_OPENED
        assert uow.events.max_seq() == seqs[-1]
        assert uow.events.count() == len(stored)
        assert [s for s, _ in uow.events.iter_all(after_seq=seqs[1])] == seqs[2:]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET activity = 'forged'",
        "UPDATE events SET at = at",
        "DELETE FROM events",
        "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)",
    ],
)
def test_the_database_refuses_to_change_or_delete_events(store: Store, statement: str) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
        before = uow.events.for_case("C-1")
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
        connection.execute(text(statement))
    with store.unit_of_work() as uow:
        events = uow.events.for_case("C-1")
    assert events == before and all(e.activity != "forged" for e in events)


def test_postgres_refuses_truncate_too(pg_url: str) -> None:
    store = open_store(pg_url)  # SQLite has no TRUNCATE, so this one is PostgreSQL's alone
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
        connection.execute(text("TRUNCATE events CASCADE"))


def test_seq_grows_past_a_rolled_back_append(store: Store) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
        [before] = uow.events.append([_comment("C-1", 0)])
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.events.append([_comment("C-1", 1)])
        raise RuntimeError("rolled back")
    with store.unit_of_work() as uow:
        [after] = uow.events.append([_comment("C-1", 2)])
    with store.unit_of_work() as uow:
        texts = [e.data["text"] for e in uow.events.for_case("C-1") if e.type == "comment.added"]
        assert uow.events.max_seq() == after > before
    assert texts == ["note 0 客户已回电", "note 2 客户已回电"]


N_CASES = 200
PER_CASE = 1_000


@pytest.mark.slow
def test_iter_all_streams_200k_events_in_bounded_memory(store: Store) -> None:
    with store.unit_of_work() as uow:
        for c in range(N_CASES):
            state, opened = _bare_case(f"C-{c:03d}")
            uow.cases.insert(state, [opened], T0)
    # Interleave the cases so "seq" order and "case" order really differ.
    for chunk in range(PER_CASE // 50):
        batch = [_comment(f"C-{c:03d}", chunk * 50 + i) for i in range(50) for c in range(N_CASES)]
        with store.unit_of_work() as uow:
            uow.events.append(batch)
    total = N_CASES * (PER_CASE + 1)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.events.count() == total
        # What holding 20k events costs, as a yardstick for what streaming must not do.
        tracemalloc.start()
        held = [e for _, e in zip(range(20_000), uow.events.iter_all(batch=20_000), strict=False)]
        per_event = tracemalloc.get_traced_memory()[1] / len(held)
        tracemalloc.stop()
        del held

        tracemalloc.start()
        count, last, checksum = 0, 0, 0
        for seq, event in uow.events.iter_all(batch=2_000):
            assert seq > last
            count, last = count + 1, seq
            checksum += event.data.get("i", 0)
        streaming_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

        previous = ("", 0)
        per_case: dict[str, int] = {}
        for seq, event in uow.events.iter_all(order="case", batch=5_000):
            assert (event.case_id, seq) > previous
            previous = (event.case_id, seq)
            per_case[event.case_id] = per_case.get(event.case_id, 0) + 1

    assert count == total
    assert checksum == N_CASES * sum(range(PER_CASE))
    assert per_case == {f"C-{c:03d}": PER_CASE + 1 for c in range(N_CASES)}
    # Materialising all 200k would take ~200k * per_event; streaming must stay a small fraction.
    assert streaming_peak < 0.1 * total * per_event, (streaming_peak, per_event)
