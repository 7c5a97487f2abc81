"""The model lifecycle end to end on a real MLflow registry (SQLite backend) in a temp workspace:
train -> evaluate -> a worse candidate refused with a readable reason -> a better one promoted -> a running
service (a real uvicorn process) switches versions -> rollback -> the audit trail verifies, and tampering
with it is detected."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from newsdesk.auth import Role, create_key
from newsdesk.cli.app import app as cli
from newsdesk.errors import GateFailed, InvalidInput, NotFound, PermissionDenied
from newsdesk.lifecycle.audit import audit_log
from newsdesk.lifecycle.cards import model_card
from newsdesk.lifecycle.evaluation import evaluate_version, report_dir
from newsdesk.lifecycle.promote import list_models, promote, rollback, set_challenger
from newsdesk.lifecycle.registry import ModelRegistry, model_name
from newsdesk.lifecycle.sections import LabelledArticle, load_labelled, write_labelled
from newsdesk.lifecycle.serving import Champions, shadow_log_path
from newsdesk.lifecycle.train import train_model
from newsdesk.settings import GateConfig, Settings
from newsdesk.store import open_store
from pinned import pinned_settings

DATA = Path(__file__).parents[1] / "data"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def _write_folder(items: list[LabelledArticle], folder: Path) -> Path:
    """A BBC-layout folder (section/NNN.txt, headline on the first line) of ``items``."""
    for n, item in enumerate(items):
        path = folder / item.section / f"{n:03d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{item.headline}\n\n{item.body}\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def splits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """From the 100-article BBC sample: a fixed evaluation set (6 per section) and three training sets of
    different sizes (8, 2 and 14 per section), so the 2-per-section model is clearly worse."""
    root = tmp_path_factory.mktemp("lifecycle-data")
    items = load_labelled(DATA / "sections" / "bbc", Settings(home=root / "unused"))
    by_section: dict[str, list[LabelledArticle]] = defaultdict(list)
    for item in items:
        by_section[item.section].append(item)
    dev = [i for group in by_section.values() for i in group[:6]]
    rest = {s: group[6:] for s, group in by_section.items()}
    return {
        "dev": write_labelled(dev, root / "dev" / "dev.jsonl"),
        "medium": _write_folder([i for g in rest.values() for i in g[:8]], root / "medium"),
        "small": _write_folder([i for g in rest.values() for i in g[:2]], root / "small"),
        "large": _write_folder([i for g in rest.values() for i in g[:14]], root / "large"),
    }


def _settings(home: Path) -> Settings:
    settings = pinned_settings(home)  # the workspace's own database on the PostgreSQL run
    settings.lifecycle.reload_seconds = 0.0
    settings.lifecycle.gates["sections"] = GateConfig(
        minimum={"accuracy": 0.6, "macro_f1": 0.6},
        compare=["accuracy", "macro_f1"],
        max_regression=0.02,
        slice_min_support=6,
        slice_max_regression=0.2,
        behaviour_min_pass_rate=0.8,
        latency_p95_ms=2000,
    )
    return settings


@pytest.fixture(scope="module")
def workspace(pinned_home: Callable[[str], Path], splits: dict[str, Path]) -> dict[str, object]:
    """A workspace with three registered sections versions: 1 (medium data), 2 (small), 3 (large)."""
    home = pinned_home("lifecycle-home")
    settings = _settings(home)
    versions = {}
    for size in ("medium", "small", "large"):
        result = train_model(settings, "sections", actor="trainer", data=splits[size], dev=splits["dev"])
        versions[size] = result
    return {"home": home, "settings": settings, "versions": versions}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(workspace: dict[str, object]) -> Iterator[tuple[str, dict[str, str]]]:
    """``newsdesk serve`` in its own process on the workspace, with admin and reader keys."""
    home = workspace["home"]
    assert isinstance(home, Path)
    store = open_store(_settings(home))
    _, admin = create_key(store, Role.ADMIN, name="admin-test")
    _, reader = create_key(store, Role.READER, name="reader-test")
    store.close()
    port = _free_port()
    env = {**os.environ, "NEWSDESK_HOME": str(home), "NEWSDESK_LIFECYCLE__RELOAD_SECONDS": "0"}
    if _settings(home).store.url is not None:
        env["NEWSDESK_STORE__URL"] = str(_settings(home).store.url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli.app", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server exited")
    try:
        yield base, {"admin": admin, "reader": reader}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_train_registers_versions_with_fingerprints_and_metrics(workspace: dict[str, object]) -> None:
    settings = workspace["settings"]
    assert isinstance(settings, Settings)
    versions = workspace["versions"]
    assert isinstance(versions, dict)
    assert [versions[s].version for s in ("medium", "small", "large")] == ["1", "2", "3"]
    medium = versions["medium"]
    assert medium.train_fingerprint["records"] == 40
    assert medium.dev_fingerprint["records"] == 30
    assert medium.train_fingerprint["labels"] == {s: 8 for s in medium.train_fingerprint["labels"]}
    assert len(medium.train_fingerprint["sha256"]) == 64
    registry = ModelRegistry(settings)
    params, metrics, tags = registry.run_data(medium.run_id)
    assert params["train.sha256"] == medium.train_fingerprint["sha256"]
    assert params["train.records"] == "40"
    assert "newsdesk.version" in tags and tags["newsdesk.kind"] == "sections"
    assert metrics["accuracy"] == pytest.approx(medium.metrics["accuracy"])
    assert any(k.startswith("slice.section_") for k in metrics)
    # the small model is the deliberately worse one
    assert versions["small"].metrics["accuracy"] < medium.metrics["accuracy"]
    # standard MLflow tooling loads the registered model by URI
    import mlflow

    mlflow.set_tracking_uri(registry.uri)
    model = mlflow.pyfunc.load_model("models:/newsdesk-sections/1")
    out = model.predict(["Shares rose as the bank reported record profits and the markets rallied"])
    assert out[0]["section"] == "business"


def test_lifecycle_end_to_end(
    workspace: dict[str, object], server: tuple[str, dict[str, str]], splits: dict[str, Path]
) -> None:
    settings = workspace["settings"]
    assert isinstance(settings, Settings)
    base, keys = server
    admin = {"X-API-Key": keys["admin"]}
    reader = {"X-API-Key": keys["reader"]}
    text = {"texts": ["The striker scored twice as the champions won the cup final at Wembley"]}

    # no champion yet: predictions are refused clearly
    r = httpx.post(f"{base}/models/sections/predict", json=text, headers=reader, timeout=60)
    assert r.status_code == 404 and "no champion" in r.json()["error"]["message"]

    # evaluate v1 (first champion: absolute, behavioural and latency gates), promote it
    report = evaluate_version(settings, "sections", 1, actor="tester")
    assert report.passed, report.summary()
    assert {c.gate for c in report.checks} == {"minimum", "behaviour", "latency"}
    folder = report_dir(settings, "newsdesk-sections", "1")
    assert json.loads((folder / "gates.json").read_text())["passed"] is True
    assert "# Gate report: newsdesk-sections@1" in (folder / "gates.md").read_text()
    assert promote(settings, "sections", 1, actor="tester").previous is None

    r = httpx.post(f"{base}/models/sections/predict", json=text, headers=reader, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["model"] == "newsdesk-sections@1"
    assert r.json()["predictions"][0]["section"] == "sport"

    # the worse candidate is refused, over HTTP too, with the failed gates in the message
    r = httpx.post(f"{base}/models/sections/promote", json={"version": "2"}, headers=admin, timeout=120)
    assert r.status_code == 409, r.text
    message = r.json()["error"]["message"]
    assert "not promoted" in message and "against the champion's" in message
    assert "beyond the tolerance" in message
    assert r.json()["error"]["code"] == "gate_failed"
    with pytest.raises(GateFailed, match="accuracy"):
        promote(settings, "sections", 2, actor="tester")
    refused = audit_log(settings).entries(action="refused")
    assert refused and refused[-1].version == "2" and "regresses" in (refused[-1].reason or "")
    # readers may not promote
    r = httpx.post(f"{base}/models/sections/promote", json={"version": "3"}, headers=reader, timeout=30)
    assert r.status_code == 403

    # the better one passes against champion 1 and the running service switches to it
    r = httpx.post(f"{base}/models/sections/promote", json={"version": "3"}, headers=admin, timeout=120)
    assert r.status_code == 200, r.text
    assert r.json()["previous"] == "1" and r.json()["gates_passed"] is True
    r = httpx.post(f"{base}/models/sections/predict", json=text, headers=reader, timeout=60)
    assert r.json()["model"] == "newsdesk-sections@3"

    # rollback from another process (the CLI) is seen by the service without a restart
    result = CliRunner().invoke(
        cli,
        [
            "--home",
            str(settings.home),
            "models",
            "rollback",
            "sections",
            "--reason",
            "editors report misrouted stories",
        ],
        env={"NEWSDESK_STORE__URL": settings.store.url} if settings.store.url else None,
    )
    assert result.exit_code == 0, result.output
    assert "newsdesk-sections@1 is the champion again" in result.output
    r = httpx.post(f"{base}/models/sections/predict", json=text, headers=reader, timeout=60)
    assert r.json()["model"] == "newsdesk-sections@1"

    listing = httpx.get(f"{base}/models", headers=admin, timeout=60).json()
    sections = next(m for m in listing if m["name"] == "newsdesk-sections")
    assert sections["champion"] == "1" and sections["history"] == ["1"]
    gates = {v["version"]: v["gates"] for v in sections["versions"]}
    assert gates["2"] == "failed" and gates["3"] == "passed"

    # the audit trail has every step, verifies, and catches tampering
    actions = [e.action for e in audit_log(settings).entries(model="newsdesk-sections")]
    for expected in ("train", "evaluate", "promote", "refused", "rollback"):
        assert expected in actions
    verify = CliRunner().invoke(cli, ["--home", str(settings.home), "audit", "verify"])
    assert verify.exit_code == 0, verify.output
    path = settings.audit_path
    lines = path.read_text(encoding="utf-8").splitlines()
    promoted = next(i for i, line in enumerate(lines) if '"action":"promote"' in line.replace(" ", ""))
    entry = json.loads(lines[promoted])
    original = path.read_text(encoding="utf-8")
    entry["actor"] = "someone-else"
    lines[promoted] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        tampered = CliRunner().invoke(cli, ["--home", str(settings.home), "audit", "verify"])
        assert tampered.exit_code == 5
        assert f"line {promoted + 1}" in tampered.output
    finally:
        path.write_text(original, encoding="utf-8")


def test_forcing_needs_an_admin_and_a_reason(workspace: dict[str, object]) -> None:
    settings = workspace["settings"]
    assert isinstance(settings, Settings)
    with pytest.raises(PermissionDenied, match="admin"):
        promote(settings, "sections", 2, actor="editor", role=Role.EDITOR, force=True, reason="deadline")
    with pytest.raises(InvalidInput, match="reason"):
        promote(settings, "sections", 2, actor="admin", role=Role.ADMIN, force=True, reason="  ")
    before = ModelRegistry(settings).champion("newsdesk-sections")
    forced = promote(
        settings, "sections", 2, actor="admin", role=Role.ADMIN, force=True, reason="hotfix for a new section"
    )
    try:
        assert forced.forced and not forced.gates_passed
        last = audit_log(settings).entries(model="newsdesk-sections")[-1]
        assert last.action == "force_promote" and last.reason == "hotfix for a new section"
        assert last.report_hash == forced.report_sha256
    finally:
        restored = rollback(settings, "sections", actor="admin", reason="undo the test's force")
        assert restored.version == before


def test_shadow_mode_logs_disagreements_without_changing_responses(workspace: dict[str, object]) -> None:
    settings = workspace["settings"]
    assert isinstance(settings, Settings)
    champion = ModelRegistry(settings).champion("newsdesk-sections")
    set_challenger(settings, "sections", "2", actor="tester")
    items = load_labelled(DATA / "sections" / "bbc", settings)[:40]
    texts = [i.text for i in items]
    champions = Champions(settings)
    try:
        plain = Champions(
            settings.model_copy(update={"lifecycle": settings.lifecycle.model_copy(update={"shadow": False})})
        )
        alone = plain.predict("sections", texts)
        shadowed = champions.predict("sections", texts)
        assert shadowed.model == alone.model == f"newsdesk-sections@{champion}"
        assert shadowed.outputs == alone.outputs and shadowed.shadow == "newsdesk-sections@2"
        champions.drain()
        counts = champions.shadow_counts["newsdesk-sections"]
        assert counts["compared"] == 40 and counts["failed"] == 0
        logged = shadow_log_path(settings, "sections").read_text().splitlines() if counts["disagreed"] else []
        assert len(logged) == counts["disagreed"]
        for line in logged:
            entry = json.loads(line)
            assert entry["champion_output"]["section"] != entry["challenger_output"]["section"]
    finally:
        champions.close()
        set_challenger(settings, "sections", None, actor="tester")


def test_model_card_markdown_and_html(workspace: dict[str, object]) -> None:
    settings = workspace["settings"]
    assert isinstance(settings, Settings)
    evaluate_version(settings, "sections", 3, actor="tester")  # the card shows the latest gate report
    card = model_card(settings, "sections", 3)
    md = card.to_markdown()
    for heading in (
        "## Intended use",
        "## Training data",
        "## Metrics per slice",
        "## Gates",
        "## Known limitations",
        "## Owner",
    ):
        assert heading in md
    assert card.training["records"] == 70 and card.training["sha256"] in md
    assert "section=sport" in md and "PASSED" in md
    html = card.to_html()
    assert html.startswith("<!doctype html>") and "<table>" in html and "newsdesk-sections" in html
    result = CliRunner().invoke(
        cli,
        ["--home", str(settings.home), "models", "card", "sections", "3", "--format", "json"],
        env={"NEWSDESK_STORE__URL": settings.store.url} if settings.store.url else None,
    )
    assert result.exit_code == 0 and json.loads(result.output)["version"] == "3"
    # in a fresh process, from another folder: the card reads the workspace's registry, not MLflow's default
    # database in the current folder (which it once did, failing with "Run ... not found")
    elsewhere = settings.home.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    env = {**os.environ, **({"NEWSDESK_STORE__URL": settings.store.url} if settings.store.url else {})}
    fresh = subprocess.run(
        [
            str(Path(sys.executable).parent / "newsdesk"),
            "--home",
            str(settings.home),
            "models",
            "card",
            "sections",
            "3",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert fresh.returncode == 0, fresh.stderr
    assert "# Model card: newsdesk-sections version 3" in fresh.stdout and not list(elsewhere.iterdir())


def test_pipeline_component_uses_the_champion(workspace: dict[str, object]) -> None:
    from newsdesk.pipeline import build_component

    settings = workspace["settings"]
    assert isinstance(settings, Settings)
    champion = ModelRegistry(settings).champion("newsdesk-sections")
    store = open_store(settings)
    try:
        component = build_component("sections", settings)  # the pipeline hands it the champion
        component.fit(store.iter_articles())  # no sectioned articles: only the champion can serve
        assert component.model_identity() == f"newsdesk-sections@{champion}"
        assert f"+newsdesk-sections@{champion}+" in component.version
    finally:
        store.close()


def test_bad_input_is_refused_with_the_field_named(workspace: dict[str, object], tmp_path: Path) -> None:
    settings = workspace["settings"]
    assert isinstance(settings, Settings)
    with pytest.raises(InvalidInput, match="model"):
        model_name("sentiment")
    with pytest.raises(NotFound):
        evaluate_version(settings, "sections", 99, actor="t")
    with pytest.raises(InvalidInput, match="params"):
        train_model(settings, "sections", actor="t", data=DATA / "sections" / "bbc", params={"depth": 3})
    with pytest.raises(InvalidInput, match="current champion"):
        promote(settings, "sections", ModelRegistry(settings).champion("newsdesk-sections") or "1", actor="t")
    unlabelled = tmp_path / "plain.jsonl"
    unlabelled.write_text('{"id": 1, "headline": "A headline", "body": "No section here."}\n')
    with pytest.raises(InvalidInput, match="no section"):
        train_model(settings, "sections", actor="t", data=unlabelled)
    assert [m["name"] for m in list_models(settings)] == ["newsdesk-sections"]


def test_ner_trains_from_the_installed_model_and_is_gated(tmp_path: Path) -> None:
    """A short real fine-tuning run on the committed CoNLL-format sample (the full CoNLL-2003 run is
    ``newsdesk train ner``; its figures are in the closing note)."""
    settings = Settings(home=tmp_path / "home")
    settings.lifecycle.gates["ner"] = GateConfig(
        minimum={"f1": 0.0}, behaviour_min_pass_rate=0.0, latency_p95_ms=5000
    )
    result = train_model(
        settings,
        "ner",
        actor="tester",
        data=DATA / "conll" / "eng.train",
        dev=DATA / "conll" / "eng.sample",
        params={"max_steps": 30, "eval_frequency": 10},
    )
    assert result.ref == "newsdesk-ner@1"
    assert set(result.metrics) >= {"f1", "precision", "recall", "f1_PER"}
    assert 0.0 <= result.metrics["f1"] <= 1.0
    assert {b.name for b in result.evaluation.behaviour} == {"per_name_swap", "loc_name_swap"}
    assert {"type=PER", "length=short"} <= set(result.evaluation.slices)
    report = evaluate_version(settings, "ner", 1, actor="tester")
    assert report.eval_set["origin"] == "the version's training evaluation set"
    assert report.candidate["metrics"]["f1"] == pytest.approx(result.metrics["f1"])
    assert report.passed, report.summary()
    promote(settings, "ner", 1, actor="tester")
    served = Champions(settings).predict("ner", ["Angela Merkel met Emmanuel Macron in Paris on Monday ."])
    assert served.model == "newsdesk-ner@1"
    assert all({"text", "label", "start", "end"} <= set(e) for e in served.outputs[0])


CONLL = Path(__file__).resolve().parents[3] / "shared" / "data" / "conll2003"


@pytest.mark.slow
@pytest.mark.skipif(not (CONLL / "eng.train").exists(), reason="needs ../shared/data/conll2003")
def test_ner_fine_tuned_on_conll2003_reaches_the_target(tmp_path: Path) -> None:
    """The issue's target: >= 0.88 exact-span micro-F1 on eng.testa (about 10 CPU-minutes on 2 cores;
    measured 0.8951 against the stock model's 0.644)."""
    settings = Settings(home=tmp_path / "home")
    result = train_model(settings, "ner", actor="tester", data=CONLL / "eng.train", dev=CONLL / "eng.testa")
    assert result.metrics["f1"] >= 0.88, result.metrics
    assert result.metrics["f1_ORG"] > 0.7


def test_mlflow_lives_beside_the_store(workspace: dict[str, object]) -> None:
    """On PostgreSQL, MLflow's runs and registry are kept in the store's own database (schema ``mlflow``);
    on SQLite, in the workspace's MLflow database."""
    from newsdesk.lifecycle.registry import ModelRegistry

    settings = workspace["settings"]
    assert isinstance(settings, Settings)
    registry = ModelRegistry(settings)
    if settings.store.url is None:
        assert registry.uri.startswith("sqlite:///") and registry.uri.endswith("mlflow.db")
        return
    import psycopg

    assert registry.uri.startswith("postgresql+psycopg://") and "search_path%3Dmlflow" in registry.uri
    with psycopg.connect(settings.store.url) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM mlflow.registered_models")}
    assert "newsdesk-sections" in names
