"""The experiment report: one self-contained HTML page with inline SVG, every typed text escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import numpy as np

from newsdesk.experiments.live import read_experiment
from newsdesk.experiments.model import BucketCounts, Decision, Experiment, new_experiment
from newsdesk.experiments.report import render_report

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)
EVIL = "<script>alert(1)</script>"


def experiment(n: int = 2) -> Experiment:
    texts = ["Cuts bite", f"Budget {EVIL}", "Five things"][:n]
    return new_experiment(
        kind="headline",
        name=f"Budget day {EVIL}",
        variants=texts,
        owner="ana",
        experiment_id="e1",
        guardrails=["unsubscribes"],
        planned_size=50_000,
    )


def traffic(keys: list[str], rates: list[float], hours: int = 24) -> list[BucketCounts]:
    rng = np.random.default_rng(3)
    return [
        BucketCounts("e1", k, T0 + timedelta(hours=h), 1000, int(rng.binomial(1000, r)), {"unsubscribes": 2})
        for h in range(hours)
        for k, r in zip(keys, rates, strict=True)
    ]


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(name for name, _ in attrs)


def parsed(page: str) -> Tags:
    parser = Tags()
    parser.feed(page)
    return parser


def test_the_report_has_its_charts_and_tables() -> None:
    e = experiment()
    readout = read_experiment(e, traffic(["A", "B"], [0.02, 0.03]), now=T0 + timedelta(days=2))
    decisions = [
        Decision("e1", "create", "ana", T0 - timedelta(hours=1)),
        Decision("e1", "winner", "ana", T0 + timedelta(days=1), variant="B", reason=f"clear {EVIL}"),
    ]
    page = render_report(e, readout, decisions)
    tags = parsed(page)
    # posteriors, P(best) bars and the difference with its confidence sequence band
    assert tags.tags.count("svg") == 3
    assert "polygon" in tags.tags and tags.tags.count("polyline") >= 3
    assert tags.tags.count("table") >= 4
    assert readout.recommendation.summary in page


def test_typed_text_is_escaped_and_nothing_is_loaded() -> None:
    e = experiment()
    readout = read_experiment(e, traffic(["A", "B"], [0.02, 0.021], hours=3), now=T0 + timedelta(days=1))
    page = render_report(e, readout, [Decision("e1", "stop", EVIL, T0, reason=EVIL)])
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    tags = parsed(page)
    assert "script" not in tags.tags and "img" not in tags.tags and "link" not in tags.tags
    assert "src" not in tags.attrs and "href" not in tags.attrs


def test_zero_traffic_renders() -> None:
    e = experiment(3)
    page = render_report(e, read_experiment(e, [], now=T0), [])
    assert "no data yet" in page and "<svg" not in page
    parsed(page)


def test_a_variant_without_traffic_and_a_single_look_render() -> None:
    e = experiment(3)
    readout = read_experiment(e, traffic(["A", "B"], [0.02, 0.03], hours=1), now=T0 + timedelta(hours=1))
    page = render_report(e, readout, [])
    tags = parsed(page)
    assert tags.tags.count("svg") == 2  # posteriors of A and B, B's difference; no P(best) without C
    assert "no data yet" in page
