"""An experiment's report: one self-contained HTML file (inline SVG charts, no scripts, no network).

:func:`render_report` lays out a :class:`~newsdesk.experiments.live.ExperimentReadout`: the recommendation,
the variants, each variant's posterior (its Beta density), the probability each is best, the difference of
each treatment against the control over time inside its always-valid confidence sequence, the fixed-horizon
and sequential tests, the guardrails and the experiment's history of decisions. Every text an editor typed
(names, headlines, reasons) is escaped.

>>> from datetime import UTC, datetime
>>> from newsdesk.experiments.live import read_experiment
>>> from newsdesk.experiments.model import BucketCounts, new_experiment
>>> e = new_experiment(kind="headline", name="t", variants=["x", "<b>y</b>"], owner="a", experiment_id="e1")
>>> at = datetime(2026, 12, 3, 10, tzinfo=UTC)
>>> page = render_report(e, read_experiment(e, [BucketCounts("e1", "A", at, 900, 30)], now=at), [])
>>> "<svg" in page, "<b>y</b>" in page, "&lt;b&gt;y&lt;/b&gt;" in page
(True, False, True)
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import beta as beta_dist

from newsdesk.monitor.report import bar_chart

from .live import ExperimentReadout, SequentialTrack
from .model import Decision, Experiment

__all__ = ["render_report"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_WIDTH, _HEIGHT, _PAD = 640, 240, 48
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
    "font-size:13px;text-align:left}th{background:#f4f4f4}.rec{padding:0.6em 1em;border-left:6px solid "
    "#1f77b4;background:#f0f6fb}.stop{border-color:#2ca02c;background:#eef8ee}figure{margin:1em 0}"
)


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: float | None, spec: str = ".4f") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, spec)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    if not rows:
        return "<p><em>none</em></p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _plot(
    title: str,
    xs: Sequence[float],
    lines: dict[str, Sequence[float]],
    *,
    bands: dict[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    y_range: tuple[float, float],
    x_labels: tuple[str, str],
    zero_line: bool = False,
) -> str:
    """Lines (and shaded bands, clipped to ``y_range``) over a numeric x axis, as inline SVG."""
    x0, x1 = float(min(xs)), float(max(xs))
    y0, y1 = y_range
    span_x = (x1 - x0) or 1.0
    span_y = (y1 - y0) or 1.0

    def px(x: float) -> float:
        return _PAD + (_WIDTH - 2 * _PAD) * (x - x0) / span_x

    def py(y: float) -> float:
        y = min(max(y, y0), y1)
        return _HEIGHT - _PAD - (_HEIGHT - 2 * _PAD) * (y - y0) / span_y

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' aria-label='{_e(title)}' width='{_WIDTH}' "
        f"height='{_HEIGHT + 20 * len(lines)}'>",
        f"<line x1='{_PAD}' x2='{_WIDTH - _PAD}' y1='{_HEIGHT - _PAD}' y2='{_HEIGHT - _PAD}' stroke='#999'/>",
        f"<line x1='{_PAD}' x2='{_PAD}' y1='{_PAD}' y2='{_HEIGHT - _PAD}' stroke='#999'/>",
        f"<text x='2' y='{_PAD + 4}' font-size='11'>{_e(format(y1, '.3g'))}</text>",
        f"<text x='2' y='{_HEIGHT - _PAD}' font-size='11'>{_e(format(y0, '.3g'))}</text>",
        f"<text x='{_PAD}' y='{_HEIGHT - _PAD + 14}' font-size='11'>{_e(x_labels[0])}</text>",
        f"<text x='{_WIDTH - _PAD}' y='{_HEIGHT - _PAD + 14}' font-size='11' text-anchor='end'>"
        f"{_e(x_labels[1])}</text>",
    ]
    if zero_line and y0 < 0 < y1:
        parts.append(
            f"<line x1='{_PAD}' x2='{_WIDTH - _PAD}' y1='{py(0):.1f}' y2='{py(0):.1f}' stroke='#555' "
            "stroke-dasharray='4'/>"
        )
    for n, (name, ys) in enumerate(lines.items()):
        colour = _COLOURS[n % len(_COLOURS)]
        if bands and name in bands:
            low, high = bands[name]
            upper = [f"{px(x):.1f},{py(h):.1f}" for x, h in zip(xs, high, strict=True)]
            lower = [f"{px(x):.1f},{py(lo):.1f}" for x, lo in zip(xs, low, strict=True)][::-1]
            parts.append(f"<polygon points='{' '.join(upper + lower)}' fill='{colour}' fill-opacity='0.18'/>")
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys, strict=True))
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{coords}'/>")
        y = _HEIGHT + 14 + 20 * n
        parts.append(f"<rect x='{_PAD}' y='{y - 10}' width='12' height='12' fill='{colour}'/>")
        parts.append(f"<text x='{_PAD + 18}' y='{y}' font-size='12'>{_e(name)}</text>")
    parts.append("</svg>")
    return f"<figure><figcaption>{_e(title)}</figcaption>{''.join(parts)}</figure>"


def _posteriors(readout: ExperimentReadout) -> str:
    title = "Posterior of each variant's rate (Beta(1 + successes, 1 + failures))"
    arms = [v for v in readout.variants if v.trials > 0]
    if not arms:
        return f"<p><em>{_e(title)}: no data yet</em></p>"
    params = [(1 + v.successes, 1 + v.trials - v.successes) for v in arms]
    lo = min(float(beta_dist.ppf(0.0005, a, b)) for a, b in params)
    hi = max(float(beta_dist.ppf(0.9995, a, b)) for a, b in params)
    xs = np.linspace(lo, hi, 161)
    lines = {
        f"{v.key}: {v.text[:60]}": beta_dist.pdf(xs, a, b).tolist()
        for v, (a, b) in zip(arms, params, strict=True)
    }
    top = max(max(ys) for ys in lines.values())
    return _plot(
        title, xs.tolist(), lines, y_range=(0.0, top * 1.05), x_labels=(f"rate {lo:.4f}", f"rate {hi:.4f}")
    )


def _lift(readout: ExperimentReadout, track: SequentialTrack) -> str:
    control = readout.variants[0].key
    title = (
        f"{track.variant} - {control}: difference in rate over time, inside its "
        f"{1 - track.alpha:.1%} confidence sequence"
    )
    looks = track.looks
    d = [look.difference for look in looks]
    low = [look.ci_low for look in looks]
    high = [look.ci_high for look in looks]
    finite = [x for x in low + high if math.isfinite(x)]
    spread = max([abs(x) for x in d] + [1e-4])
    last_width = high[-1] - low[-1] if math.isfinite(high[-1] - low[-1]) else 4 * spread
    y0 = min([0.0, *d, *(finite or [0.0])])
    y1 = max([0.0, *d, *(finite or [0.0])])
    y0 = max(y0, min(d) - 1.5 * last_width - spread)  # the first looks' bounds are wide: keep them in frame
    y1 = min(y1, max(d) + 1.5 * last_width + spread)
    xs = [float(i) for i in range(len(looks))] if len(looks) > 1 else [0.0, 1.0]
    if len(looks) == 1:
        d, low, high = d * 2, low * 2, high * 2
    name = f"{track.variant} - {control}"
    labels = (looks[0].bucket.strftime("%Y-%m-%d %H:00"), looks[-1].bucket.strftime("%Y-%m-%d %H:00"))
    return _plot(
        title, xs, {name: d}, bands={name: (low, high)}, y_range=(y0, y1), x_labels=labels, zero_line=True
    )


def _sections(experiment: Experiment, readout: ExperimentReadout) -> list[str]:
    out = []
    variants = [
        [
            v.key,
            v.text,
            v.trials,
            v.successes,
            _num(v.rate),
            f"[{_num(v.ci_low)}, {_num(v.ci_high)}]" if v.rate is not None else "no data yet",
            _num(v.prob_best, ".3f"),
            _num(v.expected_loss, ".5f"),
        ]
        for v in readout.variants
    ]
    header = [
        "key",
        "text",
        experiment.trials_name,
        experiment.successes_name,
        "rate",
        "Wilson CI",
        "P(best)",
        "expected loss",
    ]
    out.append("<h2>Variants</h2>" + _table(header, variants))
    out.append("<h2>Posteriors</h2>" + _posteriors(readout))
    if all(v.prob_best is not None for v in readout.variants):
        bars = [(f"{v.key}: {v.text[:30]}", float(v.prob_best or 0.0)) for v in readout.variants]
        out.append(bar_chart(bars, title="Probability of being best"))
    out.append("<h2>Difference against the control over time</h2>")
    out.extend(_lift(readout, t) for t in readout.sequential if t.looks)
    if not readout.sequential:
        out.append("<p><em>no data yet</em></p>")
    seq = [
        [
            t.variant,
            len(t.looks),
            _num(t.alpha, ".4g"),
            _num(t.looks[-1].difference),
            _num(t.p_value, ".4g"),
            f"[{_num(t.ci_low)}, {_num(t.ci_high)}]",
            "yes" if t.rejected else "no",
        ]
        for t in readout.sequential
    ]
    out.append(
        "<h2>Sequential tests (mSPRT, always valid)</h2>"
        + _table(["treatment", "looks", "alpha", "difference", "p", "confidence sequence", "rejected"], seq)
    )
    fixed = readout.fixed_horizon
    if fixed is None:
        out.append("<h2>Fixed-horizon test</h2><p><em>no data yet</em></p>")
    else:
        rows = [
            [
                c.variant,
                _num(c.difference),
                _num(c.lift, ".2%"),
                _num(c.p_value, ".4g"),
                _num(c.p_adjusted, ".4g"),
                f"[{_num(c.ci_low)}, {_num(c.ci_high)}]",
                "yes" if c.significant else "no",
            ]
            for c in fixed.comparisons
        ]
        out.append(
            f"<h2>Fixed-horizon test</h2><p>{_e(fixed.test)}: statistic {_num(fixed.statistic, '.3f')}, "
            f"p = {_num(fixed.p_value, '.4g')}. Valid when read once, at the planned size.</p>"
            + _table(["treatment", "difference", "lift", "p", "p (Holm)", "CI", "significant"], rows)
        )
    rails = [
        [
            g.variant,
            g.name,
            "higher" if g.higher_is_better else "lower",
            _num(g.tolerance, ".3g"),
            _num(g.control_rate, ".5f"),
            _num(g.treatment_rate, ".5f"),
            _num(g.margin, ".5f"),
            _num(g.p_value, ".4g"),
            g.status,
        ]
        for g in readout.guardrails
    ]
    header = [
        "treatment",
        "guardrail",
        "better",
        "tolerance",
        "control",
        "treatment rate",
        "margin",
        "p",
        "status",
    ]
    out.append("<h2>Guardrails</h2>" + _table(header, rails))
    return out


def render_report(experiment: Experiment, readout: ExperimentReadout, decisions: Sequence[Decision]) -> str:
    """The report of ``experiment`` as one HTML page (see the module docstring)."""
    rec = readout.recommendation
    progress = (
        f", {readout.progress:.0%} of the planned size ({readout.planned_size} per variant)"
        if readout.progress is not None
        else ""
    )
    facts = [
        ("id", experiment.id),
        ("kind", experiment.kind),
        ("metric", experiment.metric),
        ("status", experiment.status),
        ("owner", experiment.owner),
        ("allocation", experiment.allocation),
        ("alpha", experiment.alpha),
        ("tau", experiment.tau),
        ("as of", readout.as_of.isoformat()),
    ]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Experiment: {_e(experiment.name)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(experiment.name)}</h1>",
        "<p>" + " · ".join(f"{_e(k)}: <strong>{_e(v)}</strong>" for k, v in facts) + "</p>",
        f"<div class='rec{' stop' if rec.action == 'stop' else ''}'><strong>{_e(rec.summary)}</strong>"
        f"{_e(progress)}<ul>" + "".join(f"<li>{_e(r)}</li>" for r in rec.reasons) + "</ul></div>",
        *_sections(experiment, readout),
        "<h2>History</h2>",
        _table(
            ["at", "action", "actor", "variant", "reason"],
            [[d.at.isoformat(), d.action, d.actor, d.variant or "", d.reason or ""] for d in decisions],
        ),
    ]
    if readout.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in readout.notes) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
