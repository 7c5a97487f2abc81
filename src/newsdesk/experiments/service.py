"""Running experiments: create, start, assign, record events, read, decide, with every decision audited.

:class:`ExperimentService` is what the CLI and the API call. It checks input (an unknown variant, a negative
count, clicks above impressions, an event for a stopped experiment) before anything is written, keeps state
through an :class:`~newsdesk.experiments.store.ExperimentStore`, and appends each decision (create, start,
stop, winner, override) to the workspace's audit trail as well as to the experiment's own history.

Assignment is stable per unit: the unit's hash places it on [0, 1) against the variants' cumulative weights
(even, or Thompson sampling's, with a fixed holdout share spread evenly), so a reader sees the same headline
on every visit while the weights hold, and few readers move when Thompson sampling shifts them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from newsdesk.errors import Conflict, InvalidInput

from .model import (
    BucketCounts,
    Decision,
    Experiment,
    RawEvent,
    Variant,
    bucket_start,
    new_experiment,
)
from .store import ExperimentStore, open_experiments

if TYPE_CHECKING:
    from newsdesk.lifecycle.audit import AuditLog
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

    from .live import ExperimentReadout

__all__ = ["Assignment", "EventBatch", "ExperimentService"]

_MAX_BATCH = 10_000
_FUTURE = timedelta(minutes=10)  # clock skew allowed on an event's time


@dataclass(frozen=True, slots=True)
class Assignment:
    """The variant a unit sees, and the weights it was drawn against."""

    experiment_id: str
    unit: str
    variant: Variant
    weights: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment_id": self.experiment_id,
            "unit": self.unit,
            "variant": self.variant.key,
            "text": self.variant.text,
            "weights": list(self.weights),
        }


@dataclass(frozen=True, slots=True)
class EventBatch:
    """What one post of events added: counts by variant, and the raw events kept."""

    experiment_id: str
    counts: tuple[BucketCounts, ...]
    raw_kept: int

    def to_dict(self) -> dict[str, Any]:
        totals: dict[str, dict[str, int]] = {}
        for c in self.counts:
            t = totals.setdefault(c.variant, {"trials": 0, "successes": 0})
            t["trials"] += c.trials
            t["successes"] += c.successes
        return {"experiment_id": self.experiment_id, "added": totals, "raw_kept": self.raw_kept}


def _count(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(field, value, "a whole number >= 0")
    return value


def _when(field: str, value: Any, now: datetime) -> datetime:
    if value is None:
        return now
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                field, value, "an ISO 8601 time with a zone, e.g. 2026-12-03T10:00:00Z"
            ) from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(field, str(value), "an ISO 8601 time with a zone, e.g. 2026-12-03T10:00:00Z")
    if value > now + _FUTURE:
        raise InvalidInput(field, value.isoformat(), f"a time no later than now ({now.isoformat()})")
    return value.astimezone(UTC)


class ExperimentService:
    """Experiments on one workspace's store, with its audit trail."""

    def __init__(self, store: ExperimentStore, audit: AuditLog | None = None) -> None:
        self.store = store
        self.audit = audit

    @classmethod
    def open(cls, settings: Settings, backend: Backend) -> ExperimentService:
        from newsdesk.lifecycle.audit import audit_log

        return cls(open_experiments(backend, settings.store_url), audit_log(settings))

    # -- decisions -------------------------------------------------------------------------------------------
    def _audit(self, decision: Decision) -> None:
        if self.audit is None:
            return
        details = {"experiment": decision.experiment_id, **dict(decision.details)}
        if decision.variant is not None:
            details["variant"] = decision.variant
        self.audit.append(
            f"experiment_{decision.action}",
            actor=decision.actor,
            model=f"experiment/{decision.experiment_id}",
            reason=decision.reason,
            details=details,
        )

    def create(self, *, actor: str, **fields: Any) -> Experiment:
        """A new draft experiment (:func:`~newsdesk.experiments.model.new_experiment`'s fields)."""
        fields.setdefault("owner", actor)
        experiment = new_experiment(**fields)
        decision = Decision(
            experiment.id, "create", actor, experiment.created_at, details={"name": experiment.name}
        )
        self.store.create_experiment(experiment, decision)
        self._audit(decision)
        return experiment

    def get(self, experiment_id: str) -> Experiment:
        return self.store.get_experiment(experiment_id)

    def list_experiments(
        self, *, status: str | None = None, kind: str | None = None, limit: int = 50
    ) -> list[Experiment]:
        from .model import KINDS, STATUSES

        if status is not None and status not in STATUSES:
            raise InvalidInput("status", status, f"one of {', '.join(STATUSES)}")
        if kind is not None and kind not in KINDS:
            raise InvalidInput("kind", kind, f"one of {', '.join(KINDS)}")
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit", limit, "an integer in [1, 1000]")
        return self.store.list_experiments(status=status, kind=kind, limit=limit)

    def _move(self, experiment: Experiment, decision: Decision, *, expect: str, **changes: Any) -> Experiment:
        updated = experiment.with_state(**changes)
        self.store.update_experiment(updated, decision, expect_status=expect)
        self._audit(decision)
        return updated

    def start(self, experiment_id: str, *, actor: str, reason: str | None = None) -> Experiment:
        e = self.get(experiment_id)
        if e.status != "draft":
            raise Conflict(f"experiment {experiment_id!r} is {e.status}: only a draft can be started")
        now = datetime.now(UTC)
        return self._move(
            e,
            Decision(e.id, "start", actor, now, reason=reason),
            expect="draft",
            status="running",
            started_at=now,
        )

    def stop(
        self, experiment_id: str, *, actor: str, winner: str | None = None, reason: str | None = None
    ) -> Experiment:
        """Stop a running experiment; with ``winner``, declare it too (an ``override`` when the readout
        recommends otherwise, which then needs a ``reason``)."""
        e = self.get(experiment_id)
        if e.status != "running":
            raise Conflict(
                f"experiment {experiment_id!r} is {e.status}: only a running experiment can be stopped"
            )
        if winner is not None:
            e.variant(winner)
        now = datetime.now(UTC)
        stopped = self._move(
            e,
            Decision(e.id, "stop", actor, now, reason=reason),
            expect="running",
            status="stopped",
            stopped_at=now,
        )
        if winner is not None:
            stopped = self.declare_winner(experiment_id, winner, actor=actor, reason=reason)
        return stopped

    def declare_winner(
        self, experiment_id: str, variant: str, *, actor: str, reason: str | None = None
    ) -> Experiment:
        """Name the winner of a stopped experiment. Against the readout's own verdict it is recorded as an
        ``override`` and needs a reason."""
        e = self.get(experiment_id)
        e.variant(variant)
        if e.status != "stopped":
            raise Conflict(f"experiment {experiment_id!r} is {e.status}: stop it before naming a winner")
        advice = self.readout(e).recommendation
        recommended = advice.variant if advice.action == "stop" else None
        action = "winner" if recommended == variant else "override"
        if action == "override" and not (reason and reason.strip()):
            raise InvalidInput(
                "reason",
                reason,
                f"a reason: the readout's verdict is {recommended or 'no winner'}, not {variant}",
            )
        decision = Decision(
            e.id,
            action,
            actor,
            datetime.now(UTC),
            variant=variant,
            reason=reason,
            details={"recommended": recommended},
        )
        return self._move(e, decision, expect="stopped", winner=variant)

    def decisions(self, experiment_id: str) -> list[Decision]:
        self.get(experiment_id)
        return self.store.decisions(experiment_id)

    # -- traffic ---------------------------------------------------------------------------------------------
    def weights(self, experiment: Experiment) -> list[float]:
        """The assignment weights now: even, or Thompson sampling's (holdout spread evenly)."""
        if experiment.allocation != "thompson":
            return [1.0 / len(experiment.variants)] * len(experiment.variants)
        from .live import allocation_weights, variant_totals

        totals = variant_totals(experiment, self.store.counts(experiment.id))
        return [float(w) for w in allocation_weights(experiment, totals)]

    def assign(self, experiment_id: str, unit: str) -> Assignment:
        from .bandit import assign

        if not unit or len(unit) > 200:
            raise InvalidInput("unit", unit, "a non-empty reader or send id of at most 200 characters")
        e = self.get(experiment_id)
        if e.status != "running":
            raise Conflict(
                f"experiment {experiment_id!r} is {e.status}: units are assigned only while running"
            )
        weights = self.weights(e)
        variant = assign(e.id, unit, list(e.variants), weights)
        return Assignment(e.id, unit, variant, tuple(weights))

    def record(
        self,
        experiment_id: str,
        *,
        events: Sequence[Mapping[str, Any]] = (),
        counts: Sequence[Mapping[str, Any]] = (),
        now: datetime | None = None,
    ) -> EventBatch:
        """Add single events (``{variant, type, unit?, at?}``, ``type`` the trial's or the success's singular
        name, or a guardrail's name) and aggregated counts (``{variant, <trials>, <successes>, guardrails?,
        at?}`` with the metric's names, e.g. impressions and clicks). All are checked first; one bad item
        refuses the batch and nothing is written."""
        e = self.get(experiment_id)
        if e.status != "running":
            raise Conflict(f"experiment {experiment_id!r} is {e.status}: it takes events only while running")
        if not events and not counts:
            raise InvalidInput("events", [], "at least one event or count")
        if len(events) + len(counts) > _MAX_BATCH:
            raise InvalidInput("events", len(events) + len(counts), f"at most {_MAX_BATCH} items per post")
        now = now or datetime.now(UTC)
        keys = set(e.keys)
        rails = {g.name for g in e.guardrails}
        trial, success = e.trials_name, e.successes_name
        singular = {trial.removesuffix("s"): "trial", success.removesuffix("s"): "success"}
        buckets: dict[tuple[datetime, str], dict[str, int]] = {}

        def add(at: datetime, variant: str, metric: str, n: int) -> None:
            cell = buckets.setdefault((bucket_start(at), variant), {})
            cell[metric] = cell.get(metric, 0) + n

        raw: list[RawEvent] = []
        for i, item in enumerate(events):
            where = f"events[{i}]"
            if not isinstance(item, Mapping):
                raise InvalidInput(where, item, "an object with variant and type")
            variant = item.get("variant")
            if not isinstance(variant, str) or variant not in keys:
                raise InvalidInput(f"{where}.variant", variant, f"one of {', '.join(e.keys)}")
            kind = item.get("type")
            metric = (
                (singular.get(kind) or (kind if kind in rails else None)) if isinstance(kind, str) else None
            )
            if metric is None:
                allowed = [*singular, *sorted(rails)]
                raise InvalidInput(f"{where}.type", kind, f"one of {', '.join(allowed)}")
            at = _when(f"{where}.at", item.get("at"), now)
            add(at, variant, metric, 1)
            if e.keep_raw:
                unit = item.get("unit")
                if not isinstance(unit, str) or not unit:
                    raise InvalidInput(
                        f"{where}.unit", unit, "the reader's or send's id (this experiment keeps raw events)"
                    )
                raw.append(RawEvent(e.id, variant, unit, metric, at))
        for i, item in enumerate(counts):
            where = f"counts[{i}]"
            if not isinstance(item, Mapping):
                raise InvalidInput(where, item, f"an object with variant, {trial} and {success}")
            unknown = set(item) - {"variant", trial, success, "guardrails", "at"}
            if unknown:
                raise InvalidInput(
                    f"{where}.{sorted(unknown)[0]}",
                    item[sorted(unknown)[0]],
                    f"only variant, {trial}, {success}, guardrails, at",
                )
            variant = item.get("variant")
            if not isinstance(variant, str) or variant not in keys:
                raise InvalidInput(f"{where}.variant", variant, f"one of {', '.join(e.keys)}")
            n = _count(f"{where}.{trial}", item.get(trial, 0))
            k = _count(f"{where}.{success}", item.get(success, 0))
            if k > n:
                raise InvalidInput(f"{where}.{success}", k, f"at most {trial} ({n})")
            at = _when(f"{where}.at", item.get("at"), now)
            add(at, variant, "trial", n)
            add(at, variant, "success", k)
            guard = item.get("guardrails") or {}
            if not isinstance(guard, Mapping):
                raise InvalidInput(f"{where}.guardrails", guard, "an object of guardrail name -> count")
            for name, value in guard.items():
                if name not in rails:
                    raise InvalidInput(
                        f"{where}.guardrails.{name}",
                        value,
                        f"a declared guardrail: {', '.join(sorted(rails)) or 'none'}",
                    )
                m = _count(f"{where}.guardrails.{name}", value)
                if m > n:
                    raise InvalidInput(f"{where}.guardrails.{name}", m, f"at most {trial} ({n})")
                add(at, variant, name, m)
        batch = tuple(
            BucketCounts(
                e.id,
                variant,
                bucket,
                trials=cell.pop("trial", 0),
                successes=cell.pop("success", 0),
                guardrails=cell,
            )
            for (bucket, variant), cell in sorted(buckets.items())
        )
        self.store.add_counts(e.id, batch, raw)
        return EventBatch(e.id, batch, len(raw))

    def history(self, kind: str, *, limit: int = 200) -> dict[str, Any]:
        """What past experiments of ``kind`` say for designing the next one: the controls' pooled rate
        (the baseline) and the median daily traffic of one experiment (trials a day over the days it had
        traffic), from up to ``limit`` of the newest that had traffic."""
        import statistics

        trials = successes = 0
        daily: list[float] = []
        used = 0
        for e in self.list_experiments(kind=kind, limit=limit):
            if e.status == "draft":
                continue
            counts = self.store.counts(e.id)
            if not counts:
                continue
            used += 1
            control = e.variants[0].key
            trials += sum(c.trials for c in counts if c.variant == control)
            successes += sum(c.successes for c in counts if c.variant == control)
            days = {c.bucket.date() for c in counts}
            daily.append(sum(c.trials for c in counts) / len(days))
        if not used or not trials:
            raise InvalidInput(
                "kind", kind, "a kind with past experiments that had traffic in this workspace"
            )
        return {
            "kind": kind,
            "experiments": used,
            "baseline": successes / trials,
            "daily_traffic": statistics.median(daily),
        }

    # -- reading ---------------------------------------------------------------------------------------------
    def readout(self, experiment: Experiment | str) -> ExperimentReadout:
        """The live readout (:func:`newsdesk.experiments.live.read_experiment`) from the stored counts."""
        from .live import read_experiment

        e = self.get(experiment) if isinstance(experiment, str) else experiment
        return read_experiment(e, self.store.counts(e.id))

    def report(self, experiment_id: str) -> str:
        """The experiment's self-contained HTML report."""
        from .report import render_report

        e = self.get(experiment_id)
        return render_report(e, self.readout(e), self.store.decisions(e.id))
