"""Column types shared by the tables and the migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from liucheng.core.clock import require_aware
from liucheng.core.errors import ValidationError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant that goes in aware and always comes out aware UTC.

    PostgreSQL keeps it as ``timestamptz``. SQLite has no date type, so it is stored as integer
    microseconds since the Unix epoch: exact, compact, and ordered the same way as the instants.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise ValidationError(
                f"expected a datetime, got {type(value).__name__} {value!r}",
                where="database column",
                hint="pass an aware datetime such as datetime.now(UTC)",
            )
        value = require_aware(value, "database column")
        if dialect.name == "sqlite":
            return (value - _EPOCH) // _MICRO
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, int):
            return _EPOCH + timedelta(microseconds=value)
        if value.tzinfo is None:
            # Only reachable if someone wrote a naive value by hand; the column means UTC.
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
