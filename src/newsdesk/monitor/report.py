"""``newsdesk monitor report --out report.html``: one self-contained HTML file (inline SVG charts, no
scripts, no network) that reads without the service running.

Sections: the latest drift check (each test's p-value against its threshold, and its effect), predictions
logged per day and model, the share of each predicted section per day, live precision per model version
per day from editors' feedback, what is rising (trends), and recent alerts.
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsdesk.monitor.checks import CheckReport
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["bar_chart", "line_chart", "trends_section", "write_report"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def bar_chart(items: list[tuple[str, float]], *, title: str, threshold: float | None = None) -> str:
    """A horizontal bar chart as inline SVG (values >= 0)."""
    if not items:
        return f"<p><em>{html.escape(title)}: no data</em></p>"
    width, row, left = 640, 22, 220
    top = max([v for _, v in items] + ([threshold] if threshold else []) + [1e-9])
    height = row * len(items) + 30
    parts = [f"<svg role='img' aria-label='{html.escape(title)}' width='{width}' height='{height}'>"]
    for i, (label, value) in enumerate(items):
        y = 20 + i * row
        w = (width - left - 60) * value / top
        parts.append(f"<text x='0' y='{y + 14}' font-size='12'>{html.escape(label[:34])}</text>")
        parts.append(f"<rect x='{left}' y='{y}' width='{w:.1f}' height='{row - 6}' fill='{_COLOURS[0]}'/>")
        parts.append(f"<text x='{left + w + 4:.1f}' y='{y + 14}' font-size='11'>{value:.3g}</text>")
    if threshold:
        x = left + (width - left - 60) * threshold / top
        parts.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='14' y2='{height}' stroke='#d62728' stroke-dasharray='4'/>"
        )
    parts.append("</svg>")
    return f"<figure><figcaption>{html.escape(title)}</figcaption>{''.join(parts)}</figure>"


def line_chart(series: dict[str, list[tuple[str, float]]], *, title: str, y_max: float | None = None) -> str:
    """Lines over a shared, sorted x axis of labels (dates), as inline SVG with a legend."""
    xs = sorted({x for points in series.values() for x, _ in points})
    if not xs:
        return f"<p><em>{html.escape(title)}: no data</em></p>"
    width, height, pad = 640, 240, 40
    top = y_max if y_max is not None else max([v for p in series.values() for _, v in p] + [1e-9])

    def px(i: int) -> float:
        return pad + (width - 2 * pad) * (i / max(1, len(xs) - 1))

    def py(v: float) -> float:
        return height - pad - (height - 2 * pad) * (v / top)

    parts = [
        f"<svg role='img' aria-label='{html.escape(title)}' width='{width}' "
        f"height='{height + 20 * len(series)}'>"
    ]
    parts.append(
        f"<line x1='{pad}' x2='{width - pad}' y1='{height - pad}' y2='{height - pad}' stroke='#999'/>"
    )
    parts.append(f"<text x='2' y='{pad}' font-size='11'>{top:.3g}</text>")
    parts.append(f"<text x='{pad}' y='{height - pad + 14}' font-size='11'>{html.escape(xs[0])}</text>")
    parts.append(
        f"<text x='{width - pad}' y='{height - pad + 14}' font-size='11' text-anchor='end'>"
        f"{html.escape(xs[-1])}</text>"
    )
    index = {x: i for i, x in enumerate(xs)}
    for n, (name, points) in enumerate(sorted(series.items())):
        colour = _COLOURS[n % len(_COLOURS)]
        coords = " ".join(f"{px(index[x]):.1f},{py(v):.1f}" for x, v in sorted(points))
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{coords}'/>")
        for x, v in points:
            parts.append(f"<circle cx='{px(index[x]):.1f}' cy='{py(v):.1f}' r='2.5' fill='{colour}'/>")
        y = height + 14 + 20 * n
        parts.append(f"<rect x='{pad}' y='{y - 10}' width='12' height='12' fill='{colour}'/>")
        parts.append(f"<text x='{pad + 18}' y='{y}' font-size='12'>{html.escape(name)}</text>")
    parts.append("</svg>")
    return f"<figure><figcaption>{html.escape(title)}</figcaption>{''.join(parts)}</figure>"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def trends_section(store: Backend, *, limit: int = 10, settings: Settings | None = None) -> str:
    """What is rising in the 24 hours before the newest article (:func:`newsdesk.trends.top_trends`): the
    trends' surprise as bars, and the top five's hourly counts as lines."""
    from newsdesk.trends import story_labels, top_trends

    labels = story_labels(settings, store) if settings is not None else None
    report = top_trends(store, as_of="latest", limit=limit, labels=labels)
    head = (
        f"<h2>Trends</h2><p>The {report.window_hours} hours before "
        f"{html.escape(report.as_of.isoformat(timespec='minutes'))} ({report.articles} dated, enriched "
        f"articles) against the {report.baseline_hours // 24} days before ({report.baseline_articles}).</p>"
    )
    if not report.trends:
        return head + "<p>Nothing is rising above its own baseline.</p>"
    start = report.window_start
    hours = [(start + timedelta(hours=i)).strftime("%m-%d %H:00") for i in range(report.window_hours)]
    lines = {
        _trend_label(t)[:40]: list(zip(hours, [float(n) for n in t.hourly], strict=True))
        for t in report.trends[:5]
    }
    return (
        head
        + bar_chart(
            [(_trend_label(t), t.surprise) for t in report.trends],
            title="Trends: surprise, -log10 P(count this high | own baseline)",
        )
        + line_chart(lines, title="Articles per hour of the top five trends")
    )


def _trend_label(trend: Any) -> str:
    return f"{trend.kind}: {trend.label}" + (f" (+ {trend.related[0]})" if trend.related else "")


def write_report(
    settings: Settings, store: Backend, out: Path, *, check: CheckReport | None = None, days: int = 30
) -> Path:
    """Write the HTML report to ``out`` (the drift section shows ``check`` when given), and copy it to
    ``reports/<name>`` in the artifact store when ``artifacts.url`` is set."""
    from newsdesk.artifacts import publish
    from newsdesk.monitor.feedback import live_precision
    from newsdesk.monitor.predictions import prediction_log

    since = datetime.now(UTC) - timedelta(days=days)
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>newsdesk monitoring report</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;"
        "text-align:left;font-size:.9rem}.alert{color:#b00;font-weight:bold}figcaption{font-weight:bold}"
        "</style></head><body>",
        f"<h1>newsdesk monitoring report</h1><p>Workspace {esc(str(settings.home))}; generated "
        f"{datetime.now(UTC).isoformat(timespec='seconds')}; last {days} days.</p>",
        "<h2>Drift</h2>",
    ]
    if check is None:
        parts.append("<p>No drift check in this report (newsdesk monitor report --check runs one).</p>")
    else:
        status = "ALERT" if check.alerting else "no alert"
        parts.append(
            f"<p class='{'alert' if check.alerting else ''}'>{status}: current window "
            f"{esc(check.current['since'])} to {esc(check.current['until'])} "
            f"({check.current['articles']} articles) "
            f"vs reference {esc(check.reference['since'])} to {esc(check.reference['until'])} "
            f"({check.reference['articles']} articles).</p>"
        )
        tests = (check.drift or {}).get("tests", [])
        parts.append(
            bar_chart(
                [(t["name"], -math.log10(max(t["p_value"], 1e-300))) for t in tests],
                title="Drift: -log10(p) per test (dashed: the alarm threshold)",
                threshold=-math.log10(tests[0]["threshold"]) if tests else None,
            )
        )
        parts.append(
            _table(
                ["check", "status", "value", "threshold", "message", "what to do"],
                [
                    [
                        c.name,
                        c.status,
                        "" if c.value is None else f"{c.value:.4g}",
                        "" if c.threshold is None else f"{c.threshold:.4g}",
                        c.message,
                        c.action,
                    ]
                    for c in check.checks
                ],
            )
        )
    log = prediction_log(settings)
    parts.append("<h2>Predictions</h2>")
    if log is not None:
        rows = log.query(since=since, limit=100_000)
        per_day: dict[str, Counter[str]] = defaultdict(Counter)
        section_share: dict[str, Counter[str]] = defaultdict(Counter)
        for r in rows:
            day = r.at[:10]
            per_day[r.ref][day] += 1
            if r.model in ("sections", "newsdesk-sections") and isinstance(r.output, dict):
                section_share[day][str(r.output.get("section"))] += 1
        parts.append(
            line_chart(
                {ref: sorted(c.items()) for ref, c in per_day.items()},
                title="Predictions logged per day, by model version",
            )
        )
        shares: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for day, counts in section_share.items():
            total = sum(counts.values())
            for label, n in counts.items():
                shares[label].append((day, n / total))
        parts.append(line_chart(dict(shares), title="Share of each predicted section per day", y_max=1.0))
        parts.append(
            _table(
                [
                    "model",
                    "version",
                    "source",
                    "predictions",
                    "mean confidence",
                    "mean latency ms",
                    "tokens",
                    "last",
                ],
                [
                    [
                        s["model"],
                        s["version"],
                        s["source"],
                        s["predictions"],
                        "" if s["mean_confidence"] is None else f"{s['mean_confidence']:.3f}",
                        "" if s["mean_latency_ms"] is None else f"{s['mean_latency_ms']:.1f}",
                        "" if s.get("tokens") is None else f"{s['tokens']} ({s['mean_tokens']:.0f} per call)",
                        s["last"],
                    ]
                    for s in log.summary(since=since)
                ],
            )
        )
    parts.append("<h2>Live quality (editors' feedback)</h2>")
    daily = live_precision(store, since=since, period="day")
    lines: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for row in daily:
        if row["precision"] is not None:
            lines[row["model"]].append((row["period"], row["precision"]))
    parts.append(
        line_chart(dict(lines), title="Precision of shown outputs per model version per day", y_max=1.0)
    )
    overall = live_precision(store, since=since, period="all")
    parts.append(
        _table(
            ["model", "kind", "judged", "accepted", "rejected", "corrected", "precision"],
            [
                [
                    q["model"],
                    q["kind"],
                    q["judged"],
                    q["accepted"],
                    q["rejected"],
                    q["corrected"],
                    q["precision"],
                ]
                for q in overall
            ],
        )
    )
    parts.append(trends_section(store, settings=settings))
    alerts_path = settings.monitor_dir / "alerts.jsonl"
    parts.append("<h2>Recent alerts</h2>")
    alerts = alerts_path.read_text(encoding="utf-8").splitlines()[-20:] if alerts_path.exists() else []
    rows_out = []
    for line in reversed(alerts):
        entry = json.loads(line)
        for a in entry.get("alerts", []):
            rows_out.append([entry.get("at"), a.get("name"), a.get("message"), a.get("action")])
    parts.append(_table(["at", "check", "message", "what to do"], rows_out) if rows_out else "<p>None.</p>")
    parts.append("</body></html>")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts), encoding="utf-8")
    publish(settings, out, "reports")
    return out
