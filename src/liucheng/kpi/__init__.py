"""Process KPIs: declarative definitions, a built-in catalogue, evaluation by period and dimension,
thresholds, trends and scorecards, computed from event tables."""
