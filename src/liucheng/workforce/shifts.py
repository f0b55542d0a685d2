"""Shift types: when a shift starts, how long it lasts, on which days, at what cost, with which breaks.

A planning horizon is either one day or one week (Monday to Sunday) cut into equal intervals
(15 or 30 minutes, or hours). A shift that starts before midnight and ends after it wraps into
the next day: a 22:00-06:00 shift on Monday covers Monday 22:00-24:00 and Tuesday 00:00-06:00.
The week is cyclic: Sunday night wraps into Monday morning of the same planning week, because a
weekly schedule repeats every week. A one-day horizon is cyclic the same way (a night shift
covers the early hours of the same day, as in the published 24-hour covering example).

Shift files are JSON or TOML (``[[shift]]`` tables); :func:`load_shifts` reads either.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import msgspec
import numpy as np
from numpy.typing import NDArray

from liucheng.core.errors import ValidationError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 1440


class BreakRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One break (or lunch) every agent on the shift takes, starting between ``earliest_min`` and
    ``latest_min`` minutes after the shift starts; it lasts ``length_min`` minutes off the phones."""

    length_min: int
    earliest_min: int
    latest_min: int
    name: str = "break"


class ShiftType(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A kind of shift. ``start`` is a time of day ``"HH:MM"``; ``days`` the days it may be used;
    ``cost`` the cost of one agent working it once (default: its length in hours)."""

    name: str
    start: str
    length_min: int
    days: tuple[str, ...] = DAYS
    cost: float | None = None
    part_time: bool = False
    breaks: tuple[BreakRule, ...] = ()

    @property
    def start_min(self) -> int:
        """Minutes after midnight the shift starts."""
        return _parse_time(self.start, self.name)

    @property
    def unit_cost(self) -> float:
        """Cost of one agent working this shift once."""
        return self.length_min / 60 if self.cost is None else float(self.cost)

    @property
    def paid_min(self) -> int:
        """Minutes on the phones: the length less the breaks."""
        return self.length_min - sum(b.length_min for b in self.breaks)


class _ShiftFile(msgspec.Struct, forbid_unknown_fields=True):
    shift: list[ShiftType]


def _parse_time(text: str, where: str) -> int:
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValidationError(f"start {text!r} is not a time of day HH:MM", where=f"shift {where!r}")
    hours, minutes = int(parts[0]), int(parts[1])
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValidationError(f"start {text!r} is outside 00:00-23:59", where=f"shift {where!r}")
    return hours * 60 + minutes


def check_shift(shift: ShiftType) -> ShiftType:
    """Return ``shift`` if it is coherent, else raise ``ValidationError`` naming the field."""
    where = f"shift {shift.name!r}"
    shift.start_min  # noqa: B018 - parses and validates the start time
    if not 0 < shift.length_min <= MINUTES_PER_DAY:
        raise ValidationError(
            f"length_min is {shift.length_min}; a shift lasts more than 0 and at most 1440 minutes", where=where
        )
    unknown = [d for d in shift.days if d not in DAYS]
    if unknown or not shift.days:
        raise ValidationError(f"days {list(shift.days)} must be a non-empty subset of {list(DAYS)}", where=where)
    if shift.cost is not None and shift.cost < 0:
        raise ValidationError(f"cost {shift.cost} is negative", where=where)
    for rule in shift.breaks:
        if rule.length_min <= 0 or rule.earliest_min < 0 or rule.latest_min < rule.earliest_min:
            raise ValidationError(
                f"break {rule.name!r} needs length_min > 0 and 0 <= earliest_min <= latest_min", where=where
            )
        if rule.latest_min + rule.length_min > shift.length_min:
            raise ValidationError(
                f"break {rule.name!r} may end {rule.latest_min + rule.length_min} min after the start, "
                f"outside the {shift.length_min}-minute shift",
                where=where,
                hint="lower latest_min or the break length",
            )
    return shift


def check_shifts(shifts: list[ShiftType] | tuple[ShiftType, ...]) -> tuple[ShiftType, ...]:
    """Check every shift and that names are unique."""
    if not shifts:
        raise ValidationError("no shift types given")
    seen: set[str] = set()
    for shift in shifts:
        check_shift(shift)
        if shift.name in seen:
            raise ValidationError("shift names must be unique", where=f"shift {shift.name!r}")
        seen.add(shift.name)
    return tuple(shifts)


def load_shifts(path: str | Path) -> tuple[ShiftType, ...]:
    """Read shift types from a ``.yaml``/``.yml``, ``.toml`` or ``.json`` file holding a list ``shift``."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        data = read_config_data(path, raw)
        parsed = msgspec.convert(data, _ShiftFile)
    except (ConfigSyntaxError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise ValidationError(str(exc), where=str(path), hint="expected a list 'shift' of shift tables") from exc
    return check_shifts(parsed.shift)


def horizon_days(n_intervals: int, interval_min: int) -> int:
    """1 or 7: the days an ``n_intervals`` requirement of ``interval_min`` minutes spans."""
    if interval_min <= 0 or MINUTES_PER_DAY % interval_min:
        raise ValidationError(f"interval_min {interval_min} must divide 1440 (e.g. 15, 30, 60)")
    per_day = MINUTES_PER_DAY // interval_min
    if n_intervals not in (per_day, 7 * per_day):
        raise ValidationError(
            f"requirement has {n_intervals} intervals; with {interval_min}-minute intervals a day has {per_day} "
            f"and a week {7 * per_day}"
        )
    return n_intervals // per_day


def shift_mask(shift: ShiftType, day: int, *, interval_min: int, n_days: int) -> NDArray[np.bool_]:
    """Intervals of the (cyclic) horizon covered by ``shift`` starting on ``day`` (0 = Monday)."""
    start, length = shift.start_min, shift.length_min
    if start % interval_min or length % interval_min:
        raise ValidationError(
            f"start {shift.start} and length {length} min must be multiples of the {interval_min}-minute interval",
            where=f"shift {shift.name!r}",
        )
    per_day = MINUTES_PER_DAY // interval_min
    first = day * per_day + start // interval_min
    mask = np.zeros(n_days * per_day, dtype=bool)
    mask[np.arange(first, first + length // interval_min) % mask.size] = True
    return mask


def break_offsets(rule: BreakRule, *, interval_min: int, where: str) -> list[int]:
    """Allowed break starts, in intervals after the shift start."""
    if rule.length_min % interval_min:
        raise ValidationError(
            f"break {rule.name!r} of {rule.length_min} min is not a multiple of the {interval_min}-minute interval",
            where=where,
        )
    first = -(-rule.earliest_min // interval_min)
    last = rule.latest_min // interval_min
    if last < first:
        raise ValidationError(
            f"break {rule.name!r} window {rule.earliest_min}-{rule.latest_min} min holds no interval start", where=where
        )
    return list(range(first, last + 1))


class ConfigSyntaxError(ValueError):
    """A shift or agent file that does not parse as its format."""


def read_config_data(path: Path, raw: bytes) -> object:
    """Parse a small configuration file by its suffix: YAML (``.yaml``, ``.yml``), TOML or JSON."""
    import yaml

    try:
        if path.suffix in (".yaml", ".yml"):
            return yaml.load(raw.decode(), Loader=_yaml_loader())
        if path.suffix == ".toml":
            return tomllib.loads(raw.decode())
        return json.loads(raw)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigSyntaxError(str(exc)) from exc


def _yaml_loader() -> type:
    """PyYAML's safe loader, except that ``08:30`` and ``10:00`` stay text: YAML 1.1 would read
    ``10:00`` as the sexagesimal number 600, and shift times are written that way."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    clock = re.compile(r"^[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?$")
    Loader.yaml_implicit_resolvers = {
        first: [("tag:yaml.org,2002:str", clock), *resolvers] if first in "0123456789" else list(resolvers)
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader

