"""Instants go in aware and come out the same instant in UTC, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from liucheng.core.errors import ValidationError
from liucheng.engine import decode_state, encode_state
from liucheng.store import Store
from liucheng.store.tables import process_definitions
from tests.store.engine_cases import T0, open_case

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(instants=st.lists(instants, min_size=1, max_size=5))
def test_instants_round_trip_exactly_and_come_back_in_utc(store: Store, instants: list[datetime]) -> None:
    with store.unit_of_work() as uow:
        start = uow.connection.execute(select(process_definitions.c.version)).scalars().all()
        base = max(start, default=0)
        for i, instant in enumerate(instants, start=base + 1):
            uow.definitions.add("p", i, "P", "<x/>", "h", instant, "ann")
        back = [uow.definitions.get("p", i).deployed_at for i in range(base + 1, base + 1 + len(instants))]
    assert back == instants  # the same instants (aware comparison)
    assert all(b.tzinfo is UTC for b in back)
    assert [b.isoformat() for b in back] == [i.astimezone(UTC).isoformat() for i in instants]


def test_order_in_the_database_is_the_order_of_instants(store: Store) -> None:
    shanghai = timezone(timedelta(hours=8))
    early = datetime(2026, 3, 2, 8, 30, tzinfo=shanghai)  # 00:30 UTC
    late = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with store.unit_of_work() as uow:
        uow.definitions.add("p", 1, "P", "<x/>", "h", late, "ann")
        uow.definitions.add("p", 2, "P", "<x/>", "h", early, "ann")
        ordered = (
            uow.connection.execute(
                select(process_definitions.c.version).order_by(process_definitions.c.deployed_at)
            )
            .scalars()
            .all()
        )
    assert ordered == [2, 1]


def test_a_naive_datetime_is_refused_with_a_hint(store: Store) -> None:
    with store.unit_of_work() as uow:
        state = open_case(uow, "C-1", T0)
    naive = decode_state(encode_state(state))
    naive.closed_at = datetime(2026, 3, 2, 9, 0)  # what a careless caller might pass
    with pytest.raises(ValidationError, match="naive") as caught, store.unit_of_work() as uow:
        uow.cases.save(naive, [], expected_version=1, now=T0)
    assert caught.value.hint and "offset" in caught.value.hint
    with pytest.raises(ValidationError, match="naive"), store.unit_of_work() as uow:
        uow.definitions.add("p", 1, "P", "<x/>", "h", datetime(2026, 1, 1), "ann")
