"""The ``headlines`` model kind (train, gates, promote, card), the served scorer and ``score-headlines``.

The lifecycle runs on a synthetic Upworthy-shaped CSV (a marker word wins) with the scorer's text features
only, so no sentence model loads; one test scores with the bundled scorer as shipped.
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsdesk.cli.app import app
from newsdesk.errors import InvalidInput
from newsdesk.experiments.scoring import MODEL_NAME, read_headlines_csv, served_scorer
from newsdesk.model_kinds import model_kinds, score_moved
from newsdesk.settings import Settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
runner = CliRunner()
TOPICS = ["dogs", "teachers", "rivers", "bakers", "nurses", "cities", "forests", "farmers", "poets", "pilots"]
VERBS = ["saved", "changed", "built", "found", "lost", "fixed", "taught", "helped"]


def synthetic(path: Path, n_tests: int = 90, seed: int = 2, *, signal: bool = True) -> Path:
    """Tests of three headlines over ten weeks; the one with 'incredible' gets 3x the clicks (without
    ``signal``, a headline drawn independently of the marker does)."""
    rng = random.Random(seed)
    fields = ["clickability_test_id", "headline", "lede", "excerpt", "impressions", "clicks", "test_week"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for t in range(n_tests):
            marked = rng.randrange(3)
            winner = marked if signal else rng.randrange(3)
            for k in range(3):
                words = [
                    rng.choice(TOPICS),
                    rng.choice(VERBS),
                    "the",
                    *rng.sample(TOPICS, rng.randrange(1, 4)),
                ]
                if k == marked:
                    words.insert(rng.randrange(len(words) + 1), "incredible")
                clicks = 240 if k == winner else 80
                writer.writerow(
                    {
                        "clickability_test_id": f"t{t}",
                        "headline": " ".join(words) + f" {k}",
                        "lede": "L",
                        "excerpt": "E",
                        "impressions": 4000,
                        "clicks": clicks,
                        "test_week": 201410 + t // 9,
                    }
                )
    return path


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_kind_is_registered() -> None:
    kind = model_kinds.get("headlines")
    assert kind.model_name == MODEL_NAME and kind.component is None
    assert kind.spec_class().primary == "pairwise_accuracy_by_time"
    assert set(kind.gates.minimum) == {"pairwise_accuracy_by_time", "pairwise_accuracy_by_test"}
    assert set(kind.gates.compare) == set(kind.gates.minimum)
    assert score_moved({"score": 0.0}, {"score": 1.5}) and not score_moved({"score": 0.0}, {"score": 0.5})


def test_headline_csv_keeps_order_and_names_bad_fields(tmp_path: Path) -> None:
    assert read_headlines_csv(io.StringIO("headline,x\nB first,1\nA second,2\n")) == ["B first", "A second"]
    with pytest.raises(InvalidInput, match="headline") as missing:
        read_headlines_csv(_csv(tmp_path / "a.csv", "title\nDogs\n"))
    assert missing.value.field == "headline"
    with pytest.raises(InvalidInput, match=r"headline \(row 2\)"):
        read_headlines_csv(_csv(tmp_path / "b.csv", "headline\nDogs\n  \n"))


def test_score_headlines_cli_refuses_a_bad_csv(tmp_path: Path) -> None:
    home = ["--home", str(tmp_path / "home")]
    result = runner.invoke(
        app, [*home, "experiments", "score-headlines", str(_csv(tmp_path / "a.csv", "t\nx\n"))]
    )
    assert result.exit_code != 0
    assert "headline" in result.output


def test_score_headlines_cli_with_the_bundled_scorer(tmp_path: Path) -> None:
    headlines = [
        "You won't believe what this teacher did for her students",
        "Teacher helps students",
        "Why 3 million people are watching this dog learn to swim",
    ]
    path = tmp_path / "h.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "headline"])
        writer.writerows([[i, h] for i, h in enumerate(headlines)])
    home = ["--home", str(tmp_path / "home")]
    result = runner.invoke(app, [*home, "experiments", "score-headlines", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert len(out["scores"]) == 3 and all(isinstance(s, float) for s in out["scores"])
    assert out["model"].startswith(f"{MODEL_NAME}@bundled-")
    reversed_path = tmp_path / "r.csv"
    reversed_path.write_text("headline\n" + "\n".join(reversed(headlines)) + "\n", encoding="utf-8")
    again = json.loads(
        runner.invoke(app, [*home, "experiments", "score-headlines", str(reversed_path), "--json"]).stdout
    )
    assert again["scores"] == pytest.approx(list(reversed(out["scores"])), abs=1e-4)  # input order


@pytest.mark.slow
def test_the_kind_trains_gates_promotes_and_serves(tmp_path: Path) -> None:
    from newsdesk.lifecycle.cards import model_card
    from newsdesk.lifecycle.evaluation import evaluate_version
    from newsdesk.lifecycle.promote import promote
    from newsdesk.lifecycle.train import train_model

    data = synthetic(tmp_path / "tests.csv")
    settings = Settings(home=tmp_path / "home", store={"url": None})
    assert served_scorer(settings).ref.startswith(f"{MODEL_NAME}@bundled-")  # no registry yet
    result = train_model(settings, "headlines", actor="tester", data=data, params={"embeddings": False})
    metrics = result.metrics
    assert metrics["pairwise_accuracy_by_time"] > 0.9 and metrics["pairwise_accuracy_by_test"] > 0.9
    assert {b["name"] for b in result.evaluation.to_dict()["behaviour"]} == {"batch", "whitespace"}
    assert result.dev_fingerprint["sources"].keys() == {"test", "time"}
    report = evaluate_version(settings, "headlines", result.version, actor="tester")
    assert report.passed, report.summary()
    promote(settings, "headlines", result.version, actor="tester")
    served = served_scorer(settings)
    assert served.ref == f"{MODEL_NAME}@{result.version}"
    low, high = served.score(["dogs saved the rivers", "incredible dogs saved the rivers"])
    assert high > low
    card = model_card(settings, "headlines", result.version)
    assert "Upworthy" in json.dumps(card.to_dict())
    path = _csv(tmp_path / "h.csv", "headline\nincredible dogs saved the rivers\ndogs saved the rivers\n")
    cli = runner.invoke(
        app, ["--home", str(settings.home), "experiments", "score-headlines", str(path), "--json"]
    )
    assert cli.exit_code == 0, cli.output
    out = json.loads(cli.stdout)
    assert out["model"] == served.ref and out["scores"][0] > out["scores"][1]
    # a challenger learned from tests where the marker does not decide is refused by the gates
    noise = synthetic(tmp_path / "noise.csv", signal=False)
    weak = train_model(settings, "headlines", actor="tester", data=noise, params={"embeddings": False})
    refused = evaluate_version(settings, "headlines", weak.version, actor="tester")
    assert not refused.passed and "pairwise_accuracy_by_time" in refused.summary()
