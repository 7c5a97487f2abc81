"""``eval trends`` on a small file in the UCI layout: a background of everyday headlines, then two stories
arriving in bursts; both reach the top 10 within minutes, and the everyday terms are not trends."""

from __future__ import annotations

import csv
from pathlib import Path

from newsdesk.evaluate.trends import run
from newsdesk.settings import Settings

T0 = 1_394_470_000_000  # 2014-03-10 16:46 UTC, in ms


def _write(path: Path) -> None:
    rows = []
    topics = ["Weather stays mild", "Markets steady in Europe", "Football results roundup"]
    for i in range(12 * 6):  # one everyday headline every 10 minutes for 12 hours
        rows.append((topics[i % 3] + f" edition {i}", f"bg{i % 3}", T0 + i * 600_000))
    for j in range(15):
        rows.append(
            (f"Harbour strike halts shipping in Rotterdam {j}", "strike", T0 + 8 * 3_600_000 + j * 20_000)
        )
    for j in range(10):
        rows.append(
            (f"Volcano eruption grounds flights over Iceland {j}", "volcano", T0 + 10 * 3_600_000 + j * 9_000)
        )
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ID", "TITLE", "URL", "PUBLISHER", "CATEGORY", "STORY", "HOSTNAME", "TIMESTAMP"])
        for n, (title, story, ts) in enumerate(rows, start=1):
            w.writerow([n, title, "http://x", "p", "b", story, "x", ts])


def test_bursting_stories_trend_within_minutes(tmp_path: Path) -> None:
    path = tmp_path / "dev.csv"
    _write(path)
    result = run(path, Settings(home=tmp_path / "home"), None, entities=False)
    latency = result.details["model_latency_by_story"]
    assert latency["strike"] is not None and latency["strike"] <= 15
    assert latency["volcano"] is not None and latency["volcano"] <= 15
    assert latency["bg0"] is None  # an everyday run of headlines never rises above its own level
    assert result.metrics["noise_share"] == 0.0
    assert result.n == 72 + 25
