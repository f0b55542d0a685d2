"""Process KPIs: declarative definitions, a built-in catalogue, evaluation by period and dimension,
thresholds, trends and scorecards, computed from event tables."""

from liucheng.kpi.catalogue import MEASURES, Measure
from liucheng.kpi.definition import KpiDefinition, KpiSet, Title, check_definition, load_kpis, parse_kpis
from liucheng.kpi.errors import KpiDataError, KpiDefinitionError
from liucheng.kpi.evaluate import KpiInfo, KpiReport, KpiValue, evaluate
from liucheng.kpi.periods import meets_target, status_of, trend_of
from liucheng.kpi.view import LogOptions

__all__ = [
    "MEASURES",
    "KpiDataError",
    "KpiDefinition",
    "KpiDefinitionError",
    "KpiInfo",
    "KpiReport",
    "KpiSet",
    "KpiValue",
    "LogOptions",
    "Measure",
    "Title",
    "check_definition",
    "evaluate",
    "load_kpis",
    "meets_target",
    "parse_kpis",
    "status_of",
    "trend_of",
]
