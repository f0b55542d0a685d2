"""What the global options set up for every command: the database and who is acting."""

from __future__ import annotations

import getpass
import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from liucheng.core.errors import LiuchengError, StorageError

if TYPE_CHECKING:  # the services (and SQLAlchemy) load when a command first needs the database
    from liucheng.services import Platform

ENV_USER = "LIUCHENG_USER"


def default_user() -> str:
    """``$LIUCHENG_USER``, else the login name, else ``system`` (containers may have no passwd entry)."""
    named = os.environ.get(ENV_USER)
    if named:
        return named
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "system"


@dataclass
class AppState:
    #: None means ``$LIUCHENG_DATABASE_URL`` or ``sqlite:///liucheng.db`` (see ``store.resolve_url``).
    url: str | None
    user: str
    _platform: Platform | None = field(default=None, repr=False)

    def platform(self) -> Platform:
        """The platform on an existing, current database; opened on first use, closed at exit."""
        if self._platform is None:
            from liucheng.services import Platform
            from liucheng.store import open_store

            _require_sqlite_file(self.url)
            self._platform = Platform(open_store(self.url, create=False))
        return self._platform

    def close(self) -> None:
        if self._platform is not None:
            self._platform.store.close()
            self._platform = None


def _require_sqlite_file(url: str | None) -> None:
    """Say how to create a missing SQLite file in CLI terms (the store's own hint speaks API)."""
    from liucheng.store import resolve_url

    parsed = resolve_url(url)
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
        return
    if not Path(path).exists():
        raise StorageError(
            f"SQLite database {path!r} does not exist",
            hint="create it with `liucheng init`, or point --db or LIUCHENG_DATABASE_URL at the right file",
        )


_CURRENT: ContextVar[AppState] = ContextVar("liucheng_cli_state")


def set_app_state(state: AppState) -> None:
    _CURRENT.set(state)


def app_state() -> AppState:
    """The state the root command set up, from inside any command."""
    try:
        return _CURRENT.get()
    except LookupError:  # a command function called without the root callback
        raise LiuchengError(
            "liucheng was started without its global options", hint="run it as `liucheng ...`"
        ) from None
