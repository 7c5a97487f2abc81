"""``newsdesk monitor report --out report.html``: one self-contained HTML file (inline SVG charts, no
scripts, no network) that reads without the service running.

Sections: the latest drift check (each test's p-value against its threshold, and its effect), predictions
logged per day and model, the share of each predicted section per day, live precision per model version
per day from editors' feedback, what is rising (trends), and recent alerts.

The figures are computed here; the markup lives in templates (``newsdesk/web/templates/reports/``):
``monitor.html`` is the document, and each section is a partial the web console includes in its own pages,
fed by the same context functions (:func:`report_context`, :func:`drift_context`, :func:`trends_context`).
Charts are computed as data (:func:`bar_chart_data`, :func:`line_chart_data`) and drawn by the macros of
``reports/_charts.html``.

>>> page = bar_chart([("<b>sport</b>", 2.0), ("tech", 1.0)], title="Articles")
>>> "role=\\"img\\"" in page, "<b>sport" in page, "&lt;b&gt;sport" in page
(True, False, True)
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from newsdesk.web.render import render, render_string

if TYPE_CHECKING:
    from newsdesk.monitor.checks import CheckReport
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = [
    "BarChart",
    "LineChart",
    "Table",
    "bar_chart",
    "bar_chart_data",
    "drift_context",
    "line_chart",
    "line_chart_data",
    "report_context",
    "trends_context",
    "trends_section",
    "write_report",
]

# a palette whose every colour keeps a 3:1 contrast against white (WCAG 1.4.11, graphical objects)
_COLOURS = ("#1f77b4", "#c85200", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#b3479b", "#6f6f6f")


class Table(TypedDict):
    """A table's column headings and its rows, each cell already formatted."""

    header: list[str]
    rows: list[list[str]]


class Bar(TypedDict):
    label: str  # as drawn (cut at 34 characters)
    name: str  # in full, in the bar's tooltip
    text: str  # the value as drawn
    y: int  # top of the bar
    text_y: int  # baseline of the label and the value
    width: float
    text_x: float  # where the value is written, right of the bar


class BarChart(TypedDict):
    """A horizontal bar chart, laid out (see ``bars`` in ``reports/_charts.html``); no bars: no data."""

    title: str
    width: int
    height: int
    left: int  # where the bars start (the labels are left of it)
    bar_height: int
    colour: str
    bars: list[Bar]
    threshold_x: float | None  # the dashed threshold line, if any


class Point(TypedDict):
    x: float
    y: float
    label: str  # the x label (a date)
    text: str  # the value as people read it


class Series(TypedDict):
    name: str
    colour: str
    points: str  # the polyline's "x,y x,y ..." in x order
    dots: list[Point]
    legend_y: int  # top of the legend's swatch
    legend_text_y: int


class LineChart(TypedDict):
    """Lines over a shared x axis, laid out (see ``line`` in ``reports/_charts.html``); no series: no data."""

    title: str
    width: int
    height: int  # the whole drawing, legend included
    left: int  # the plot's left edge (the x axis starts here, the legend too)
    right: int  # the plot's right edge
    axis_y: int  # the x axis
    label_y: int  # baseline of the first and last x labels
    top_y: int  # baseline of the y axis' top value
    top_text: str  # the y axis' top value
    legend_text_x: int
    first: str  # the first and last x labels
    last: str
    series: list[Series]


class DriftView(TypedDict):
    alerting: bool
    status: str  # "ALERT" or "no alert"
    current: dict[str, Any]  # since, until, articles
    reference: dict[str, Any]
    chart: BarChart
    checks: Table


class DriftContext(TypedDict):
    drift: DriftView | None  # None: no drift check in this report


class TrendsView(TypedDict):
    window_hours: int
    as_of: str
    articles: int
    baseline_days: int
    baseline_articles: int
    surprise: BarChart | None  # None when nothing is rising
    hourly: LineChart | None


class TrendsContext(TypedDict):
    trends: TrendsView


class PredictionsView(TypedDict):
    per_day: LineChart
    shares: LineChart
    summary: Table


class QualityView(TypedDict):
    daily: LineChart
    overall: Table


class ReportContext(TypedDict):
    """What ``reports/monitor.html`` needs; each section partial needs its own key of it."""

    workspace: str
    generated: datetime
    days: int
    drift: DriftView | None
    predictions: PredictionsView | None  # None when predictions are not logged
    quality: QualityView
    trends: TrendsView
    alerts: Table


def bar_chart_data(items: list[tuple[str, float]], *, title: str, threshold: float | None = None) -> BarChart:
    """The layout of a horizontal bar chart of ``items`` (label, value >= 0), with an optional dashed
    ``threshold`` line; what :func:`bar_chart` draws."""
    width, row, left = 640, 22, 220
    top = max([v for _, v in items] + ([threshold] if threshold else []) + [1e-9])
    height = row * len(items) + 30
    scale = (width - left - 60) / top
    bars: list[Bar] = []
    for i, (label, value) in enumerate(items):
        y = 20 + i * row
        w = round(scale * value, 1)
        bars.append(
            Bar(
                label=label[:34],
                name=label,
                text=f"{value:.3g}",
                y=y,
                text_y=y + 14,
                width=w,
                text_x=round(left + w + 4, 1),
            )
        )
    return BarChart(
        title=title,
        width=width,
        height=height,
        left=left,
        bar_height=row - 6,
        colour=_COLOURS[0],
        bars=bars,
        threshold_x=round(left + scale * threshold, 1) if threshold and items else None,
    )


def line_chart_data(
    series: dict[str, list[tuple[str, float]]], *, title: str, y_max: float | None = None
) -> LineChart:
    """The layout of lines over a shared, sorted x axis of labels (dates), with a legend; the y axis runs
    from 0 to ``y_max`` (default: the largest value). What :func:`line_chart` draws."""
    xs = sorted({x for points in series.values() for x, _ in points})
    width, height, pad = 640, 240, 40
    top = y_max if y_max is not None else max([v for p in series.values() for _, v in p] + [1e-9])
    index = {x: i for i, x in enumerate(xs)}

    def px(x: str) -> float:
        return round(pad + (width - 2 * pad) * (index[x] / max(1, len(xs) - 1)), 1)

    def py(v: float) -> float:
        return round(height - pad - (height - 2 * pad) * (v / top), 1)

    lines: list[Series] = []
    for n, (name, points) in enumerate(sorted(series.items()) if xs else []):
        y = height + 14 + 20 * n
        lines.append(
            Series(
                name=name,
                colour=_COLOURS[n % len(_COLOURS)],
                points=" ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in sorted(points)),
                dots=[Point(x=px(x), y=py(v), label=x, text=f"{v:.3g}") for x, v in points],
                legend_y=y - 10,
                legend_text_y=y,
            )
        )
    return LineChart(
        title=title,
        width=width,
        height=height + 20 * len(series),
        left=pad,
        right=width - pad,
        axis_y=height - pad,
        label_y=height - pad + 14,
        top_y=pad,
        top_text=f"{top:.3g}",
        legend_text_x=pad + 18,
        first=xs[0] if xs else "",
        last=xs[-1] if xs else "",
        series=lines,
    )


def bar_chart(items: list[tuple[str, float]], *, title: str, threshold: float | None = None) -> str:
    """A horizontal bar chart as inline, accessible SVG in a ``<figure>`` (values >= 0)."""
    chart = bar_chart_data(items, title=title, threshold=threshold)
    return render_string('{% from "reports/_charts.html" import bars %}{{ bars(chart) }}', chart=chart)


def line_chart(series: dict[str, list[tuple[str, float]]], *, title: str, y_max: float | None = None) -> str:
    """Lines over a shared, sorted x axis of labels (dates), as inline, accessible SVG with a legend."""
    chart = line_chart_data(series, title=title, y_max=y_max)
    return render_string('{% from "reports/_charts.html" import line %}{{ line(chart) }}', chart=chart)


def _cell(value: Any, spec: str = "") -> str:
    """A table cell: empty for None, else ``value`` formatted with ``spec``."""
    return "" if value is None else format(value, spec)


def drift_context(check: CheckReport | None) -> DriftContext:
    """What ``reports/_drift.html`` (and ``reports/_drift_table.html``) need: the check's windows, its
    tests' -log10(p) against the alarm threshold, and every check's row."""
    if check is None:
        return DriftContext(drift=None)
    tests = (check.drift or {}).get("tests", [])
    chart = bar_chart_data(
        [(t["name"], -math.log10(max(t["p_value"], 1e-300))) for t in tests],
        title="Drift: -log10(p) per test (dashed: the alarm threshold)",
        threshold=-math.log10(tests[0]["threshold"]) if tests else None,
    )
    rows = [
        [c.name, c.status, _cell(c.value, ".4g"), _cell(c.threshold, ".4g"), c.message, c.action]
        for c in check.checks
    ]
    return DriftContext(
        drift=DriftView(
            alerting=check.alerting,
            status="ALERT" if check.alerting else "no alert",
            current=check.current,
            reference=check.reference,
            chart=chart,
            checks=Table(
                header=["check", "status", "value", "threshold", "message", "what to do"], rows=rows
            ),
        )
    )


def _predictions(settings: Settings, since: datetime) -> PredictionsView | None:
    from newsdesk.monitor.predictions import prediction_log

    log = prediction_log(settings)
    if log is None:
        return None
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    section_share: dict[str, Counter[str]] = defaultdict(Counter)
    for r in log.query(since=since, limit=100_000):
        day = r.at[:10]
        per_day[r.ref][day] += 1
        if r.model in ("sections", "newsdesk-sections") and isinstance(r.output, dict):
            section_share[day][str(r.output.get("section"))] += 1
    shares: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for day, counts in section_share.items():
        total = sum(counts.values())
        for label, n in counts.items():
            shares[label].append((day, n / total))
    header = [
        "model",
        "version",
        "source",
        "predictions",
        "mean confidence",
        "mean latency ms",
        "tokens",
        "last",
    ]
    rows = [
        [
            str(s["model"]),
            str(s["version"]),
            str(s["source"]),
            str(s["predictions"]),
            _cell(s["mean_confidence"], ".3f"),
            _cell(s["mean_latency_ms"], ".1f"),
            "" if s.get("tokens") is None else f"{s['tokens']} ({s['mean_tokens']:.0f} per call)",
            str(s["last"]),
        ]
        for s in log.summary(since=since)
    ]
    return PredictionsView(
        per_day=line_chart_data(
            {ref: sorted(c.items()) for ref, c in per_day.items()},
            title="Predictions logged per day, by model version",
        ),
        shares=line_chart_data(dict(shares), title="Share of each predicted section per day", y_max=1.0),
        summary=Table(header=header, rows=rows),
    )


def _quality(store: Backend, since: datetime) -> QualityView:
    from newsdesk.monitor.feedback import live_precision

    lines: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for row in live_precision(store, since=since, period="day"):
        if row["precision"] is not None:
            lines[row["model"]].append((row["period"], row["precision"]))
    header = ["model", "kind", "judged", "accepted", "rejected", "corrected", "precision"]
    rows = [
        [str(q[k]) for k in header[:-1]] + [_cell(q["precision"], ".3f")]
        for q in live_precision(store, since=since, period="all")
    ]
    return QualityView(
        daily=line_chart_data(
            dict(lines), title="Precision of shown outputs per model version per day", y_max=1.0
        ),
        overall=Table(header=header, rows=rows),
    )


def trends_context(store: Backend, *, limit: int = 10, settings: Settings | None = None) -> TrendsContext:
    """What ``reports/_trends.html`` needs: what is rising in the 24 hours before the newest article
    (:func:`newsdesk.trends.top_trends`), the trends' surprise as bars and the top five's hourly counts."""
    from newsdesk.trends import story_labels, top_trends

    labels = story_labels(settings, store) if settings is not None else None
    report = top_trends(store, as_of="latest", limit=limit, labels=labels)
    surprise: BarChart | None = None
    hourly: LineChart | None = None
    if report.trends:
        start = report.window_start
        hours = [(start + timedelta(hours=i)).strftime("%m-%d %H:00") for i in range(report.window_hours)]
        surprise = bar_chart_data(
            [(_trend_label(t), t.surprise) for t in report.trends],
            title="Trends: surprise, -log10 P(count this high | own baseline)",
        )
        hourly = line_chart_data(
            {
                _trend_label(t)[:40]: list(zip(hours, [float(n) for n in t.hourly], strict=True))
                for t in report.trends[:5]
            },
            title="Articles per hour of the top five trends",
        )
    return TrendsContext(
        trends=TrendsView(
            window_hours=report.window_hours,
            as_of=report.as_of.isoformat(timespec="minutes"),
            articles=report.articles,
            baseline_days=report.baseline_hours // 24,
            baseline_articles=report.baseline_articles,
            surprise=surprise,
            hourly=hourly,
        )
    )


def trends_section(store: Backend, *, limit: int = 10, settings: Settings | None = None) -> str:
    """The report's trends section as HTML (``reports/_trends.html`` on :func:`trends_context`)."""
    return render("reports/_trends.html", **trends_context(store, limit=limit, settings=settings))


def _trend_label(trend: Any) -> str:
    return f"{trend.kind}: {trend.label}" + (f" (+ {trend.related[0]})" if trend.related else "")


def _alerts(settings: Settings) -> Table:
    """The alerts of the last 20 alerting checks, newest first."""
    path = settings.monitor_dir / "alerts.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()[-20:] if path.exists() else []
    rows = []
    for line in reversed(lines):
        entry = json.loads(line)
        for a in entry.get("alerts", []):
            rows.append(
                [
                    _cell(entry.get("at")),
                    _cell(a.get("name")),
                    _cell(a.get("message")),
                    _cell(a.get("action")),
                ]
            )
    return Table(header=["at", "check", "message", "what to do"], rows=rows)


def report_context(
    settings: Settings,
    store: Backend,
    *,
    check: CheckReport | None = None,
    days: int = 30,
    now: datetime | None = None,
) -> ReportContext:
    """Everything ``reports/monitor.html`` shows, over the ``days`` before ``now`` (default: now); the drift
    section shows ``check`` when given. Its keys feed the section partials one by one."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    return ReportContext(
        workspace=str(settings.home),
        generated=now.replace(microsecond=0),
        days=days,
        drift=drift_context(check)["drift"],
        predictions=_predictions(settings, since),
        quality=_quality(store, since),
        trends=trends_context(store, settings=settings)["trends"],
        alerts=_alerts(settings),
    )


def write_report(
    settings: Settings, store: Backend, out: Path, *, check: CheckReport | None = None, days: int = 30
) -> Path:
    """Write the HTML report to ``out`` (the drift section shows ``check`` when given), and copy it to
    ``reports/<name>`` in the artifact store when ``artifacts.url`` is set."""
    from newsdesk.artifacts import publish

    page = render("reports/monitor.html", **report_context(settings, store, check=check, days=days))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    publish(settings, out, "reports")
    return out
