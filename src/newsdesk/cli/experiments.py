"""``newsdesk experiments design|analyze``: size a headline test, read finished ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newsdesk.cli.context import state

__all__ = ["experiments_app"]

experiments_app = typer.Typer(
    help="Headline and subject-line experiments: design and analysis.", no_args_is_help=True
)


@experiments_app.command("design")
def design_command(
    ctx: typer.Context,
    baseline: Annotated[
        float, typer.Option("--baseline", help="The control's click (or open) rate, e.g. 0.02.")
    ],
    effect: Annotated[float, typer.Option("--effect", help="The smallest lift worth detecting.")],
    relative: Annotated[
        bool, typer.Option("--relative/--absolute", help="--effect as a share of the baseline (0.1 = +10%).")
    ] = True,
    power: Annotated[float, typer.Option("--power")] = 0.8,
    alpha: Annotated[float, typer.Option("--alpha")] = 0.05,
    variants: Annotated[int, typer.Option("--variants", help="Variants including the control.")] = 2,
    daily: Annotated[
        float | None, typer.Option("--daily-traffic", help="Units a day the test gets (for the duration).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The sample size a test needs (per variant and in total), and its duration at a daily traffic."""
    from newsdesk.experiments import duration_days, sample_size

    plan = sample_size(baseline, effect, relative=relative, power=power, alpha=alpha, variants=variants)
    out = {
        "baseline": baseline,
        "effect": effect,
        "relative": relative,
        "power": power,
        "alpha": alpha,
        "variants": variants,
        "per_variant": plan.per_variant,
        "total": plan.total,
        "days": duration_days(plan, daily) if daily else None,
    }
    if as_json:
        print(json.dumps(out))
        return
    app = state(ctx)
    days = f", {out['days']} days at {daily:g} a day" if daily else ""
    app.out.print(f"{plan.per_variant:,} per variant, {plan.total:,} in total{days}")


@experiments_app.command("score-headlines")
def score_headlines_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A CSV with a 'headline' column.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Score headlines with the headline scorer (the promoted model, else the bundled one), one score per
    row in input order; of two headlines for one story, the higher score is the likelier click winner."""
    from newsdesk.experiments.scoring import score_file

    app = state(ctx)
    out = score_file(file, app.settings)
    if as_json:
        print(json.dumps(out))
        return
    for score in out["scores"]:
        app.out.print(f"{score:.4f}")
    app.out.print(f"scorer: {out['model']}")


@experiments_app.command("analyze")
def analyze_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A CSV: Upworthy's shape or experiment,variant,impressions,clicks.")
    ],
    test: Annotated[str | None, typer.Option("--test", help="Only this test id.")] = None,
    alpha: Annotated[float, typer.Option("--alpha")] = 0.05,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N tests.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Read finished tests: chi-square, Holm-corrected tests against the best, P(best), the winner."""
    from newsdesk.errors import NotFound
    from newsdesk.experiments.readout import analyze_test, archive_agreement, read_tests

    tests = read_tests(file)
    if test is not None:
        if test not in tests:
            raise NotFound(f"no test '{test}' in {file}")
        tests = {test: tests[test]}
    chosen = list(tests.items())[:limit] if limit else list(tests.items())
    verdicts = [
        analyze_test(variants, test=name, alpha=alpha, draws=20_000)
        for name, variants in chosen
        if len(variants) >= 2
    ]
    summary = {
        "file": str(file),
        "tests": len(verdicts),
        "skipped_single_variant": len(chosen) - len(verdicts),
        "winners": sum(v.winner is not None for v in verdicts),
        "archive_agreement": archive_agreement(verdicts),
    }
    if as_json:
        print(json.dumps({"summary": summary, "tests": [v.to_dict() for v in verdicts]}, default=str))
        return
    app = state(ctx)
    if len(verdicts) == 1:
        v = verdicts[0]
        table = Table("variant", "impressions", "clicks", "rate", "p vs best (Holm)", "P(best)", "loss")
        for i, var in enumerate(v.variants):
            p = v.p_adjusted[i]
            table.add_row(
                var.name[:60],
                f"{var.impressions:,}",
                f"{var.clicks:,}",
                f"{var.clicks / var.impressions:.4f}",
                "best" if p is None else f"{p:.4f}",
                f"{v.prob_best[i]:.3f}",
                f"{v.expected_loss[i]:.5f}",
            )
        app.out.print(table)
        app.out.print(f"winner: {v.winner or 'none at alpha ' + str(alpha)}")
    app.out.print(json.dumps(summary, indent=2))
