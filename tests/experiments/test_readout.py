"""Reading finished tests from a file, and ``newsdesk experiments design|analyze``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy.stats import norm
from typer.testing import CliRunner

from newsdesk.cli.app import app
from newsdesk.errors import InvalidInput
from newsdesk.experiments.readout import Variant, analyze_test, archive_agreement, read_rows, read_tests

runner = CliRunner()


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_both_shapes_are_read(tmp_path: Path) -> None:
    upworthy = _csv(
        tmp_path / "u.csv",
        [
            "clickability_test_id,headline,impressions,clicks,winner",
            "t1,Headline A,1000,100,False",
            "t1,Headline B,1000,150,True",
            "t2,Only one,500,10,False",
        ],
    )
    tests = read_tests(upworthy)
    assert list(tests) == ["t1", "t2"] and tests["t1"][1] == Variant(
        "Headline B", 1000, 150, {"winner": "True"}
    )
    own = read_rows([{"experiment": "e", "variant": "x", "impressions": "10", "clicks": "1"}])
    assert own["e"][0].clicks == 1


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"experiment": "e", "variant": "x", "impressions": "10", "clicks": "11"}, "row 2: clicks"),
        (
            {"experiment": "e", "variant": "x", "impressions": "-1", "clicks": "0"},
            "row 2: impressions/clicks",
        ),
        ({"experiment": "e", "variant": "x", "impressions": "ten", "clicks": "0"}, "row 2: impressions"),
        ({"test": "e", "arm": "x", "impressions": "1", "clicks": "0"}, "header"),
    ],
)
def test_bad_rows_name_the_field(row: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_rows([row])
    assert caught.value.field == field


def test_the_verdict_matches_the_z_test_by_hand() -> None:
    variants = [Variant("a", 2000, 200), Variant("b", 2000, 250), Variant("c", 2000, 205)]
    verdict = analyze_test(variants, test="t")
    assert verdict.best == 1
    # b vs a by hand: pooled two-proportion z-test, then Holm over the two comparisons with b
    p_a, p_b = 200 / 2000, 250 / 2000
    pooled = 450 / 4000
    z = (p_b - p_a) / (pooled * (1 - pooled) * (2 / 2000)) ** 0.5
    raw_a = 2 * norm.sf(abs(z))
    adjusted_a = verdict.p_adjusted[0]
    assert adjusted_a is not None and adjusted_a >= raw_a - 1e-12
    assert verdict.p_adjusted[1] is None
    assert sum(verdict.prob_best) == pytest.approx(1.0) and verdict.prob_best[1] > 0.9
    assert verdict.winner == "b"
    close = analyze_test([Variant("a", 1000, 100), Variant("b", 1000, 104)])
    assert close.winner is None
    with pytest.raises(InvalidInput):
        analyze_test([Variant("a", 1000, 100)])


def test_agreement_with_the_archive_flags() -> None:
    won = analyze_test(
        [Variant("a", 5000, 100, {"winner": "False"}), Variant("b", 5000, 200, {"winner": "True"})]
    )
    none = analyze_test(
        [Variant("a", 5000, 100, {"winner": "False"}), Variant("b", 5000, 101, {"winner": "False"})]
    )
    out = archive_agreement([won, none])
    assert out is not None and out["agreement"] == 1.0 and out["same_winner"] == 1
    assert archive_agreement([analyze_test([Variant("a", 10, 1), Variant("b", 10, 2)])]) is None


def test_the_cli_designs_and_analyzes(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "experiments",
            "design",
            "--baseline",
            "0.10",
            "--effect",
            "0.02",
            "--absolute",
            "--daily-traffic",
            "1000",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["per_variant"] == 3841 and plan["days"] == 8  # 7,682 units at 1,000 a day
    path = _csv(
        tmp_path / "e.csv", ["experiment,variant,impressions,clicks", "e1,a,4000,400", "e1,b,4000,520"]
    )
    result = runner.invoke(app, ["experiments", "analyze", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["summary"]["winners"] == 1 and out["tests"][0]["winner"] == "b"
    bad = _csv(tmp_path / "bad.csv", ["experiment,variant,impressions,clicks", "e1,a,10,20"])
    result = runner.invoke(app, ["experiments", "analyze", str(bad)])
    assert result.exit_code == 2 and "clicks" in result.stderr
    result = runner.invoke(app, ["experiments", "analyze", str(path), "--test", "nope"])
    assert result.exit_code == 4
