"""Errors of the KPI package: a definition that cannot be evaluated, or a log it cannot run on."""

from __future__ import annotations

from liucheng.core.errors import LiuchengError


class KpiDefinitionError(LiuchengError):
    """A KPI definition is malformed: names the file, the KPI and the field at fault."""

    code = "invalid_kpi"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        kpi: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.kpi = kpi
        self.field = field
        named = (file, f"kpi {kpi!r}" if kpi else None, f"field {field!r}" if field else None)
        parts = [part for part in named if part]
        super().__init__(f"{', '.join(parts)}: {message}" if parts else message, hint=hint)

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data.update(file=self.file, kpi=self.kpi, field=self.field)
        return data


class KpiDataError(LiuchengError):
    """The event table lacks what a KPI needs (a column, SLA events, lifecycle transitions)."""

    code = "kpi_data"

    def __init__(self, message: str, *, kpi: str | None = None, column: str | None = None,
                 hint: str | None = None) -> None:
        self.kpi = kpi
        self.column = column
        where = ", ".join(p for p in (f"kpi {kpi!r}" if kpi else None, f"column {column!r}" if column else None) if p)
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
