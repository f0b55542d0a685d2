"""The environment variables liucheng reads, by name (a module light enough for any entry point)."""

from __future__ import annotations

from typing import Final

#: The database URL when ``--db`` is not given.
ENV_URL: Final = "LIUCHENG_DATABASE_URL"
#: The database when neither ``--db`` nor ``$LIUCHENG_DATABASE_URL`` says one.
DEFAULT_URL: Final = "sqlite:///liucheng.db"
