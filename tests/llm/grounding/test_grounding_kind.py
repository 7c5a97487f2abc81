"""The ``grounding`` model kind: its spec trains the support model on SummaC files and evaluates it."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.errors import InvalidInput
from newsdesk.model_kinds import model_kinds, verdict_changed
from newsdesk.settings import Settings

SAMPLE = Path(__file__).parents[2] / "data" / "summac"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def test_the_kind_is_registered() -> None:
    kind = model_kinds.get("grounding")
    assert kind.model_name == "newsdesk-grounding" and kind.component is None
    assert "balanced_accuracy_mean" in kind.gates.compare
    assert verdict_changed({"supported": True}, {"supported": False})
    assert not verdict_changed({"supported": False, "score": 0.2}, {"supported": False, "score": 0.4})


@pytest.mark.slow
def test_spec_trains_and_evaluates_on_the_sample(nlp_settings: Settings, tmp_path: Path) -> None:
    from newsdesk.llm.grounding.lifecycle import GroundingPyfunc
    from newsdesk.llm.grounding.model import SIGNS

    spec = model_kinds.get("grounding").training_spec(nlp_settings)
    trained = spec.train(tmp_path, data=SAMPLE, dev=SAMPLE / "factcc.json", store=None, params={"C": 0.3})
    assert trained.train.records == 36 and trained.dev.records == 12
    assert Path(trained.artifacts["model"]).is_file() and trained.python_model.is_file()
    assert trained.dev_artifact is not None
    assert spec.load_eval(trained.dev_artifact) == trained.dev_examples

    class Context:
        artifacts = trained.artifacts

    pyfunc = GroundingPyfunc()
    pyfunc.load_context(Context())
    assert all(sign * c >= 0 for sign, c in zip(SIGNS, pyfunc.model.coef, strict=True))
    evaluation = spec.evaluate(pyfunc, trained.dev_examples)
    assert set(evaluation.metrics) == {"balanced_accuracy_factcc", "balanced_accuracy_mean"}
    assert evaluation.behaviour[0].tested > 0 and evaluation.behaviour[0].pass_rate == 1.0
    claim = {"document": "The council met on Monday to debate the budget.", "claim": "It met on Friday."}
    out = pyfunc.predict(None, [claim])
    assert out[0]["supported"] is False and 0 <= out[0]["score"] < 1
    with pytest.raises(InvalidInput, match="params"):
        spec.train(tmp_path, data=SAMPLE, dev=None, store=None, params={"depth": 3})
