"""Model cards: what a version is for, what it was trained on, how well it does overall and per slice,
which gates it passed, and what it cannot do. Markdown for the repository, HTML for the console.

The HTML comes from templates (``newsdesk/web/templates/reports/``): ``model_card.html`` is the standalone
document, ``_card_body.html`` its content, which the web console includes in its model page; both are fed by
:func:`card_context`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from newsdesk.artifacts import publish
from newsdesk.errors import InvalidInput
from newsdesk.lifecycle.evaluation import latest_report
from newsdesk.lifecycle.registry import ModelRegistry, model_name
from newsdesk.lifecycle.specs import spec_for
from newsdesk.web.render import render

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = [
    "CARD_FORMATS",
    "CardContext",
    "ModelCard",
    "card_context",
    "model_card",
    "render_card",
    "write_card",
]

CARD_FORMATS = ("markdown", "html", "json")


@dataclass
class ModelCard:
    name: str
    version: str
    aliases: list[str]
    created: str
    owner: str
    intended_use: str
    limitations: list[str]
    training: dict[str, Any]
    evaluation_data: dict[str, Any]
    params: dict[str, str]
    code: dict[str, str]
    metrics: dict[str, float]
    slices: dict[str, dict[str, Any]]
    behaviour: list[dict[str, Any]]
    gates: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def sections(self) -> list[tuple[str, list[str] | list[list[str]]]]:
        """(heading, paragraphs or table rows) in card order: the one layout both renderings follow."""
        t, e = self.training, self.evaluation_data
        gate_rows: list[list[str]] = []
        verdict_line = "Not evaluated against the gates yet (newsdesk models evaluate)."
        gates: list[str] | list[list[str]] = [
            "Not evaluated against the gates yet (newsdesk models evaluate)."
        ]
        if self.gates:
            gate_rows = [["gate", "checked", "value", "threshold", "result"]] + [
                [
                    c["gate"],
                    c["name"],
                    f"{c['value']:.4f}",
                    f"{c['threshold']:.4f}",
                    "pass" if c["passed"] else "FAIL",
                ]
                for c in self.gates.get("checks", [])
            ]
            verdict = "PASSED" if self.gates.get("passed") else "FAILED"
            champion = self.gates.get("champion") or "none"
            verdict_line = f"{verdict} against champion {champion} ({self.gates.get('evaluated_at')})"
            gates = gate_rows
        return [
            ("Intended use", [self.intended_use]),
            ("Owner", [self.owner]),
            (
                "Training data",
                [
                    f"{t.get('records')} records from {t.get('path')}; sha256 {t.get('sha256')}",
                    f"dates: {t.get('first') or 'n/a'} to {t.get('last') or 'n/a'}; sources: "
                    f"{json.dumps(t.get('sources', {}))}",
                    f"labels: {json.dumps(t.get('labels', {}))}",
                ],
            ),
            (
                "Evaluation data",
                [f"{e.get('records')} records from {e.get('path')}; sha256 {e.get('sha256')}"],
            ),
            ("Metrics", [["metric", "value"]] + [[k, f"{v:.4f}"] for k, v in self.metrics.items()]),
            (
                "Metrics per slice",
                [["slice", "support", "value"]]
                + [[k, str(v["support"]), f"{v['value']:.4f}"] for k, v in self.slices.items()],
            ),
            (
                "Behavioural tests",
                [
                    f"{b['name']}: {b['passed']}/{b['tested']} unchanged — {b['description']}"
                    for b in self.behaviour
                ],
            ),
            ("Gate verdict", [verdict_line]),
            ("Gates", gates),
            ("Known limitations", list(self.limitations)),
            ("Parameters", [["parameter", "value"]] + [[k, v] for k, v in sorted(self.params.items())]),
            ("Code", [f"{k}: {v}" for k, v in sorted(self.code.items())]),
        ]

    def to_markdown(self) -> str:
        lines = [
            f"# Model card: {self.name} version {self.version}",
            "",
            f"Aliases: {', '.join(self.aliases) or 'none'} · registered {self.created}",
        ]
        for heading, body in self.sections():
            lines += ["", f"## {heading}", ""]
            if body and isinstance(body[0], list):
                rows = [r for r in body if isinstance(r, list)]
                lines.append("| " + " | ".join(rows[0]) + " |")
                lines.append("|" + "---|" * len(rows[0]))
                lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows[1:]]
            else:
                lines += [f"- {p}" for p in body]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """The card as a standalone HTML document (``reports/model_card.html`` on :func:`card_context`)."""
        return render("reports/model_card.html", **card_context(self))


class CardTable(TypedDict):
    """A table as ``table`` in ``reports/_tables.html`` takes it: column headings and formatted rows."""

    header: list[str]
    rows: list[list[str]]


class CardSection(TypedDict):
    """One part of a card as the templates show it: a table, or lines (none: an empty part)."""

    heading: str
    id: str  # the heading as an HTML id (the partial prefixes it with ``card-``)
    table: CardTable | None
    lines: list[str]


class CardView(TypedDict):
    name: str
    version: str
    aliases: str  # joined, "none" without any
    created: str
    sections: list[CardSection]


class CardContext(TypedDict):
    """What ``reports/model_card.html`` and ``reports/_card_body.html`` need."""

    card: CardView


def card_context(card: ModelCard) -> CardContext:
    """What the card's templates need (``reports/_card_body.html``, ``reports/model_card.html``): the card's
    :meth:`ModelCard.sections`, the one layout the Markdown rendering follows too.

    >>> from newsdesk.web.render import render
    >>> card = ModelCard("m", "1", [], "2026-01-01", "me", "<script>x</script>", [], *[{}] * 6, [], None)
    >>> page = render("reports/_card_body.html", **card_context(card))
    >>> "<script>" in page, "&lt;script&gt;x&lt;/script&gt;" in page
    (False, True)
    """
    sections: list[CardSection] = []
    for heading, body in card.sections():
        rows = [[str(c) for c in r] for r in body if isinstance(r, list)]
        sections.append(
            CardSection(
                heading=heading,
                id=re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-"),
                table=CardTable(header=rows[0], rows=rows[1:]) if rows else None,
                lines=[] if rows else [str(p) for p in body],
            )
        )
    return CardContext(
        card=CardView(
            name=card.name,
            version=card.version,
            aliases=", ".join(card.aliases) or "none",
            created=card.created,
            sections=sections,
        )
    )


def model_card(settings: Settings, name: str, version: str | int) -> ModelCard:
    """The card of ``name`` version ``version`` from the registry, its training run and its gate report."""
    name, version = model_name(name), str(version)
    registry = ModelRegistry(settings)
    info = registry.version(name, version)
    spec = spec_for(name, settings)
    params: dict[str, str] = {}
    metrics: dict[str, float] = {}
    tags: dict[str, str] = {}
    fingerprints: dict[str, Any] = {}
    evaluation: dict[str, Any] = {}
    if info.run_id:
        params, metrics, tags = registry.run_data(info.run_id)
        fingerprints = registry.load_dict(info.run_id, "data/fingerprints.json")
        evaluation = registry.load_dict(info.run_id, "evaluation/dev_evaluation.json")
    return ModelCard(
        name=name,
        version=version,
        aliases=list(info.aliases),
        created=info.created,
        owner=settings.lifecycle.owner,
        intended_use=spec.intended_use,
        limitations=list(spec.limitations),
        training=fingerprints.get("train", {}),
        evaluation_data=fingerprints.get("eval", {}),
        params={k: v for k, v in params.items() if not k.startswith(("train.", "dev."))},
        code={
            k: v for k, v in tags.items() if k.startswith("newsdesk.") and ("version" in k or "commit" in k)
        },
        metrics=evaluation.get("metrics", {k: v for k, v in metrics.items() if "." not in k}),
        slices=evaluation.get("slices", {}),
        behaviour=evaluation.get("behaviour", []),
        gates=latest_report(settings, name, version),
    )


def render_card(card: ModelCard, fmt: str = "markdown") -> str:
    """The card as ``markdown``, ``html`` or ``json`` text."""
    if fmt == "markdown":
        return card.to_markdown()
    if fmt == "html":
        return card.to_html()
    if fmt == "json":
        return json.dumps(card.to_dict(), indent=2, default=str)
    raise InvalidInput("--format", fmt, ", ".join(CARD_FORMATS))


def write_card(settings: Settings, card: ModelCard, fmt: str, output: Path) -> str | None:
    """Write the rendered card to ``output`` and copy it to ``cards/<name>`` in the artifact store when
    ``artifacts.url`` is set; returns the copy's URI (None without a store)."""
    text = render_card(card, fmt)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    return publish(settings, output, "cards")
