"""Gates: the checks a model version must pass before it may serve readers, and the report they produce.

:func:`check_gates` compares a candidate's :class:`~newsdesk.lifecycle.spec.Evaluation` with the gate
configuration (``settings.lifecycle.gates[kind]``) and, when there is one, the current champion's evaluation
on the same examples:

- ``minimum``: absolute floors on metrics;
- ``regression``: each compared metric may drop at most ``max_regression`` below the champion's;
- ``slice``: every slice with at least ``slice_min_support`` examples (for both) may drop at most
  ``slice_max_regression`` below the champion's value on that slice;
- ``behaviour``: each behavioural test's pass rate must reach ``behaviour_min_pass_rate``;
- ``latency``: p95 latency of one prediction within ``latency_p95_ms``.

The :class:`GateReport` is JSON (canonical, hashed: the hash goes into the audit trail and onto the MLflow
version) and Markdown for people.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from newsdesk.lifecycle.spec import Evaluation
from newsdesk.settings import GateConfig

__all__ = ["GateCheck", "GateReport", "check_gates", "summarise"]


@dataclass(frozen=True)
class GateCheck:
    gate: str  # minimum | regression | slice | behaviour | latency
    name: str  # what was checked: a metric, a slice, a test
    value: float
    threshold: float
    passed: bool
    message: str


@dataclass
class GateReport:
    model: str
    version: str
    champion: str | None
    evaluated_at: str
    eval_set: dict[str, Any]
    checks: list[GateCheck]
    candidate: dict[str, Any]
    champion_evaluation: dict[str, Any] | None
    config: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "ref": f"{self.model}@{self.version}",
            "passed": self.passed,
            "champion": self.champion,
            "evaluated_at": self.evaluated_at,
            "eval_set": self.eval_set,
            "checks": [asdict(c) for c in self.checks],
            "candidate": self.candidate,
            "champion_evaluation": self.champion_evaluation,
            "config": self.config,
            "notes": self.notes,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def summary(self) -> str:
        """One readable sentence: passed, or every failed gate."""
        return summarise(f"{self.model}@{self.version}", [c.message for c in self.failures], len(self.checks))

    def to_markdown(self) -> str:
        ref = f"{self.model}@{self.version}"
        verdict = "PASSED" if self.passed else "FAILED"
        champion = f"{self.model}@{self.champion}" if self.champion else "none (first champion)"
        lines = [
            f"# Gate report: {ref} — {verdict}",
            "",
            f"- Evaluated: {self.evaluated_at}",
            f"- Compared with champion: {champion}",
            f"- Evaluation set: {self.eval_set.get('path')} ({self.eval_set.get('n')} examples, "
            f"sha256 {str(self.eval_set.get('sha256', ''))[:12]})",
            "",
            "| gate | checked | value | threshold | result |",
            "|---|---|---|---|---|",
        ]
        for c in self.checks:
            mark = "pass" if c.passed else "**FAIL**"
            lines.append(f"| {c.gate} | {c.name} | {c.value:.4f} | {c.threshold:.4f} | {mark} |")
        if self.failures:
            lines += ["", "## Why it failed", ""] + [f"- {c.message}" for c in self.failures]
        lines += ["", "## Metrics", "", "| metric | candidate | champion |", "|---|---|---|"]
        champ_metrics = (self.champion_evaluation or {}).get("metrics", {})
        for name, value in self.candidate.get("metrics", {}).items():
            other = champ_metrics.get(name)
            lines.append(f"| {name} | {value:.4f} | {'' if other is None else f'{other:.4f}'} |")
        lines += ["", "## Slices", "", "| slice | support | candidate | champion |", "|---|---|---|---|"]
        champ_slices = (self.champion_evaluation or {}).get("slices", {})
        for name, s in self.candidate.get("slices", {}).items():
            other = champ_slices.get(name, {}).get("value")
            lines.append(
                f"| {name} | {s['support']} | {s['value']:.4f} | {'' if other is None else f'{other:.4f}'} |"
            )
        lines += ["", "## Behavioural tests", ""]
        for b in self.candidate.get("behaviour", []):
            lines.append(
                f"- {b['name']}: {b['passed']}/{b['tested']} ({b['pass_rate']:.2%}) — {b['description']}"
            )
            for failure in b.get("failures", [])[:3]:
                lines.append(f"  - e.g. {json.dumps(failure, ensure_ascii=False)}")
        lines += ["", f"Latency p95: {self.candidate.get('latency_p95_ms')} ms per prediction", ""]
        lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def summarise(ref: str, failures: list[str], total: int) -> str:
    """One readable sentence for a gate verdict.

    >>> summarise("m@2", ["f1 0.7 is below the minimum 0.8"], 4)
    'm@2 failed 1 of 4 gates: f1 0.7 is below the minimum 0.8'
    """
    if not failures:
        return f"{ref} passed all {total} gates"
    return f"{ref} failed {len(failures)} of {total} gates: " + "; ".join(failures)


def check_gates(candidate: Evaluation, config: GateConfig, champion: Evaluation | None) -> list[GateCheck]:
    """Every gate check of ``candidate`` (against ``champion`` when given)."""
    checks: list[GateCheck] = []
    for metric, floor in config.minimum.items():
        value = candidate.metrics.get(metric)
        if value is None:
            checks.append(
                GateCheck("minimum", metric, float("nan"), floor, False, f"metric '{metric}' missing")
            )
            continue
        ok = value >= floor
        checks.append(
            GateCheck(
                "minimum",
                metric,
                value,
                floor,
                ok,
                f"{metric} {value:.4f} is {'at or above' if ok else 'below'} the minimum {floor:.4f}",
            )
        )
    if champion is not None:
        for metric in config.compare:
            value, base = candidate.metrics.get(metric), champion.metrics.get(metric)
            if value is None or base is None:
                continue
            floor = base - config.max_regression
            checks.append(
                GateCheck(
                    "regression",
                    metric,
                    value,
                    floor,
                    value >= floor,
                    f"{metric} {value:.4f} against the champion's {base:.4f}: "
                    + (
                        f"{'no regression' if value >= base else f'down {base - value:.4f}, within'} the "
                        if value >= floor
                        else f"regresses by {base - value:.4f}, beyond the "
                    )
                    + f"tolerance {config.max_regression:.4f}",
                )
            )
        for name, s in candidate.slices.items():
            other = champion.slices.get(name)
            if other is None or min(s.support, other.support) < config.slice_min_support:
                continue
            floor = other.value - config.slice_max_regression
            checks.append(
                GateCheck(
                    "slice",
                    name,
                    s.value,
                    floor,
                    s.value >= floor,
                    f"slice {name} ({s.support} examples): {candidate.primary} {s.value:.4f} against the "
                    f"champion's {other.value:.4f}: "
                    + ("within" if s.value >= floor else "regresses beyond")
                    + f" the tolerance {config.slice_max_regression:.4f}",
                )
            )
    for test in candidate.behaviour:
        if not test.tested:
            continue
        floor = config.behaviour_min_pass_rate
        checks.append(
            GateCheck(
                "behaviour",
                test.name,
                test.pass_rate,
                floor,
                test.pass_rate >= floor,
                f"behavioural test {test.name}: {test.passed}/{test.tested} unchanged "
                f"({test.pass_rate:.2%}, required {floor:.0%})",
            )
        )
    budget = config.latency_p95_ms
    checks.append(
        GateCheck(
            "latency",
            "p95_ms",
            candidate.latency_p95_ms,
            budget,
            candidate.latency_p95_ms <= budget,
            f"p95 latency {candidate.latency_p95_ms:.1f} ms is "
            f"{'within' if candidate.latency_p95_ms <= budget else 'over'} the budget of {budget:.1f} ms",
        )
    )
    return checks
