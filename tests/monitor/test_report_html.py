"""The monitoring report's HTML: rendered from templates, every text escaped, each section a partial that
renders on its own (the web console includes them), and charts that are accessible images."""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import newsdesk.web.render as render_module
from newsdesk.monitor.checks import Check, CheckReport
from newsdesk.monitor.report import (
    Table,
    TrendsContext,
    TrendsView,
    bar_chart,
    bar_chart_data,
    drift_context,
    line_chart,
    line_chart_data,
    report_context,
    write_report,
)
from newsdesk.settings import Settings
from newsdesk.store import open_store
from newsdesk.web.render import render

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _check(text: str = HOSTILE) -> CheckReport:
    return CheckReport(
        at="2026-03-01T00:00:00+00:00",
        current={"since": "2026-02-01", "until": "2026-03-01", "articles": 40},
        reference={"since": "2026-01-01", "until": "2026-02-01", "articles": 41},
        checks=[
            Check(f"drift:{text}", "alert", 0.00012345, 0.01, f"drifted {text}", f"retrain {text}"),
            Check("volume", "ok", None, None, "fine"),
        ],
        drift={
            "tests": [
                {"name": text, "p_value": 1e-4, "threshold": 0.01},
                {"name": "sections", "p_value": 0.3, "threshold": 0.01},
            ]
        },
    )


def _assert_escaped(page: str) -> None:
    assert "<script" not in page and ESCAPED in page


def _trends(text: str = HOSTILE) -> TrendsContext:
    hours = ["03-01 10:00", "03-01 11:00"]
    return TrendsContext(
        trends=TrendsView(
            window_hours=24,
            as_of="2026-03-01T12:00+00:00",
            articles=30,
            baseline_days=28,
            baseline_articles=300,
            surprise=bar_chart_data([(f"entity: {text}", 3.5)], title="Trends: surprise"),
            hourly=line_chart_data(
                {f"entity: {text}": list(zip(hours, [1.0, 4.0], strict=True))}, title="hourly"
            ),
        )
    )


def test_charts_are_accessible_images_and_escape_their_labels() -> None:
    bars = bar_chart([(HOSTILE, 2.0), ("tech", 0.5)], title=f"bars {HOSTILE}", threshold=1.0)
    _assert_escaped(bars)
    assert bars.count("<svg") == 1 and 'role="img"' in bars and f'aria-label="bars {ESCAPED}"' in bars
    assert f"<title>bars {ESCAPED}</title>" in bars and f"<figcaption>bars {ESCAPED}</figcaption>" in bars
    assert "stroke-dasharray" in bars  # the threshold line
    # the figures: the longest bar fills the plot, the values are written as before (3 significant digits)
    chart = bar_chart_data([("a", 2.0), ("b", 0.5)], title="t", threshold=1.0)
    assert [b["width"] for b in chart["bars"]] == [360.0, 90.0] and chart["threshold_x"] == 400.0
    assert [b["text"] for b in chart["bars"]] == ["2", "0.5"]
    assert bar_chart_data([("x" * 50, 1.0)], title="t")["bars"][0]["label"] == "x" * 34

    lines = line_chart({HOSTILE: [("2026-01-02", 0.5), ("2026-01-01", 0.7)]}, title=HOSTILE, y_max=1.0)
    _assert_escaped(lines)
    assert 'role="img"' in lines and f'aria-label="{ESCAPED}"' in lines and "<polyline" in lines
    # the polyline runs in x order whatever the order of the points
    assert 'points="40.0,88.0 600.0,120.0"' in lines

    for empty in (bar_chart([], title=HOSTILE), line_chart({}, title=HOSTILE)):
        _assert_escaped(empty)
        assert "no data" in empty and "<svg" not in empty


def test_drift_partials_render_standalone_and_escape() -> None:
    assert "No drift check in this report" in render("reports/_drift.html", **drift_context(None))
    context = drift_context(_check())
    page = render("reports/_drift.html", **context)
    _assert_escaped(page)
    assert page.startswith("<h2>Drift</h2>") and 'class="alert"' in page and "ALERT" in page
    assert "(40 articles) vs reference 2026-01-01 to 2026-02-01 (41 articles)" in page
    assert page.count("<svg") == 1 and "<table>" in page
    table = render("reports/_drift_table.html", **context)
    _assert_escaped(table)
    assert "<html" not in table and "<h2>" not in table
    assert table.count('<th scope="col">') == 6 and table.count('<th scope="row">') == 2
    assert "<td>0.0001234</td><td>0.01</td>" in table  # value and threshold to 4 significant digits


def test_other_partials_render_standalone_and_escape() -> None:
    trends = render("reports/_trends.html", **_trends())
    _assert_escaped(trends)
    assert trends.startswith("<h2>Trends</h2>") and trends.count("<svg") == 2
    quiet = TrendsView(**{**_trends()["trends"], "surprise": None, "hourly": None})
    assert "Nothing is rising" in render("reports/_trends.html", trends=quiet)

    rows = Table(header=["model", "note"], rows=[[HOSTILE, HOSTILE]])
    chart = line_chart_data({HOSTILE: [("2026-01-01", 1.0)]}, title="per day")
    predictions = render(
        "reports/_predictions.html", predictions={"per_day": chart, "shares": chart, "summary": rows}
    )
    _assert_escaped(predictions)
    assert "not logged" in render("reports/_predictions.html", predictions=None)
    quality = render("reports/_quality.html", quality={"daily": chart, "overall": rows})
    _assert_escaped(quality)
    assert quality.startswith("<h2>Live quality")
    alerts = render("reports/_alerts.html", alerts=rows)
    _assert_escaped(alerts)
    assert "None." in render("reports/_alerts.html", alerts=Table(header=["at"], rows=[]))


def test_write_report_escapes_hostile_text_and_keeps_its_outline(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "ws")
    settings.monitor_dir.mkdir(parents=True, exist_ok=True)
    alert = {"name": f"drift:{HOSTILE}", "message": HOSTILE, "action": "retrain"}
    (settings.monitor_dir / "alerts.jsonl").write_text(
        json.dumps({"at": "2026-03-01T00:00:00+00:00", "alerts": [alert]}) + "\n", encoding="utf-8"
    )
    store = open_store(settings)
    try:
        out = write_report(settings, store, tmp_path / "out" / "report.html", check=_check())
        context = report_context(settings, store, check=_check(), now=datetime(2026, 3, 2, tzinfo=UTC))
    finally:
        store.close()
    page = out.read_text(encoding="utf-8")
    _assert_escaped(page)
    assert page.startswith("<!doctype html>") and '<html lang="en">' in page
    assert "<title>newsdesk monitoring report</title>" in page
    headings = re.findall(r"<h([1-6])[^>]*>([^<]*)</h\1>", page)
    assert [level for level, _ in headings] == ["1", "2", "2", "2", "2", "2"]
    assert [text for _, text in headings[1:]] == [
        "Drift",
        "Predictions",
        "Live quality (editors' feedback)",
        "Trends",
        "Recent alerts",
    ]
    assert "last 30 days" in page and str(settings.home) in page
    assert f"<td>{ESCAPED}</td><td>retrain</td>" in page  # the alert's row
    assert context["generated"] == datetime(2026, 3, 2, tzinfo=UTC) and context["days"] == 30
    assert context["drift"] is not None and context["alerts"]["rows"][0][0] == "2026-03-01T00:00:00+00:00"
    # the document is its context through the template, so the console's pages show the same
    assert render("reports/monitor.html", **context).count("<svg") == page.count("<svg") == 1


@pytest.mark.parametrize("template", ["reports/monitor.html", "reports/model_card.html"])
def test_documents_need_their_context(template: str) -> None:
    """StrictUndefined: a context that lacks a key fails loudly instead of rendering a hole."""
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        render(template)


def test_render_imports_nothing_of_newsdesk() -> None:
    """monitor and lifecycle render through :mod:`newsdesk.web.render`, so it must sit below them."""
    path = Path(render_module.__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    names += [
        node.module or "." for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0
    ]
    assert not any(n == "newsdesk" or n.startswith("newsdesk.") for n in names), names
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))
