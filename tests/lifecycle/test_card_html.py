"""A model card's HTML: rendered from templates, every text escaped, the same sections as the Markdown, and
a body partial that renders on its own (the web console's model page includes it)."""

from __future__ import annotations

import re

from newsdesk.lifecycle.cards import ModelCard, card_context, render_card
from newsdesk.web.render import render

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _card(text: str = HOSTILE, *, gates: bool = True) -> ModelCard:
    return ModelCard(
        name=f"newsdesk-{text}",
        version="3",
        aliases=["champion", text],
        created="2026-01-01T00:00:00+00:00",
        owner=f"data team {text}",
        intended_use=f"Sorts articles into sections. {text}",
        limitations=[f"short texts {text}"],
        training={"records": 70, "path": "train.jsonl", "sha256": "abc", "sources": {text: 70}, "labels": {}},
        evaluation_data={"records": 30, "path": "dev.jsonl", "sha256": "def"},
        params={"C": text},
        code={"newsdesk.version": "0.1.0"},
        metrics={"macro_f1": 0.81234},
        slices={f"section={text}": {"support": 10, "value": 0.9}},
        behaviour=[{"name": "typos", "passed": 9, "tested": 10, "description": text}],
        gates={
            "passed": True,
            "champion": "2",
            "evaluated_at": "2026-01-02",
            "checks": [{"gate": text, "name": "macro_f1", "value": 0.8, "threshold": 0.7, "passed": True}],
        }
        if gates
        else None,
    )


def test_card_html_escapes_hostile_text() -> None:
    page = _card().to_html()
    assert "<script" not in page and ESCAPED in page
    assert page.startswith("<!doctype html>") and '<html lang="en">' in page
    assert f"<title>Model card: newsdesk-{ESCAPED} v3</title>" in page
    assert f"<h1>Model card: newsdesk-{ESCAPED} version 3</h1>" in page
    assert render_card(_card(), "html") == page
    # every place a hostile text reaches
    for shown in (
        f"Sorts articles into sections. {ESCAPED}",
        f"short texts {ESCAPED}",
        f"Aliases: champion, {ESCAPED}",
        f'<th scope="row">section={ESCAPED}</th>',
        f"<td>{ESCAPED}</td>",  # a parameter's value
        f"typos: 9/10 unchanged — {ESCAPED}",
    ):
        assert shown in page, shown


def test_card_html_has_the_markdown_sections_and_figures() -> None:
    card = _card("x")
    page, md = card.to_html(), card.to_markdown()
    md_headings = re.findall(r"^## (.+)$", md, flags=re.M)
    html_headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page)
    assert html_headings == md_headings and len(md_headings) == 12
    assert re.findall(r"<h([1-6])", page) == ["1"] + ["2"] * 12  # one h1, then the sections
    for figure in ("0.8123", "0.9000", "0.7000", "PASSED against champion 2", "70 records from train.jsonl"):
        assert figure in page and figure in md
    assert page.count("<table>") == 4 and '<th scope="col">metric</th>' in page
    ungated = _card("x", gates=False).to_html()
    assert "Not evaluated against the gates yet" in ungated and ungated.count("<table>") == 3


def test_card_body_renders_standalone() -> None:
    context = card_context(_card())
    body = render("reports/_card_body.html", **context)
    assert "<script" not in body and ESCAPED in body
    assert "<html" not in body and "<h1" not in body and "<title>" not in body
    assert body.count("<h2") == 12
    ids = re.findall(r'id="([^"]+)"', body)
    assert len(ids) == len(set(ids)) and "card-metrics-per-slice" in ids
    # the document is the body inside the frame: the console shows the same content
    assert body.strip() in _card().to_html()
    sections = context["card"]["sections"]
    assert [s["heading"] for s in sections][:3] == ["Intended use", "Owner", "Training data"]
    metrics = next(s for s in sections if s["heading"] == "Metrics")
    assert metrics["table"] == {"header": ["metric", "value"], "rows": [["macro_f1", "0.8123"]]}
    empty = _card("x", gates=False)
    empty.behaviour, empty.limitations = [], []
    assert render("reports/_card_body.html", **card_context(empty)).count("<p><em>None.</em></p>") == 2
