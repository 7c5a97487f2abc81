"""Trends: what is rising now (topics, entities, keyphrases, stories) against each key's own baseline.

- :mod:`newsdesk.trends.series`: hourly counts per key, and the article totals they scale with;
- :mod:`newsdesk.trends.model`: the gamma-Poisson surprise (the model, and why, in its docstring);
- :mod:`newsdesk.trends.keys`: what each kind counts, read from stored enrichments;
- :mod:`newsdesk.trends.service`: :func:`top_trends` over a store, for the CLI, the API, the report and
  the demo.
"""

from newsdesk.trends.keys import KINDS
from newsdesk.trends.model import TrendSpec, score
from newsdesk.trends.series import HourlyCounts, hour_of
from newsdesk.trends.service import Trend, TrendReport, find_trends, parse_hours, story_labels, top_trends

__all__ = [
    "KINDS",
    "HourlyCounts",
    "Trend",
    "TrendReport",
    "TrendSpec",
    "find_trends",
    "hour_of",
    "parse_hours",
    "score",
    "story_labels",
    "top_trends",
]
