"""Promotion, rollback and the challenger: the only ways a model version reaches readers.

:func:`promote` moves MLflow's ``champion`` alias to a version only when its gate report (against the
current champion; re-evaluated when the champion has changed since) passes. ``force=True`` overrides failed
gates for an admin with a reason, and the audit trail says so. A refusal is audited too, with the reasons.
:func:`rollback` restores the previous champion from the model's champion history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newsdesk.auth import Role
from newsdesk.errors import GateFailed, InvalidInput, NotFound, PermissionDenied
from newsdesk.lifecycle.audit import audit_log
from newsdesk.lifecycle.evaluation import evaluate_version, report_dir
from newsdesk.lifecycle.gates import summarise
from newsdesk.lifecycle.registry import CHALLENGER, CHAMPION, ModelRegistry, model_name

if TYPE_CHECKING:
    from pathlib import Path

    from newsdesk.settings import Settings

__all__ = ["Promotion", "list_models", "promote", "rollback", "set_challenger"]


@dataclass(frozen=True)
class Promotion:
    model: str
    version: str
    previous: str | None
    forced: bool
    gates_passed: bool
    report_sha256: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "ref": f"{self.model}@{self.version}",
            "previous": self.previous,
            "forced": self.forced,
            "gates_passed": self.gates_passed,
            "report_sha256": self.report_sha256,
        }


def _fresh_report(
    settings: Settings, name: str, version: str, champion: str | None, actor: str, data: Path | None
) -> tuple[bool, str, str]:
    """(passed, summary, sha256) of a gate report of ``version`` against the current ``champion``."""
    import hashlib

    path = report_dir(settings, name, version) / "gates.json"
    text = path.read_text(encoding="utf-8") if data is None and path.exists() else None
    stored = json.loads(text) if text is not None else {}
    if text is not None and stored.get("champion") == champion:
        checks = stored.get("checks", [])
        failed = [c["message"] for c in checks if not c["passed"]]
        summary = summarise(f"{name}@{version}", failed, len(checks))
        return bool(stored.get("passed")), summary, hashlib.sha256(text.encode("utf-8")).hexdigest()
    report = evaluate_version(settings, name, version, actor=actor, data=data)
    return report.passed, report.summary(), report.sha256


def promote(
    settings: Settings,
    name: str,
    version: str | int,
    *,
    actor: str,
    role: Role | None = None,
    force: bool = False,
    reason: str | None = None,
    data: Path | None = None,
) -> Promotion:
    """Make ``version`` the champion if its gates pass (see the module docstring).

    Raises :class:`GateFailed` (with every failed gate) when refused, :class:`PermissionDenied` when
    ``force`` is asked by a non-admin, :class:`InvalidInput` for a forced promotion without a reason.
    """
    name, version = model_name(name), str(version)
    registry = ModelRegistry(settings)
    registry.version(name, version)
    current = registry.champion(name)
    if current == version:
        raise InvalidInput("version", version, f"a version other than the current champion {name}@{current}")
    if force:
        if role is None or not role >= Role.ADMIN:
            raise PermissionDenied(
                "forcing a promotion past failed gates needs an admin API key "
                "(create one with: newsdesk keys create --role admin)"
            )
        if not reason or not reason.strip():
            raise InvalidInput("reason", reason, "a non-empty reason saying why the gates are overridden")
    passed, summary, digest = _fresh_report(settings, name, version, current, actor, data)
    log = audit_log(settings)
    if not passed and not force:
        log.append(
            "refused",
            actor=actor,
            model=name,
            version=version,
            reason=summary,
            report_hash=digest,
            details={"champion": current},
        )
        raise GateFailed(f"not promoted: {summary}")
    registry.set_alias(name, CHAMPION, version)
    history = registry.history(name)
    if current is not None and (not history or history[-1] != current):
        history.append(current)
    history.append(version)
    registry.set_history(name, history)
    forced = force and not passed
    log.append(
        "force_promote" if forced else "promote",
        actor=actor,
        model=name,
        version=version,
        reason=reason,
        report_hash=digest,
        details={"previous": current, "gates_passed": passed, "gates": summary},
    )
    return Promotion(name, version, current, forced, passed, digest)


def rollback(settings: Settings, name: str, *, actor: str, reason: str | None = None) -> Promotion:
    """Give ``champion`` back to the version that held it before the current one."""
    name = model_name(name)
    registry = ModelRegistry(settings)
    current = registry.champion(name)
    if current is None:
        raise NotFound(f"{name} has no champion to roll back")
    history = registry.history(name)
    while history and history[-1] == current:
        history.pop()
    if not history:
        raise InvalidInput("model", name, f"a model with a champion before {name}@{current} to roll back to")
    previous = history[-1]
    registry.set_alias(name, CHAMPION, previous)
    registry.set_history(name, history)
    audit_log(settings).append(
        "rollback", actor=actor, model=name, version=previous, reason=reason, details={"from": current}
    )
    return Promotion(name, previous, current, False, True, None)


def set_challenger(settings: Settings, name: str, version: str | None, *, actor: str) -> str | None:
    """Run ``version`` in shadow beside the champion (``None`` stops shadowing). Returns the old one."""
    name = model_name(name)
    registry = ModelRegistry(settings)
    old = registry.alias(name, CHALLENGER)
    if version is None:
        registry.delete_alias(name, CHALLENGER)
    else:
        registry.set_alias(name, CHALLENGER, str(version))
    audit_log(settings).append(
        "alias",
        actor=actor,
        model=name,
        version=None if version is None else str(version),
        details={"alias": CHALLENGER, "previous": old, "cleared": version is None},
    )
    return old


def list_models(settings: Settings) -> list[dict[str, Any]]:
    """Every registered newsdesk model with its versions (newest first), aliases and gate status."""
    registry = ModelRegistry(settings)
    out = []
    for name in registry.names():
        out.append(
            {
                "name": name,
                "champion": registry.champion(name),
                "challenger": registry.alias(name, CHALLENGER),
                "history": registry.history(name),
                "versions": [v.to_dict() for v in registry.versions(name)],
            }
        )
    return out
