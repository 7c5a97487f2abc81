"""``newsdesk models evaluate NAME VERSION``: measure a version and its champion on the same evaluation set
and write the gate report.

The evaluation set is, in order: ``data`` when given; the set logged with the version at training
(``evaluation/dev.jsonl``); the file the version was evaluated on at training (its path, checked against the
SHA-256 recorded then); the spec's default. The report is written to
``<home>/reports/<name>/v<version>/gates.json`` and ``gates.md``, logged on the version's MLflow run, and its
SHA-256 and verdict are set as version tags (``newsdesk.gates``, ``newsdesk.gate_report_sha256``) and
appended to the audit trail.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput
from newsdesk.lifecycle.audit import audit_log
from newsdesk.lifecycle.gates import GateReport, check_gates
from newsdesk.lifecycle.registry import GATES_TAG, REPORT_TAG, ModelRegistry, model_name
from newsdesk.lifecycle.specs import spec_for
from newsdesk.model_kinds import model_kinds

if TYPE_CHECKING:
    from newsdesk.lifecycle.spec import Evaluation, ModelSpec
    from newsdesk.settings import GateConfig, Settings

__all__ = ["evaluate_version", "latest_report", "report_dir"]


def report_dir(settings: Settings, name: str, version: str) -> Path:
    return settings.home / "reports" / name / f"v{version}"


def latest_report(settings: Settings, name: str, version: str) -> dict[str, Any] | None:
    """The last gate report written for this version, as a dict (None when never evaluated)."""
    import json

    path = report_dir(settings, name, version) / "gates.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _eval_examples(
    registry: ModelRegistry, spec: ModelSpec, name: str, version: str, data: Path | None, scratch: Path
) -> tuple[list[Any], dict[str, Any]]:
    from newsdesk.lifecycle.fingerprint import DataFingerprint

    if data is not None:
        return spec.load_eval(data), {"path": str(data), "origin": "given"}
    info = registry.version(name, version)
    params: dict[str, str] = {}
    if info.run_id:
        params, _, _ = registry.run_data(info.run_id)
        try:
            local = registry.download(info.run_id, "evaluation/dev.jsonl", scratch)
        except Exception:  # not logged with this version
            local = None
        if local is not None and local.exists():
            return spec.load_eval(local), {
                "path": params.get("dev.path", "evaluation/dev.jsonl"),
                "origin": "logged with the version",
            }
    recorded = params.get("dev.path")
    if recorded and Path(recorded).is_file():
        examples = spec.load_eval(Path(recorded))
        expected = params.get("dev.sha256")
        fp: DataFingerprint | None = spec.fingerprint(examples, Path(recorded))
        if expected and fp is not None and fp.sha256 != expected:
            raise InvalidInput(
                "data",
                recorded,
                f"the evaluation set {name}@{version} was trained with (sha256 {expected[:12]}); the file "
                "has changed since, so pass --data to evaluate on a set of your choice",
            )
        return examples, {"path": recorded, "origin": "the version's training evaluation set"}
    default = spec.default_eval_path()
    if default is None:
        raise InvalidInput("data", None, f"an evaluation set for {name}@{version} (pass --data PATH)")
    return spec.load_eval(default), {"path": str(default), "origin": "default"}


def _evaluate(
    registry: ModelRegistry, spec: ModelSpec, name: str, version: str, examples: list[Any]
) -> Evaluation:
    model = registry.load(name, version).unwrap_python_model()
    return spec.evaluate(model, examples)


def gate_config(settings: Settings, kind: str) -> GateConfig:
    """The kind's gates: its entry's defaults with ``settings.lifecycle.gates[kind]`` applied."""
    return model_kinds.get(kind).gate_config(settings)


def evaluate_version(
    settings: Settings,
    name: str,
    version: str | int,
    *,
    actor: str,
    data: Path | None = None,
    against: str | None = None,
) -> GateReport:
    """Evaluate ``name`` version ``version`` and its champion (or ``against``) on the same examples, check
    the gates, write and record the report."""
    import tempfile

    name = model_name(name)
    version = str(version)
    registry = ModelRegistry(settings)
    registry.version(name, version)  # NotFound before any work
    spec = spec_for(name, settings)
    scratch = settings.home / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        examples, origin = _eval_examples(registry, spec, name, version, data, Path(tmp))
    fp = spec.fingerprint(examples, Path(origin["path"]))
    candidate = _evaluate(registry, spec, name, version, examples)
    champion = against if against is not None else registry.champion(name)
    if champion == version:
        champion = None
    champion_eval = _evaluate(registry, spec, name, champion, examples) if champion else None
    config = gate_config(settings, spec.kind)
    notes = []
    if champion is None:
        notes.append("No other champion to compare with: only absolute, behavioural and latency gates apply.")
    report = GateReport(
        model=name,
        version=version,
        champion=champion,
        evaluated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        eval_set={**origin, "n": len(examples), "sha256": fp.sha256},
        checks=check_gates(candidate, config, champion_eval),
        candidate=candidate.to_dict(),
        champion_evaluation=champion_eval.to_dict() if champion_eval else None,
        config=config.model_dump(),
        notes=notes,
    )
    _record(settings, registry, report, actor)
    return report


def _record(settings: Settings, registry: ModelRegistry, report: GateReport, actor: str) -> None:
    folder = report_dir(settings, report.model, report.version)
    folder.mkdir(parents=True, exist_ok=True)
    text = report.to_json()
    digest = report.sha256
    stamp = report.evaluated_at.replace(":", "").replace("-", "")
    for target in (folder / "gates.json", folder / f"gates-{stamp}.json"):
        target.write_text(text, encoding="utf-8")
    (folder / "gates.md").write_text(report.to_markdown(), encoding="utf-8")
    info = registry.version(report.model, report.version)
    if info.run_id:
        registry.log_artifact(info.run_id, folder / "gates.json", f"gates/{stamp}")
        registry.log_artifact(info.run_id, folder / "gates.md", f"gates/{stamp}")
    registry.tag_version(
        report.model,
        report.version,
        {
            GATES_TAG: "passed" if report.passed else "failed",
            REPORT_TAG: digest,
            "newsdesk.gates_vs": report.champion or "",
        },
    )
    audit_log(settings).append(
        "evaluate",
        actor=actor,
        model=report.model,
        version=report.version,
        report_hash=digest,
        details={
            "passed": report.passed,
            "champion": report.champion,
            "failed": [asdict(c)["message"] for c in report.failures],
            "eval_sha256": report.eval_set.get("sha256"),
        },
    )
