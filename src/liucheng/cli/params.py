"""Parsing the ``key=value`` arguments of --data, --form and --webhook-prefix."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from liucheng.core.errors import ValidationError

PAIRS_HELP = "key=value for a string, key:=JSON for a typed value (key:=5, key:=true, key:='[1,2]')."


def parse_pairs(values: Iterable[str] | None, *, option: str) -> dict[str, Any]:
    """``k=v`` gives the string ``v``; ``k:=v`` parses ``v`` as JSON (HTTPie's convention).

    Strings stay strings by default because a phone number or an order number that looks like a
    number must not become one.
    """
    out: dict[str, Any] = {}
    for raw in values or ():
        key, sep, value = raw.partition("=")
        if not sep or not key or key == ":":
            raise ValidationError(f"{raw!r} is not key=value", where=option, hint=PAIRS_HELP)
        if key.endswith(":"):
            key = key[:-1]
            try:
                out[key] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValidationError(
                    f"{value!r} after {key}:= is not JSON ({exc.msg})", where=option, hint=PAIRS_HELP
                ) from None
        else:
            out[key] = value
    return out


def parse_json_object(text: str | None, *, option: str) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"not JSON: {exc.msg} at column {exc.colno}",
            where=option,
            hint='e.g. \'{"order_id": "A-17", "amount_fen": 1200}\'',
        ) from None
    if not isinstance(value, dict):
        raise ValidationError(
            f"must be a JSON object, not {type(value).__name__}",
            where=option,
            hint='e.g. \'{"order_id": "A-17"}\'',
        )
    return value
