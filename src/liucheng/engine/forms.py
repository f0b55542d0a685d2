"""Form data a person submits with a task, checked against the fields the model declares."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from liucheng.core.errors import ValidationError
from liucheng.process.spec import Element, FormField

_SCALARS = (str, int, float, bool, type(None))


def _coerce(field: FormField, value: Any, where: str) -> Any:
    kind = field.type
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValidationError(f"{value!r} is not true or false", where=where)
    if kind == "long":
        if isinstance(value, bool):
            raise ValidationError(f"{value!r} is not a whole number", where=where)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{value!r} is not a whole number", where=where) from None
    if kind == "enum":
        if str(value) not in field.values:
            raise ValidationError(f"{value!r} is not allowed", where=where, hint=f"choose one of {list(field.values)}")
        return str(value)
    if kind == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValidationError(f"{value!r} is not a date", where=where, hint="write YYYY-MM-DD") from None
    return str(value)


def validate_form(element: Element, form: Mapping[str, Any]) -> dict[str, Any]:
    """Return the form with declared fields coerced to their types; raise naming the field."""
    out: dict[str, Any] = {}
    for key, value in form.items():
        if not isinstance(key, str) or not key:
            raise ValidationError(f"form keys must be non-empty strings, got {key!r}", where=f"{element.id}.form")
        if not isinstance(value, (*_SCALARS, list, dict)):
            raise ValidationError(f"{type(value).__name__} cannot be stored", where=f"{element.id}.form.{key}")
        out[key] = value
    for field in element.form:
        where = f"{element.id}.form.{field.id}"
        if field.id in out and out[field.id] not in (None, ""):
            out[field.id] = _coerce(field, out[field.id], where)
        elif field.required:
            raise ValidationError(
                f"required field {field.label or field.id!r} is missing",
                where=where,
                hint="fill it in and submit again",
            )
    return out
