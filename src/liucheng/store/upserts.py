"""INSERT ... ON CONFLICT statements shared by SQLite and PostgreSQL (same syntax on both).

Written as typed ``text()`` because SQLAlchemy 2.0 cannot cache the dialects' ``on_conflict``
constructs and would recompile them on every step; ``text()`` compiles once per connection pool.
"""

from __future__ import annotations

from sqlalchemy import Table, TextClause, bindparam, text


def upsert(table: Table, key: str, *, update: bool = True, returning: str | None = None) -> TextClause:
    """Insert a row keyed by ``key``; on a clash update every other column, or do nothing."""
    names = [c.name for c in table.c]
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) "
        f"VALUES ({', '.join(':' + n for n in names)}) ON CONFLICT ({key}) DO "
    )
    if update:
        sql += "UPDATE SET " + ", ".join(f"{n} = excluded.{n}" for n in names if n != key)
    else:
        sql += "NOTHING"
    if returning:
        sql += f" RETURNING {returning}"
    return text(sql).bindparams(*(bindparam(c.name, type_=c.type) for c in table.c))
