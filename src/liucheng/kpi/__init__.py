"""Process KPIs: declarative definitions, a built-in catalogue, evaluation by period and dimension,
thresholds, trends and scorecards, computed from event tables."""

from liucheng.kpi.catalogue import MEASURES, Measure
from liucheng.kpi.definition import KpiDefinition, KpiSet, Title, check_definition, load_kpis, parse_kpis
from liucheng.kpi.errors import KpiDataError, KpiDefinitionError
from liucheng.kpi.evaluation import KpiInfo, KpiReport, KpiValue, evaluate
from liucheng.kpi.periods import meets_target, status_of, trend_of
from liucheng.kpi.scorecard import Scorecard, ScoreLine, ScoreRow, default_scorecard_kpis, scorecard
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
    "ScoreLine",
    "ScoreRow",
    "Scorecard",
    "Title",
    "check_definition",
    "default_scorecard_kpis",
    "evaluate",
    "load_kpis",
    "meets_target",
    "parse_kpis",
    "scorecard",
    "status_of",
    "trend_of",
]
