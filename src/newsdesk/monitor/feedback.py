"""Editors' feedback on what newsdesk showed them: accept, reject or correct a section, a tag or an entity.

Feedback is stored in the archive (``feedback`` table) with who and when, and the model version that made
the shown value (taken from the article's enrichment when not given). It is training data --
:func:`effective_sections` gives ``newsdesk train sections`` each article's label after corrections -- and
the measure of live quality: :func:`live_precision` is the share of judged outputs editors accepted, per
model version and period. Which kinds of feedback there are, and which component's outputs each judges,
comes from the model kinds (:mod:`newsdesk.model_kinds`: each names the feedback kinds that judge it).

>>> Feedback(article_id="a1", kind="section", action="correct", value="business", correction="tech",
...          actor="ed").label
'tech'
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from newsdesk.errors import InvalidInput
from newsdesk.model_kinds import all_kinds

__all__ = [
    "ACTIONS",
    "Feedback",
    "FeedbackStore",
    "component_of",
    "effective_sections",
    "feedback_kinds",
    "live_precision",
    "record_feedback",
]

ACTIONS = ("accept", "reject", "correct")
# feedback on the outputs of components whose models the lifecycle does not govern (no model kind serves
# them): the IPTC tagger is zero-shot, adapted to the archive when the pipeline prepares it
UNGOVERNED = {"tag": "iptc", "entity-page": "entities"}  # entity-page: merge/split/rename (newsdesk.entities)


def _judged() -> dict[str, str]:
    """Feedback kind -> the component whose shown outputs it judges: each model kind's ``feedback`` kinds
    go to the component serving that kind (:mod:`newsdesk.model_kinds`), then :data:`UNGOVERNED`."""
    out = {f: k.component or k.name for k in all_kinds() for f in k.feedback}
    return {**out, **{f: c for f, c in UNGOVERNED.items() if f not in out}}


def feedback_kinds() -> list[str]:
    """The kinds of feedback editors may give (``section``, ``entity``, ``tag``, and those of plug-in model
    kinds)."""
    return list(_judged())


def _check_kind(kind: str | None) -> None:
    kinds = feedback_kinds()
    if kind is not None and kind not in kinds:
        raise InvalidInput("kind", kind, f"one of {', '.join(kinds)}")


def component_of(feedback_kind: str) -> str:
    """The component whose outputs feedback of ``feedback_kind`` judges (the kind itself when unknown)."""
    return _judged().get(feedback_kind, feedback_kind)


@dataclass(frozen=True)
class Feedback:
    article_id: str
    kind: str
    action: str
    value: str
    actor: str
    correction: str | None = None
    model: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None

    @property
    def label(self) -> str | None:
        """The right value according to this feedback: the shown one if accepted, the correction if
        corrected, None if rejected."""
        return (
            self.value if self.action == "accept" else self.correction if self.action == "correct" else None
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat()
        return out


@runtime_checkable
class FeedbackStore(Protocol):
    """Where editors' feedback is kept: every store backend offers this beside the articles."""

    def add_feedback(self, items: Sequence[Feedback]) -> list[Feedback]:
        """Store feedback in one transaction; returns it with ids. :class:`~newsdesk.errors.NotFound`
        (nothing stored) when an article does not exist."""
        ...

    def list_feedback(
        self,
        *,
        article_id: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[Feedback]:
        """Feedback, oldest first, filtered."""
        ...


class _ArticlesWithFeedback(FeedbackStore, Protocol):
    def get(self, article_id: str, *, with_enrichments: bool = True) -> Any: ...


def _clean(name: str, value: Any, limit: int = 500) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(name, value, f"a non-empty string of at most {limit} characters")
    return value.strip()


def record_feedback(
    store: _ArticlesWithFeedback,
    article_id: str,
    *,
    kind: str,
    action: str,
    value: str,
    actor: str,
    correction: str | None = None,
    model: str | None = None,
) -> Feedback:
    """Validate and store one piece of feedback. ``model`` defaults to ``component@version`` of the
    article's stored enrichment that shows such values."""
    _check_kind(kind)
    if action not in ACTIONS:
        raise InvalidInput("action", action, f"one of {', '.join(ACTIONS)}")
    value = _clean("value", value)
    actor = _clean("actor", actor, 200)
    if action == "correct":
        correction = _clean("correction", correction)
        if correction == value:
            raise InvalidInput("correction", correction, "a value different from the shown one")
    elif correction is not None:
        raise InvalidInput("correction", correction, "no correction unless action is 'correct'")
    article = store.get(article_id)  # NotFound first
    if model is None:
        enrichment = article.enrichments.get(component_of(kind))
        if enrichment is not None:
            model = f"{enrichment.component}@{enrichment.version}"
    item = Feedback(article.id, kind, action, value, actor, correction, model)
    return store.add_feedback([item])[0]


def effective_sections(store: FeedbackStore) -> dict[str, str | None]:
    """Article id -> its section after editors' feedback (the latest section feedback wins): the
    correction, the accepted value, or None when the shown section was rejected without a correction (the
    article is then left out of training). Articles without section feedback are not in the mapping."""
    out: dict[str, str | None] = {}
    for item in store.list_feedback(kind="section"):
        out[item.article_id] = item.label
    return out


def live_precision(
    store: FeedbackStore,
    *,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    period: str = "day",
) -> list[dict[str, Any]]:
    """Per model version and period (``day``, ``week`` or ``all``): how many shown outputs editors judged
    and the share they accepted (precision of shown values)."""
    if period not in ("day", "week", "all"):
        raise InvalidInput("period", period, "day, week or all")
    _check_kind(kind)
    counts: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
        lambda: {"accept": 0, "reject": 0, "correct": 0}
    )
    for item in store.list_feedback(kind=kind, since=since, until=until):
        when = item.created_at.astimezone(UTC)
        if period == "day":
            bucket = when.date().isoformat()
        elif period == "week":
            year, week, _ = when.isocalendar()
            bucket = f"{year}-W{week:02d}"
        else:
            bucket = "all"
        counts[(item.model or "unknown", item.kind, bucket)][item.action] += 1
    rows = []
    for (model, kind_, bucket), c in sorted(counts.items()):
        judged = c["accept"] + c["reject"] + c["correct"]
        rows.append(
            {
                "model": model,
                "kind": kind_,
                "period": bucket,
                "judged": judged,
                "accepted": c["accept"],
                "rejected": c["reject"],
                "corrected": c["correct"],
                "precision": round(c["accept"] / judged, 4) if judged else None,
            }
        )
    return rows


def parse_feedback_rows(rows: Sequence[Sequence[Any]]) -> list[Feedback]:
    """Store rows (id, article_id, kind, action, value, correction, model, actor, created_at) -> Feedback;
    ``created_at`` as ISO text or ``datetime``."""
    return [
        Feedback(
            article_id=r[1],
            kind=r[2],
            action=r[3],
            value=r[4],
            correction=r[5],
            model=r[6],
            actor=r[7],
            created_at=r[8] if isinstance(r[8], datetime) else datetime.fromisoformat(r[8]),
            id=int(r[0]),
        )
        for r in rows
    ]
