"""Model kinds: the contract every registered kind meets, and a third kind added by this test alone.

The third kind, ``lead``, is real: it learns the section of an article from its headline and first paragraph
with newsdesk's :class:`~newsdesk.nlp.sections.SectionClassifier` (words view), is logged with the sections
pyfunc wrapper, and is served by a small component, ``lead_section``, registered here too. Nothing outside
this file mentions it, yet training, gates (its entry's defaults), promotion, serving, shadow mode, model
cards, the pipeline, feedback and monitoring all pick it up.
"""

from __future__ import annotations

import inspect
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import GateFailed, NotFitted
from newsdesk.ingest import ingest
from newsdesk.lifecycle.cards import model_card
from newsdesk.lifecycle.evaluation import evaluate_version
from newsdesk.lifecycle.fingerprint import fingerprint
from newsdesk.lifecycle.promote import promote, set_challenger
from newsdesk.lifecycle.pyfunc import SectionsModel, model_code
from newsdesk.lifecycle.registry import kind_of, model_name
from newsdesk.lifecycle.sections import LabelledArticle, load_labelled, write_labelled
from newsdesk.lifecycle.serving import Champions, disagrees, shadow_log_path
from newsdesk.lifecycle.spec import BehaviourResult, Evaluation, ModelSpec, SliceMetric, Trained, p95_ms
from newsdesk.lifecycle.train import train_model
from newsdesk.model_kinds import ModelKind, all_kinds, gate_config, model_kinds, register_kind
from newsdesk.monitor.checks import _quality_checks, monitored, run_checks
from newsdesk.monitor.feedback import component_of, feedback_kinds, record_feedback
from newsdesk.nlp import BaseComponent, Output, component_class, components
from newsdesk.pipeline import build_component, enrich
from newsdesk.settings import GateConfig, Settings
from newsdesk.store import ArticleStore, open_store

DATA = Path(__file__).parents[1] / "data"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


# -- the contract ------------------------------------------------------------------------------------------
def check_kind(kind: ModelKind, settings: Settings) -> None:
    """What every model kind must be: found by its name, trainable through a spec that says what it is for,
    gated with defaults that settings override field by field, served by a known component, judged by
    feedback kinds of its own, and compared in shadow mode by a two-argument rule."""
    name = kind.name
    assert model_kinds.get(name) is kind
    assert model_name(name) == model_name(kind.model_name) == f"newsdesk-{name}"
    assert kind_of(kind.model_name) == name
    spec_class = kind.spec_class()
    assert issubclass(spec_class, ModelSpec) and spec_class.kind == name
    assert spec_class.primary and spec_class.intended_use.strip() and spec_class.limitations
    assert isinstance(kind.training_spec(settings), spec_class)
    # gates: the entry's defaults, overridden field by field, never changed in the entry itself
    assert isinstance(kind.gates, GateConfig)
    assert gate_config(settings, name) == kind.gates
    overridden = settings.model_copy(deep=True)
    overridden.lifecycle.gates[name] = GateConfig(latency_p95_ms=12_345.0)
    merged = gate_config(overridden, name)
    assert merged.latency_p95_ms == 12_345.0 and kind.gates.latency_p95_ms != 12_345.0
    assert merged.model_dump(exclude={"latency_p95_ms"}) == kind.gates.model_dump(exclude={"latency_p95_ms"})
    # shadow mode
    assert len(inspect.signature(kind.disagrees).parameters) == 2
    # the component that serves it gets a champion source from the pipeline, and without a registry none
    others = [k for k in all_kinds() if k is not kind]
    if kind.component is not None:
        assert issubclass(component_class(kind.component), BaseComponent)
        assert all(k.component != kind.component for k in others), "one kind per serving component"
        component = build_component(kind.component, settings)
        assert component.champion_source is not None and component.served_champion() is None
    # feedback
    for feedback in kind.feedback:
        assert feedback in feedback_kinds()
        assert component_of(feedback) == (kind.component or name)
        assert all(feedback not in k.feedback for k in others), "one kind per feedback kind"
        assert component_of(feedback) in monitored()


@pytest.mark.parametrize("name", model_kinds.names())
def test_every_registered_kind_meets_the_contract(name: str, tmp_path: Path) -> None:
    check_kind(model_kinds.get(name), Settings(home=tmp_path))


def test_unknown_kinds_and_bad_entries_are_refused() -> None:
    from newsdesk.errors import InvalidInput

    with pytest.raises(InvalidInput, match="model"):
        model_name("sentiment")
    with pytest.raises(InvalidInput, match="name"):
        ModelKind(name="Bad Name", spec="x:Y", gates=GateConfig(), disagrees=lambda a, b: a != b)
    with pytest.raises(ValueError, match="already registered"):
        register_kind(
            ModelKind(name="sections", spec="x:Y", gates=GateConfig(), disagrees=lambda a, b: a != b)
        )


def test_gate_overrides_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSDESK_LIFECYCLE__GATES__NER__LATENCY_P95_MS", "80")
    settings = Settings(home=tmp_path)
    ner = gate_config(settings, "ner")
    assert ner.latency_p95_ms == 80 and ner.minimum == model_kinds.get("ner").gates.minimum
    assert gate_config(settings, "sections") == model_kinds.get("sections").gates


# -- a third kind, added here --------------------------------------------------------------------------------
def lead(headline: str, body: str) -> str:
    """What the ``lead`` model reads: the headline and the first paragraph."""
    return f"{headline}\n\n{body.strip().split(chr(10) + chr(10))[0]}"


class LeadSpec(ModelSpec):
    """The section of an article from its headline and first paragraph, for routing breaking news before
    the story is written: newsdesk's section classifier (words view) on those texts."""

    kind: ClassVar[str] = "lead"
    primary: ClassVar[str] = "accuracy"
    intended_use: ClassVar[str] = "Route a breaking story by its headline and first paragraph."
    limitations: ClassVar[tuple[str, ...]] = ("Sees a few dozen words: less accurate than the full text.",)

    def train(
        self,
        workdir: Path,
        *,
        data: Path | None,
        dev: Path | None,
        store: ArticleStore | None,
        params: dict[str, Any],
    ) -> Trained:
        from newsdesk.nlp.sections import SectionClassifier

        assert data is not None and dev is not None
        items, dev_items = load_labelled(data, self.settings), load_labelled(dev, self.settings)
        classifier = SectionClassifier(views=("words",), cv=2, min_df=1, **params)
        classifier.fit([lead(i.headline, i.body) for i in items], [i.section for i in items])
        return Trained(
            python_model=model_code(SectionsModel, workdir),
            artifacts={"classifier": str(classifier.save(workdir / "classifier.joblib"))},
            params={"views": "words", "min_df": 1, **params},
            train=fingerprint((i.record() for i in items), path=str(data)),
            dev=fingerprint((i.record() for i in dev_items), path=str(dev)),
            dev_artifact=write_labelled(dev_items, workdir / "evaluation" / "dev.jsonl"),
            dev_examples=dev_items,
        )

    def load_eval(self, path: Path) -> list[LabelledArticle]:
        return load_labelled(path, self.settings)

    def default_eval_path(self) -> Path | None:
        return None

    def evaluate(self, model: Any, examples: Sequence[LabelledArticle]) -> Evaluation:
        classifier = model.classifier
        texts = [lead(e.headline, e.body) for e in examples]
        correct = [str(p) == e.section for p, e in zip(classifier.predict(texts), examples, strict=True)]
        by_section: dict[str, list[bool]] = defaultdict(list)
        for example, ok in zip(examples, correct, strict=True):
            by_section[f"section={example.section}"].append(ok)
        slices = {k: SliceMetric(sum(v) / len(v), len(v)) for k, v in sorted(by_section.items())}
        upper = [lead(e.headline.upper(), e.body) for e in examples]
        same = [a == b for a, b in zip(classifier.predict(texts), classifier.predict(upper), strict=True)]
        case = BehaviourResult("headline_case", "Upper-casing the headline keeps the section", len(same), 0)
        case.passed = sum(same)
        latency = p95_ms(lambda text: classifier.predict([text]), texts[:10])
        accuracy = sum(correct) / len(correct)
        return Evaluation({"accuracy": accuracy}, slices, [case], latency, self.primary, len(texts))


def lead_disagrees(champion: Any, challenger: Any) -> bool:
    """Two lead outputs disagree when they route the story to different sections."""
    return bool(champion["section"] != challenger["section"])


LEAD = ModelKind(
    name="lead",
    spec=LeadSpec,
    gates=GateConfig(
        minimum={"accuracy": 0.5},
        compare=["accuracy"],
        max_regression=0.05,
        slice_min_support=6,
        slice_max_regression=0.5,
        behaviour_min_pass_rate=0.9,
        latency_p95_ms=2_000.0,
    ),
    disagrees=lead_disagrees,
    component="lead_section",
    feedback=("lead",),
    description="The section from the headline and first paragraph.",
)


class LeadSectionComponent(BaseComponent):
    """Serves the ``lead`` champion the pipeline hands it; without one there is nothing to serve. Its fitted
    state is the champion (asked for once, on the driver), so executors serve it without the registry."""

    name: ClassVar[str] = "lead_section"
    requires: ClassVar[tuple[str, ...]] = ("headline", "body")
    assigns: ClassVar[tuple[str, ...]] = ("lead_section",)
    state: ClassVar[tuple[str, ...]] = ("ref_", "model_")
    learns: ClassVar[bool] = True
    ref_: str | None = None
    model_: Any = None

    def _fit(self, articles: Iterable[Article]) -> None:
        served = self.served_champion()
        if served is None:
            raise NotFitted("lead_section: no newsdesk-lead champion")
        self.ref_, self.model_ = served

    def model_identity(self) -> str:
        return self.ref_ or ""

    def state_digest(self) -> str:
        return self.ref_ or ""  # a registered model version never changes: its ref stands for the model

    def transform(self, articles: Sequence[Article]) -> list[Output]:
        self.require_fitted()
        found = self.model_.predict(None, [lead(a.headline, a.body) for a in articles])
        return [Output({"section": f["section"]}, confidence=f["confidence"]) for f in found]


@pytest.fixture(scope="module")
def third_kind() -> Iterator[ModelKind]:
    register_kind(LEAD)
    components.register("lead_section")(LeadSectionComponent)
    try:
        yield LEAD
    finally:
        model_kinds.unregister("lead")
        components.unregister("lead_section")


@pytest.fixture(scope="module")
def lead_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """From the 100-article BBC sample: 6 evaluation articles per section, and training sets of 14 and 2
    per section (the second one clearly worse)."""
    root = tmp_path_factory.mktemp("lead-data")
    by_section: dict[str, list[LabelledArticle]] = defaultdict(list)
    for item in load_labelled(DATA / "sections" / "bbc", Settings(home=root / "unused")):
        by_section[item.section].append(item)
    out = {"dev": write_labelled([i for g in by_section.values() for i in g[:6]], root / "dev" / "dev.jsonl")}
    for size, n in (("good", 14), ("poor", 2)):
        picked = [i for g in by_section.values() for i in g[6 : 6 + n]]
        out[size] = write_labelled(picked, root / size / "dev.jsonl")  # the format load_labelled reads back
    return out


def test_a_third_kind_is_picked_up_everywhere_from_its_entry_alone(
    third_kind: ModelKind, lead_data: dict[str, Path], tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home")
    settings.lifecycle.reload_seconds = 0.0
    settings.monitor.min_judged = 2
    check_kind(third_kind, settings)

    # lifecycle: train, gate with the entry's default gates, promote, refuse the worse one
    good = train_model(settings, "lead", actor="t", data=lead_data["good"], dev=lead_data["dev"])
    poor = train_model(settings, "lead", actor="t", data=lead_data["poor"], dev=lead_data["dev"])
    assert (good.ref, poor.ref) == ("newsdesk-lead@1", "newsdesk-lead@2")
    assert good.metrics["accuracy"] > poor.metrics["accuracy"]
    report = evaluate_version(settings, "lead", 1, actor="t")
    assert report.passed, report.summary()
    assert report.config == third_kind.gates.model_dump()
    promote(settings, "lead", 1, actor="t")
    with pytest.raises(GateFailed, match="accuracy"):
        promote(settings, "lead", 2, actor="t")
    assert "headline and first paragraph" in model_card(settings, "lead", 1).intended_use

    # serving, and shadow mode by the entry's disagreement rule
    items = load_labelled(lead_data["dev"], settings)
    texts = [lead(i.headline, i.body) for i in items]
    set_challenger(settings, "lead", "2", actor="t")
    champions = Champions(settings)
    try:
        served = champions.predict("lead", texts)
        assert served.model == "newsdesk-lead@1" and served.shadow == "newsdesk-lead@2"
        champions.drain()
        counts = champions.shadow_counts["newsdesk-lead"]
        assert counts["compared"] == len(texts) and counts["disagreed"] > 0
        logged = [json.loads(line) for line in shadow_log_path(settings, "lead").read_text().splitlines()]
        assert len(logged) == counts["disagreed"]
        assert all(disagrees("lead", e["champion_output"], e["challenger_output"]) for e in logged)
        assert not any(disagrees("lead", out, out) for out in served.outputs)
    finally:
        champions.close()
        set_challenger(settings, "lead", None, actor="t")

    # the pipeline hands the champion to the component that serves the kind
    store = open_store(settings)
    try:
        ingest([DATA / "sections" / "bbc"], store, settings=settings, format="textdir", source="bbc")
        run = enrich(store, settings, only=["lead_section"]).components[0]
        assert run.skipped is None and run.version.startswith("1+newsdesk-lead@1+") and run.processed == 100
        article = store.get(next(iter(store.iter_articles())).id)
        assert article.enrichments["lead_section"].version == run.version

        # feedback on its outputs is accepted, and monitoring knows its component and what to retrain
        assert "lead" in feedback_kinds() and component_of("lead") == "lead_section"
        until = datetime.now(UTC) + timedelta(minutes=1)
        check = run_checks(settings, store, model="lead_section", until=until, notify=False)
        assert not [c for c in check.checks if c.name.startswith("quality:")]  # nothing judged yet
        judged = {"model": "lead_section@1+newsdesk-lead@1", "kind": "lead", "judged": 4, "precision": 0.25}
        (quality,) = _quality_checks(settings, [judged], "lead_section")
        assert quality.status == "alert" and "newsdesk train lead" in quality.action
    finally:
        store.close()


def test_feedback_on_a_third_kind_is_stored(third_kind: ModelKind, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from newsdesk.api import create_app
    from newsdesk.auth import create_key

    settings = Settings(home=tmp_path)
    store = open_store(settings)
    try:
        ingest([DATA / "sections" / "bbc"], store, settings=settings, format="textdir", source="bbc")
        article_id = next(iter(store.iter_articles())).id
        item = record_feedback(store, article_id, kind="lead", action="accept", value="sport", actor="ed")
        assert item.kind == "lead" and [f.kind for f in store.list_feedback(kind="lead")] == ["lead"]
        editor = {"X-API-Key": create_key(store, "editor", name="ed")[1]}
    finally:
        store.close()
    # the API takes any registered kind, and names them all when refusing one
    with TestClient(create_app(settings)) as client:
        body = {"kind": "lead", "action": "correct", "value": "sport", "correction": "business"}
        added = client.post(f"/articles/{article_id}/feedback", json=body, headers=editor)
        assert added.status_code == 201, added.text
        quality = client.get("/monitor/quality", params={"kind": "lead"}, headers=editor).json()
        assert [(q["kind"], q["judged"]) for q in quality] == [("lead", 2)]
        bad = client.post(f"/articles/{article_id}/feedback", json={**body, "kind": "mood"}, headers=editor)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "kind"
        assert "lead" in bad.text and "section" in bad.text
        unknown = client.get("/monitor/quality", params={"kind": "mood"}, headers=editor)
        assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "kind"


def test_gate_messages_say_what_happened() -> None:
    """A passed check reads as passed and a failed one as failed (a report is read by people)."""
    from newsdesk.lifecycle.gates import check_gates
    from newsdesk.lifecycle.spec import Evaluation, SliceMetric
    from newsdesk.settings import GateConfig

    def evaluation(f1: float, slice_f1: float, latency: float) -> Evaluation:
        return Evaluation({"f1": f1}, {"a": SliceMetric(slice_f1, 100)}, [], latency, "f1", 10)

    config = GateConfig(minimum={"f1": 0.8}, compare=["f1"], max_regression=0.01, latency_p95_ms=50)
    champion = evaluation(0.90, 0.9, 5.0)
    good = {c.gate: c.message for c in check_gates(evaluation(0.92, 0.95, 5.0), config, champion)}
    assert "at or above the minimum" in good["minimum"] and "no regression" in good["regression"]
    assert "within the tolerance" in good["slice"] and "within the budget" in good["latency"]
    bad = {c.gate: c.message for c in check_gates(evaluation(0.70, 0.5, 80.0), config, champion)}
    assert "below the minimum" in bad["minimum"] and "beyond the tolerance" in bad["regression"]
    assert "regresses beyond" in bad["slice"] and "over the budget" in bad["latency"]
