"""One root error with specific subclasses carrying fields.

The edges (cli/, api/) translate these once into exit codes and HTTP statuses; the core never
raises anything shaped like HTTP.
"""

from __future__ import annotations


class LiuchengError(Exception):
    """Root of every error liucheng raises on purpose."""

    #: A short stable code for scripts (``--format json``) and the API.
    code = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"error": self.code, "message": self.message}
        if self.hint:
            data["hint"] = self.hint
        return data


class NotFoundError(LiuchengError):
    code = "not_found"

    def __init__(self, kind: str, ident: object, *, hint: str | None = None) -> None:
        super().__init__(f"{kind} {ident!r} not found", hint=hint)
        self.kind = kind
        self.ident = ident


class ConflictError(LiuchengError):
    """The command lost a race or contradicts the current state (e.g. task already claimed)."""

    code = "conflict"


class InvalidCommandError(LiuchengError):
    """The command cannot apply to the case in its current state."""

    code = "invalid_command"


class ValidationError(LiuchengError):
    """Bad input at an edge: names what is wrong and where."""

    code = "invalid_input"

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.where = where


class ConfigurationError(LiuchengError):
    code = "configuration"


class StorageError(LiuchengError):
    code = "storage"
