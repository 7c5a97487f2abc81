"""``newsdesk experiments``: size a headline or subject-line test (``design``), run it as data (``create``,
``start``, ``record``, ``stop``, ``winner``; each decision audited), read it (``list``, ``show``, ``report``),
read finished tests from a CSV (``analyze``), and score headlines (``score-headlines``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from newsdesk.cli.context import state

__all__ = ["experiments_app"]

experiments_app = typer.Typer(
    help="Headline and subject-line experiments: design, run, read and decide.", no_args_is_help=True
)


@experiments_app.command("design")
def design_command(
    ctx: typer.Context,
    effect: Annotated[float, typer.Option("--effect", help="The smallest lift worth detecting.")],
    baseline: Annotated[
        float | None,
        typer.Option("--baseline", help="The control's click (or open) rate, e.g. 0.02 (or --from-history)."),
    ] = None,
    relative: Annotated[
        bool, typer.Option("--relative/--absolute", help="--effect as a share of the baseline (0.1 = +10%).")
    ] = True,
    power: Annotated[float, typer.Option("--power")] = 0.8,
    alpha: Annotated[float, typer.Option("--alpha")] = 0.05,
    variants: Annotated[int, typer.Option("--variants", help="Variants including the control.")] = 2,
    daily: Annotated[
        float | None, typer.Option("--daily-traffic", help="Units a day the test gets (for the duration).")
    ] = None,
    history: Annotated[
        str | None,
        typer.Option(
            "--from-history",
            help="A kind (headline, subject_line, any): take the baseline and the daily traffic from this "
            "workspace's past experiments of that kind, where not given.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The sample size a test needs (per variant and in total), and its duration at a daily traffic."""
    from newsdesk.errors import InvalidInput
    from newsdesk.experiments import duration_days, sample_size

    past = _service(ctx).history(history) if history else None
    if baseline is None:
        if past is None:
            raise InvalidInput("--baseline", None, "a rate in (0, 1), or --from-history KIND")
        baseline = float(past["baseline"])
    if daily is None and past is not None:
        daily = float(past["daily_traffic"])
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
        "daily_traffic": daily,
        "history": past,
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


# -- experiments as data: create, run, read, decide -------------------------------------------------------
def _service(ctx: typer.Context) -> Any:
    from newsdesk.experiments.service import ExperimentService

    app = state(ctx)
    return ExperimentService.open(app.settings, app.store)


def _actor() -> str:
    from newsdesk.lifecycle.audit import default_actor

    return default_actor()


def _guardrail(spec: str) -> dict[str, Any]:
    """``name``, ``name:tolerance`` or ``name:tolerance:higher``."""
    name, _, rest = spec.partition(":")
    tolerance, _, direction = rest.partition(":")
    out: dict[str, Any] = {"name": name}
    if tolerance:
        try:
            out["tolerance"] = float(tolerance)
        except ValueError:
            from newsdesk.errors import InvalidInput

            raise InvalidInput("--guardrail", spec, "name, name:tolerance or name:tolerance:higher") from None
    if direction:
        out["higher_is_better"] = direction == "higher"
    return out


@experiments_app.command("create")
def create_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="What the test is about.")],
    variant: Annotated[
        list[str],
        typer.Option("--variant", "-v", help="A headline or subject line; repeat; the first is the control."),
    ],
    kind: Annotated[str, typer.Option("--kind", help="headline, subject_line or any.")] = "headline",
    article: Annotated[str | None, typer.Option("--article", help="The article's id.")] = None,
    metric: Annotated[
        str | None, typer.Option("--metric", help="clicks/impressions or opens/sends (default by kind).")
    ] = None,
    guardrail: Annotated[
        list[str] | None,
        typer.Option("--guardrail", help="name[:tolerance[:higher]], e.g. unsubscribes:0.1; repeat."),
    ] = None,
    planned_size: Annotated[int | None, typer.Option("--planned-size", help="Trials per variant.")] = None,
    allocation: Annotated[str, typer.Option("--allocation", help="even or thompson.")] = "even",
    holdout: Annotated[float, typer.Option("--holdout", help="Even share kept under thompson.")] = 0.1,
    alpha: Annotated[float, typer.Option("--alpha")] = 0.05,
    tau: Annotated[float, typer.Option("--tau", help="The sequential test's expected difference.")] = 0.005,
    keep_raw: Annotated[bool, typer.Option("--keep-raw", help="Keep each event, not only counts.")] = False,
    experiment_id: Annotated[str | None, typer.Option("--id", help="Choose the id.")] = None,
    start: Annotated[bool, typer.Option("--start", help="Start it at once.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an experiment (a draft unless --start)."""
    service = _service(ctx)
    actor = _actor()
    e = service.create(
        actor=actor,
        kind=kind,
        name=name,
        variants=variant,
        metric=metric,
        article_id=article,
        guardrails=[_guardrail(g) for g in guardrail or []],
        planned_size=planned_size,
        allocation=allocation,
        holdout=holdout,
        alpha=alpha,
        tau=tau,
        keep_raw=keep_raw,
        experiment_id=experiment_id,
    )
    if start:
        e = service.start(e.id, actor=actor)
    if as_json:
        print(json.dumps(e.to_dict()))
        return
    state(ctx).out.print(f"created [bold]{e.id}[/] ({e.status}): {len(e.variants)} variants on {e.metric}")


@experiments_app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="draft, running or stopped.")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Experiments, newest first."""
    found = _service(ctx).list_experiments(status=status, kind=kind, limit=limit)
    if as_json:
        print(json.dumps([e.to_dict() for e in found]))
        return
    table = Table("id", "kind", "name", "status", "variants", "owner", "created", "winner")
    for e in found:
        table.add_row(
            e.id,
            e.kind,
            e.name[:40],
            e.status,
            str(len(e.variants)),
            e.owner,
            e.created_at.strftime("%Y-%m-%d %H:%M"),
            e.winner or "",
        )
    state(ctx).out.print(table)


@experiments_app.command("show")
def show_command(
    ctx: typer.Context,
    experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The experiment, its live readout and its decisions."""
    service = _service(ctx)
    e = service.get(experiment_id)
    readout = service.readout(e).to_dict()
    decisions = [d.to_dict() for d in service.decisions(e.id)]
    if as_json:
        shown = {"experiment": e.to_dict(), "readout": readout, "decisions": decisions}
        print(json.dumps(shown, default=str))
        return
    out = state(ctx).out
    out.print(f"[bold]{e.id}[/] {e.name} ({e.kind}, {e.status}, {e.metric}, owner {e.owner})")
    table = Table("variant", "text", e.trials_name, e.successes_name, "rate", "P(best)")
    for v in readout.get("variants", []):
        table.add_row(
            str(v.get("key")),
            str(v.get("text", ""))[:50],
            f"{v.get('trials', 0):,}",
            f"{v.get('successes', 0):,}",
            "" if v.get("rate") is None else f"{v['rate']:.4f}",
            "" if v.get("prob_best") is None else f"{v['prob_best']:.3f}",
        )
    out.print(table)
    advice = readout["recommendation"]
    out.print(f"recommendation: {advice['summary']} ({'; '.join(advice['reasons'])})")
    for d in decisions:
        out.print(f"{d['at']}  {d['action']:<9} {d['actor']}  {d['variant'] or ''} {d['reason'] or ''}")


@experiments_app.command("start")
def start_command(
    ctx: typer.Context,
    experiment_id: Annotated[str, typer.Argument()],
    reason: Annotated[str | None, typer.Option("--reason")] = None,
) -> None:
    """Start a draft."""
    e = _service(ctx).start(experiment_id, actor=_actor(), reason=reason)
    state(ctx).out.print(f"{e.id} is running")


@experiments_app.command("stop")
def stop_command(
    ctx: typer.Context,
    experiment_id: Annotated[str, typer.Argument()],
    winner: Annotated[str | None, typer.Option("--winner", help="Name the winner as it stops.")] = None,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
) -> None:
    """Stop a running experiment (and name its winner)."""
    e = _service(ctx).stop(experiment_id, actor=_actor(), winner=winner, reason=reason)
    state(ctx).out.print(f"{e.id} is stopped" + (f"; winner {e.winner}" if e.winner else ""))


@experiments_app.command("winner")
def winner_command(
    ctx: typer.Context,
    experiment_id: Annotated[str, typer.Argument()],
    variant: Annotated[str, typer.Argument(help="The winning variant's key.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Needed to override the readout.")] = None,
) -> None:
    """Name the winner of a stopped experiment (audited; overriding the readout needs --reason)."""
    e = _service(ctx).declare_winner(experiment_id, variant, actor=_actor(), reason=reason)
    state(ctx).out.print(f"{e.id}: winner {e.winner}")


@experiments_app.command("record")
def record_command(
    ctx: typer.Context,
    experiment_id: Annotated[str, typer.Argument()],
    file: Annotated[
        Path,
        typer.Argument(
            help="A CSV: variant, impressions, clicks (or sends, opens), at, and guardrails' counts."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Add counts from a CSV (an ad server's or a newsletter tool's export): all rows or none."""
    import csv

    from newsdesk.errors import UnreadableSource

    try:
        with file.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise UnreadableSource(f"cannot read {file}: {exc}") from exc
    service = _service(ctx)
    e = service.get(experiment_id)
    counts: list[dict[str, Any]] = []
    for row in rows:
        item: dict[str, Any] = {}
        for column, value in row.items():
            if value is None or value == "":
                continue
            number = int(value) if value.lstrip("-").isdigit() else value
            if column in ("variant", "at"):
                item[column] = value
            elif column in (e.trials_name, e.successes_name):
                item[column] = number
            else:  # any other column is a guardrail's count
                item.setdefault("guardrails", {})[column] = number
        counts.append(item)
    batch = service.record(experiment_id, counts=counts)
    if as_json:
        print(json.dumps(batch.to_dict()))
        return
    state(ctx).out.print(f"added {len(rows)} rows to {experiment_id}")


@experiments_app.command("report")
def report_command(
    ctx: typer.Context,
    experiment_id: Annotated[str, typer.Argument()],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the HTML report.")],
) -> None:
    """Write the experiment's HTML report: posteriors, cumulative lift with sequential bounds, tables."""
    out.write_text(_service(ctx).report(experiment_id), encoding="utf-8")
    state(ctx).out.print(f"wrote {out}")
