"""Experiments as data: what an experiment is, its variants, guardrails and counts, checked on the way in.

An :class:`Experiment` is what an editor creates; :class:`BucketCounts` are its traffic, impressions and
clicks (or sends and opens) per variant per time bucket; :class:`Decision` is an entry of its history (also
written to the audit trail). Every check raises :class:`~newsdesk.errors.InvalidInput` naming the field, the
value and what is allowed, before anything is written.

>>> e = new_experiment(kind="headline", name="Budget", variants=["Cuts bite", "What it means"], owner="ana")
>>> [v.key for v in e.variants], e.status, e.metric
(['A', 'B'], 'draft', 'clicks/impressions')
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from newsdesk.errors import InvalidInput

__all__ = [
    "ALLOCATIONS",
    "KINDS",
    "METRICS",
    "STATUSES",
    "BucketCounts",
    "Decision",
    "Experiment",
    "Guardrail",
    "RawEvent",
    "Variant",
    "bucket_start",
    "experiment_from_dict",
    "new_experiment",
]

Kind = Literal["headline", "subject_line", "any"]
Status = Literal["draft", "running", "stopped"]
KINDS: tuple[str, ...] = ("headline", "subject_line", "any")
STATUSES: tuple[str, ...] = ("draft", "running", "stopped")
#: metric -> (the trials' name, the successes' name)
METRICS: dict[str, tuple[str, str]] = {
    "clicks/impressions": ("impressions", "clicks"),
    "opens/sends": ("sends", "opens"),
}
ALLOCATIONS: tuple[str, ...] = ("even", "thompson")
DECISIONS: tuple[str, ...] = ("create", "start", "stop", "winner", "override")
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_MAX_VARIANTS = 26


@dataclass(frozen=True, slots=True)
class Variant:
    """One arm: a short key (``A``, ``B``...), its text (the headline or subject line); the first is the
    control."""

    key: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "text": self.text}


@dataclass(frozen=True, slots=True)
class Guardrail:
    """A second rate, counted per variant alongside the metric (``name`` per trial), that a treatment must
    not make worse by more than ``tolerance`` (relative to the control): e.g. ``unsubscribes`` (lower is
    better) or ``scroll_depth_50`` (higher is better)."""

    name: str
    tolerance: float = 0.05
    higher_is_better: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "tolerance": self.tolerance, "higher_is_better": self.higher_is_better}


@dataclass(frozen=True, slots=True)
class Experiment:
    """A test of variants on one metric, with its plan and state."""

    id: str
    kind: str
    name: str
    variants: tuple[Variant, ...]
    metric: str = "clicks/impressions"
    article_id: str | None = None
    guardrails: tuple[Guardrail, ...] = ()
    planned_size: int | None = None  # trials per variant the design asked for
    allocation: str = "even"
    holdout: float = 0.1  # share kept on an even split under Thompson sampling
    alpha: float = 0.05
    tau: float = 0.005  # the mixture SPRT's prior spread (an absolute difference of rates)
    keep_raw: bool = False  # keep each event (unit, variant, time) as well as the hourly counts
    status: str = "draft"
    owner: str = ""
    winner: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def keys(self) -> list[str]:
        return [v.key for v in self.variants]

    @property
    def trials_name(self) -> str:
        return METRICS[self.metric][0]

    @property
    def successes_name(self) -> str:
        return METRICS[self.metric][1]

    def variant(self, key: str) -> Variant:
        for v in self.variants:
            if v.key == key:
                return v
        raise InvalidInput("variant", key, f"one of this experiment's variants: {', '.join(self.keys)}")

    def with_state(self, **changes: Any) -> Experiment:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "article_id": self.article_id,
            "variants": [v.to_dict() for v in self.variants],
            "metric": self.metric,
            "guardrails": [g.to_dict() for g in self.guardrails],
            "planned_size": self.planned_size,
            "allocation": self.allocation,
            "holdout": self.holdout,
            "alpha": self.alpha,
            "tau": self.tau,
            "keep_raw": self.keep_raw,
            "status": self.status,
            "owner": self.owner,
            "winner": self.winner,
            "created_at": _iso(self.created_at),
            "started_at": _iso(self.started_at),
            "stopped_at": _iso(self.stopped_at),
        }


@dataclass(frozen=True, slots=True)
class BucketCounts:
    """Traffic of one variant in one time bucket (an hour, UTC): trials (impressions or sends), successes
    (clicks or opens) and guardrail counts by name."""

    experiment_id: str
    variant: str
    bucket: datetime
    trials: int
    successes: int
    guardrails: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "bucket": _iso(self.bucket),
            "trials": self.trials,
            "successes": self.successes,
            "guardrails": dict(self.guardrails),
        }


@dataclass(frozen=True, slots=True)
class RawEvent:
    """One reader's (or send's) event, kept only when the experiment asks for raw events."""

    experiment_id: str
    variant: str
    unit: str
    event: str  # "trial" (an impression or a send), "success" (a click or an open), or a guardrail name
    at: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """An entry of an experiment's history: created, started, stopped, a winner declared or overridden."""

    experiment_id: str
    action: str
    actor: str
    at: datetime
    variant: str | None = None
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "actor": self.actor,
            "at": _iso(self.at),
            "variant": self.variant,
            "reason": self.reason,
            "details": dict(self.details),
        }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def experiment_from_dict(data: Mapping[str, Any]) -> Experiment:
    """An :class:`Experiment` from :meth:`Experiment.to_dict` (as a store keeps it)."""
    return Experiment(
        id=data["id"],
        kind=data["kind"],
        name=data["name"],
        variants=tuple(Variant(v["key"], v["text"]) for v in data["variants"]),
        metric=data["metric"],
        article_id=data.get("article_id"),
        guardrails=tuple(
            Guardrail(g["name"], float(g["tolerance"]), bool(g["higher_is_better"]))
            for g in data["guardrails"]
        ),
        planned_size=data.get("planned_size"),
        allocation=data["allocation"],
        holdout=float(data["holdout"]),
        alpha=float(data["alpha"]),
        tau=float(data["tau"]),
        keep_raw=bool(data.get("keep_raw", False)),
        status=data["status"],
        owner=data["owner"],
        winner=data.get("winner"),
        created_at=_parse(data["created_at"]) or datetime.now(UTC),
        started_at=_parse(data.get("started_at")),
        stopped_at=_parse(data.get("stopped_at")),
    )


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def bucket_start(moment: datetime) -> datetime:
    """The hour (UTC) that ``moment`` falls in: the time bucket counts are kept by."""
    if moment.tzinfo is None:
        raise InvalidInput("at", moment.isoformat(), "a time with a time zone (e.g. 2026-12-03T10:00:00Z)")
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _guardrail(value: Guardrail | Mapping[str, Any] | str, i: int) -> Guardrail:
    if isinstance(value, Guardrail):
        g = value
    elif isinstance(value, str):
        g = Guardrail(value)
    elif isinstance(value, Mapping):
        unknown = set(value) - {"name", "tolerance", "higher_is_better"}
        if unknown or "name" not in value:
            raise InvalidInput(
                f"guardrails[{i}]",
                dict(value),
                "an object with name, and optionally tolerance, higher_is_better",
            )
        g = Guardrail(
            str(value["name"]),
            float(value.get("tolerance", 0.05)),
            bool(value.get("higher_is_better", False)),
        )
    else:
        raise InvalidInput(f"guardrails[{i}]", value, "a guardrail name or object")
    if not _KEY.match(g.name) or g.name in ("trial", "success"):
        raise InvalidInput(
            f"guardrails[{i}].name", g.name, "1-32 letters, digits, '_' or '-' (not 'trial' or 'success')"
        )
    if not 0 < g.tolerance < 1:
        raise InvalidInput(f"guardrails[{i}].tolerance", g.tolerance, "a number in (0, 1)")
    return g


def new_experiment(
    *,
    kind: str,
    name: str,
    variants: Sequence[str | Variant | Mapping[str, str]],
    owner: str,
    metric: str | None = None,
    article_id: str | None = None,
    guardrails: Sequence[Guardrail | Mapping[str, Any] | str] = (),
    planned_size: int | None = None,
    allocation: str = "even",
    holdout: float = 0.1,
    alpha: float = 0.05,
    tau: float = 0.005,
    keep_raw: bool = False,
    experiment_id: str | None = None,
    now: datetime | None = None,
) -> Experiment:
    """A checked draft experiment. Variants given as plain texts get the keys ``A``, ``B``...; the first
    variant is the control. The metric defaults to opens/sends for subject lines, clicks/impressions
    otherwise."""
    if kind not in KINDS:
        raise InvalidInput("kind", kind, f"one of {', '.join(KINDS)}")
    if experiment_id is not None and not _KEY.match(experiment_id):
        raise InvalidInput("id", experiment_id, "1-32 letters, digits, '_' or '-'")
    if not owner.strip():
        raise InvalidInput("owner", owner, "a non-empty name of who owns the experiment")
    if not name.strip() or len(name) > 200:
        raise InvalidInput("name", name, "a non-empty name of at most 200 characters")
    metric = metric or ("opens/sends" if kind == "subject_line" else "clicks/impressions")
    if metric not in METRICS:
        raise InvalidInput("metric", metric, f"one of {', '.join(METRICS)}")
    if allocation not in ALLOCATIONS:
        raise InvalidInput("allocation", allocation, f"one of {', '.join(ALLOCATIONS)}")
    if not 0 <= holdout < 1:
        raise InvalidInput("holdout", holdout, "a share in [0, 1)")
    if not 0 < alpha < 1:
        raise InvalidInput("alpha", alpha, "a number in (0, 1)")
    if not 0 < tau < 1:
        raise InvalidInput("tau", tau, "a number in (0, 1): the expected size of a difference in rates")
    if planned_size is not None and (isinstance(planned_size, bool) or int(planned_size) < 1):
        raise InvalidInput("planned_size", planned_size, "a whole number of trials per variant >= 1")
    if not 2 <= len(variants) <= _MAX_VARIANTS:
        raise InvalidInput("variants", len(variants), f"between 2 and {_MAX_VARIANTS} variants")
    arms: list[Variant] = []
    for i, v in enumerate(variants):
        if isinstance(v, Variant):
            arm = v
        elif isinstance(v, str):
            arm = Variant(chr(ord("A") + i), v)
        elif isinstance(v, Mapping) and "text" in v:
            arm = Variant(str(v.get("key") or chr(ord("A") + i)), str(v["text"]))
        else:
            raise InvalidInput(f"variants[{i}]", v, "a text, or an object with text (and optionally key)")
        if not _KEY.match(arm.key):
            raise InvalidInput(f"variants[{i}].key", arm.key, "1-32 letters, digits, '_' or '-'")
        if not arm.text.strip() or len(arm.text) > 500:
            raise InvalidInput(f"variants[{i}].text", arm.text, "a non-empty text of at most 500 characters")
        arms.append(arm)
    keys = [a.key for a in arms]
    if len(set(keys)) != len(keys):
        raise InvalidInput("variants", keys, "distinct variant keys")
    if len({a.text.strip().casefold() for a in arms}) != len(arms):
        raise InvalidInput("variants", [a.text for a in arms], "distinct variant texts")
    rails = tuple(_guardrail(g, i) for i, g in enumerate(guardrails))
    if len({g.name for g in rails}) != len(rails):
        raise InvalidInput("guardrails", [g.name for g in rails], "distinct guardrail names")
    return Experiment(
        id=experiment_id or f"exp_{secrets.token_hex(6)}",
        kind=kind,
        name=name.strip(),
        variants=tuple(arms),
        metric=metric,
        article_id=article_id,
        guardrails=rails,
        planned_size=int(planned_size) if planned_size is not None else None,
        allocation=allocation,
        holdout=float(holdout),
        alpha=float(alpha),
        tau=float(tau),
        keep_raw=bool(keep_raw),
        owner=owner,
        created_at=now or datetime.now(UTC),
    )
