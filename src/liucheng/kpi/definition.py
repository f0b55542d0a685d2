"""Declarative KPI definitions, loadable from TOML.

A definition names a catalogue measure and its parameters (no expressions, nothing evaluated),
the unit to report in, a target with warning and critical thresholds, the direction that counts
as better, and the dimensions to group by::

    [[kpi]]
    name = "resolution_time"
    title = { zh = "解决时长", en = "Resolution time" }
    kind = "efficiency"
    measure = "cycle_time"
    params = { statistic = "median" }
    unit = "h"
    direction = "lower_is_better"
    target = 24
    warning = 36
    critical = 48
    by = ["category"]

A file may start with a ``[log]`` table (``LogOptions``) saying how to read a log from another
system: which activities close and reopen a case.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Final, Literal

import msgspec

from liucheng.kpi.catalogue import MEASURES, Measure, Quantity
from liucheng.kpi.errors import KpiDefinitionError
from liucheng.kpi.view import LogOptions

Kind = Literal["result", "efficiency"]
Direction = Literal["higher_is_better", "lower_is_better"]

#: Units each quantity may be reported in, with the factor from the measure's own unit
#: (seconds for durations, a 0..1 share for ratios).
DURATION_UNITS: Final = {"s": 1.0, "min": 1 / 60, "h": 1 / 3600, "d": 1 / 86400}
RATIO_UNITS: Final = {"ratio": 1.0, "%": 100.0}
_NAME: Final = re.compile(r"^[a-z][a-z0-9_]*$")


class Title(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    zh: str
    en: str


class KpiDefinition(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One KPI. Thresholds are in ``unit``; reaching a threshold counts (see ``status_of``)."""

    name: str
    title: Title
    kind: Kind
    measure: str
    direction: Direction
    params: dict[str, Any] = {}
    unit: str = ""
    #: Only cases of these processes (``case:process_key``), e.g. ``"complaint"``.
    process: list[str] | None = None
    #: Only facts whose column has one of the values: ``{ "case:priority" = ["P1", "P2"] }``.
    filter: dict[str, list[str]] = {}
    target: float | None = None
    warning: float | None = None
    critical: float | None = None
    by: list[str] = []
    #: Weight in a scorecard's overall score.
    weight: float = 1.0
    #: A change smaller than this share of the previous value is ``flat``.
    flat_tolerance: float = 0.01

    @property
    def catalogue_measure(self) -> Measure:
        return MEASURES[self.measure]

    @property
    def measure_params(self) -> Any:
        """The parameters as the measure's typed struct (validated by ``check_definition``)."""
        return msgspec.convert(self.params, self.catalogue_measure.params)

    @property
    def scale(self) -> float:
        """Factor from the measure's own unit (seconds, share) to ``unit``."""
        quantity = self.catalogue_measure.quantity
        if quantity == "duration":
            return DURATION_UNITS[self.unit or "s"]
        if quantity == "ratio":
            return RATIO_UNITS[self.unit or "ratio"]
        return 1.0


class KpiSet(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a KPI file holds: how to read the log, and the KPIs."""

    log: LogOptions = msgspec.field(default_factory=LogOptions)
    kpi: list[KpiDefinition] = []


def check_definition(kpi: KpiDefinition, *, file: str | None = None) -> KpiDefinition:
    """Raise ``KpiDefinitionError`` unless the definition can be evaluated; return it."""
    def fail(message: str, field: str, hint: str | None = None) -> KpiDefinitionError:
        return KpiDefinitionError(message, file=file, kpi=kpi.name, field=field, hint=hint)

    if not _NAME.match(kpi.name):
        raise fail("a name is lower-case letters, digits and _", "name")
    measure = MEASURES.get(kpi.measure)
    if measure is None:
        raise fail(f"unknown measure {kpi.measure!r}", "measure", hint=f"use one of {', '.join(sorted(MEASURES))}")
    try:
        msgspec.convert(kpi.params, measure.params)
    except msgspec.ValidationError as exc:
        raise fail(str(exc).replace("$.", "params."), "params", hint=f"parameters of {measure.name}: "
                   f"{', '.join(measure.params.__struct_fields__) or 'none'}") from exc
    allowed = _units(measure.quantity)
    if allowed is not None and kpi.unit and kpi.unit not in allowed:
        raise fail(f"unit {kpi.unit!r} does not fit a {measure.quantity}", "unit",
                   hint=f"use one of {', '.join(allowed)}")
    if kpi.warning is not None and kpi.critical is not None:
        wrong = kpi.critical < kpi.warning if kpi.direction == "lower_is_better" else kpi.critical > kpi.warning
        if wrong:
            raise fail(f"critical {kpi.critical} is better than warning {kpi.warning} for {kpi.direction}",
                       "critical", hint="the critical threshold lies beyond the warning one")
    if kpi.weight < 0 or kpi.flat_tolerance < 0:
        raise fail("must not be negative", "weight" if kpi.weight < 0 else "flat_tolerance")
    return kpi


def _units(quantity: Quantity) -> tuple[str, ...] | None:
    if quantity == "duration":
        return tuple(DURATION_UNITS)
    if quantity == "ratio":
        return tuple(RATIO_UNITS)
    return None


def parse_kpis(data: dict[str, Any], *, file: str | None = None) -> KpiSet:
    """A ``KpiSet`` from parsed TOML/JSON data, every definition checked."""
    raw = data.get("kpi", [])
    if not isinstance(raw, list):
        raise KpiDefinitionError("kpi must be an array of tables ([[kpi]])", file=file, field="kpi")
    for index, item in enumerate(raw):
        name = item.get("name") if isinstance(item, dict) else None
        try:
            msgspec.convert(item, KpiDefinition)
        except msgspec.ValidationError as exc:
            raise KpiDefinitionError(str(exc).replace("$.", ""), file=file, kpi=name or f"#{index + 1}") from exc
    try:
        kpis = msgspec.convert(data, KpiSet)
    except msgspec.ValidationError as exc:
        raise KpiDefinitionError(str(exc).replace("$.", ""), file=file) from exc
    seen: set[str] = set()
    for kpi in kpis.kpi:
        if kpi.name in seen:
            raise KpiDefinitionError("defined twice", file=file, kpi=kpi.name, field="name")
        seen.add(kpi.name)
        check_definition(kpi, file=file)
    return kpis


def load_kpis(path: str | Path) -> KpiSet:
    """Read a TOML file of KPI definitions (``[log]`` and ``[[kpi]]`` tables)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise KpiDefinitionError(f"not valid TOML: {exc}", file=str(path)) from exc
    except OSError as exc:
        raise KpiDefinitionError(f"cannot read: {exc.strerror}", file=str(path)) from exc
    return parse_kpis(data, file=str(path))
