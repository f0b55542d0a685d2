"""What the global options set up for every command: the database and who is acting."""

from __future__ import annotations

import getpass
import os
from contextvars import ContextVar
from dataclasses import dataclass, field

from liucheng.core.errors import LiuchengError
from liucheng.services import Platform
from liucheng.store import open_store

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
            self._platform = Platform(open_store(self.url, create=False))
        return self._platform

    def close(self) -> None:
        if self._platform is not None:
            self._platform.store.close()
            self._platform = None


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
