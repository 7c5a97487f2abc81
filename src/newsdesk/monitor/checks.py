"""``newsdesk monitor check``: drift and live-quality checks over a window of the archive, with alerts.

Windows are periods of publication time. The current window is the last ``window`` (``7d``, ``24h``,
``2w``) before ``until`` (default now); the reference is the given period, or by default the four windows'
worth of time just before it. For each window, :func:`build_window` reads the articles, their stored
vectors (the ``chunks`` embedding), the ``sections`` and ``iptc`` outputs (prediction drift), language,
missing fields and near-duplicate flags, and :func:`~newsdesk.monitor.drift.detect_drift` tests them
(family-wise error ``monitor.alpha`` over all tests).

Live quality: per model version, the share of shown outputs editors accepted in the current window
(:func:`~newsdesk.monitor.feedback.live_precision`); with at least ``monitor.min_judged`` judgements, a
precision under ``monitor.min_precision`` alerts.

Every alert says what to do, is logged (logger ``newsdesk.monitor`` and ``<home>/monitor/alerts.jsonl``)
and, when ``monitor.webhook_url`` is set, POSTed there as JSON. The latest figures are kept in
``<home>/monitor/gauges.json``, which the service exports as Prometheus gauges.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput
from newsdesk.monitor.feedback import component_of, feedback_kinds, live_precision

if TYPE_CHECKING:
    from newsdesk.model_kinds import ModelKind
    from newsdesk.monitor.drift import DriftReport, Window
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["Check", "CheckReport", "build_window", "parse_window", "run_checks"]

logger = logging.getLogger("newsdesk.monitor")
DRIFT_COMPONENTS = ("sections", "iptc")  # the components whose outputs build_window reads


def monitored() -> list[str]:
    """What ``model`` may name: the components drift reads, and every component editors judge (those
    serving a model kind, see :mod:`newsdesk.model_kinds`, and the ungoverned ones)."""
    return list(dict.fromkeys([*DRIFT_COMPONENTS, *map(component_of, feedback_kinds())]))


def parse_window(text: str) -> timedelta:
    """``7d``, ``24h``, ``2w``, ``90m`` -> a timedelta.

    >>> parse_window("7d"), parse_window("36h")
    (datetime.timedelta(days=7), datetime.timedelta(days=1, seconds=43200))
    """
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text or "")
    if not match or int(match.group(1)) == 0:
        raise InvalidInput("window", text, "a positive duration such as 7d, 24h, 2w or 90m")
    n, unit = int(match.group(1)), match.group(2)
    return {
        "m": timedelta(minutes=n),
        "h": timedelta(hours=n),
        "d": timedelta(days=n),
        "w": timedelta(weeks=n),
    }[unit]


@dataclass
class Check:
    name: str
    status: str  # ok | alert | skipped
    value: float | None
    threshold: float | None
    message: str
    action: str = ""


@dataclass
class CheckReport:
    at: str
    current: dict[str, Any]
    reference: dict[str, Any]
    checks: list[Check]
    drift: dict[str, Any] | None = None
    quality: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, Any] = field(default_factory=dict)

    @property
    def alerting(self) -> bool:
        return any(c.status == "alert" for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "alerting": self.alerting,
            "current": self.current,
            "reference": self.reference,
            "checks": [asdict(c) for c in self.checks],
            "drift": self.drift,
            "quality": self.quality,
            "sources": self.sources,
        }


def build_window(
    store: Backend, settings: Settings, name: str, *, since: datetime, until: datetime
) -> tuple[Window, list[str]]:
    """The articles published in [since, until) as a drift :class:`Window`, and their sources."""
    from newsdesk.monitor.drift import Window
    from newsdesk.nlp.embed import EmbedderConfig
    from newsdesk.store.base import ArticleFilter

    articles = list(store.iter_articles(ArticleFilter(since=since, until=until)))
    ids = [a.id for a in articles]
    vectors = None
    if ids:
        model = EmbedderConfig.from_settings(settings).vector_model
        found, matrix = store.get_vectors(model, ids)
        if len(found) == len(ids):
            order = {article_id: i for i, article_id in enumerate(found)}
            vectors = matrix[[order[i] for i in ids]]
    labels = [_value(a, "sections", "section") for a in articles]
    tags = [_tags(a) for a in articles]
    window = Window.from_articles(
        name,
        articles,
        embeddings=vectors,
        labels=[str(x) for x in labels] if articles and all(x is not None for x in labels) else None,
        tags=tags if articles and any(tags) else None,
    )
    return window, [a.source for a in articles]


def _value(article: Any, component: str, key: str | None) -> Any:
    enrichment = article.enrichments.get(component)
    if enrichment is None:
        return None
    value = enrichment.value
    if key is None:
        return value
    return value.get(key) if isinstance(value, dict) else value


def _tags(article: Any) -> list[str]:
    value = _value(article, "iptc", None)
    if isinstance(value, dict):
        value = value.get("tags", [])
    if not isinstance(value, list):
        return []
    return sorted({str(t.get("qcode")) for t in value if isinstance(t, dict) and t.get("qcode")})


def _source_shift(reference: list[str], current: list[str]) -> dict[str, Any]:
    """Each source's share of the reference and current windows, largest change first."""
    ref, cur = Counter(reference), Counter(current)
    shares = {
        s: (ref[s] / max(1, len(reference)), cur[s] / max(1, len(current))) for s in set(ref) | set(cur)
    }
    ordered = sorted(shares.items(), key=lambda kv: -abs(kv[1][1] - kv[1][0]))
    return {s: {"reference": round(a, 4), "current": round(b, 4)} for s, (a, b) in ordered[:10]}


def run_checks(
    settings: Settings,
    store: Backend,
    *,
    model: str | None = None,
    window: str = "7d",
    until: datetime | None = None,
    reference_since: datetime | None = None,
    reference_until: datetime | None = None,
    notify: bool = True,
) -> CheckReport:
    """Drift and live-quality checks (see the module docstring); alerts are sent when ``notify``."""
    from newsdesk.monitor.drift import detect_drift

    models = monitored()
    if model is not None and model not in models:
        raise InvalidInput("model", model, f"one of {', '.join(models)}")
    length = parse_window(window)
    until = (until or datetime.now(UTC)).astimezone(UTC)
    since = until - length
    reference_until = reference_until or since
    reference_since = reference_since or reference_until - 4 * length
    if reference_since >= reference_until:
        raise InvalidInput("reference_since", reference_since.isoformat(), "a time before reference_until")
    current, current_sources = build_window(store, settings, "current", since=since, until=until)
    reference, reference_sources = build_window(
        store, settings, "reference", since=reference_since, until=reference_until
    )
    checks: list[Check] = []
    drift_dict = None
    minimum = settings.monitor.min_window
    if len(current.texts) < minimum or len(reference.texts) < minimum:
        checks.append(
            Check(
                "drift",
                "skipped",
                None,
                None,
                f"too few articles to test drift: {len(reference.texts)} in the reference window, "
                f"{len(current.texts)} in the current one (at least {minimum} each)",
            )
        )
    else:
        if model == "sections":
            current.tags = reference.tags = None
        elif model == "iptc":
            current.labels = reference.labels = None
        drift = detect_drift(reference, current, alpha=settings.monitor.alpha, min_size=minimum)
        drift_dict = drift.to_dict()
        checks.extend(_drift_checks(drift, _source_shift(reference_sources, current_sources)))
    quality = live_precision(store, since=since, until=until, period="all")
    checks.extend(_quality_checks(settings, quality, model))
    report = CheckReport(
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        current={"since": since.isoformat(), "until": until.isoformat(), "articles": len(current.texts)},
        reference={
            "since": reference_since.isoformat(),
            "until": reference_until.isoformat(),
            "articles": len(reference.texts),
        },
        checks=checks,
        drift=drift_dict,
        quality=quality,
        sources=_source_shift(reference_sources, current_sources),
    )
    _write_gauges(settings, report)
    if notify and report.alerting:
        alert(settings, report)
    return report


def _drift_checks(drift: DriftReport, sources: dict[str, Any]) -> list[Check]:
    # Sources whose share moved, as the message shows shares (one source alone is 100% -> 100%: not a shift).
    shares = [(s, f"{v['reference']:.0%}", f"{v['current']:.0%}") for s, v in sources.items()]
    shifted = ", ".join([f"{s} {a}->{b}" for s, a, b in shares if a != b][:3])
    actions = {
        "input": f"investigate the sources whose share or copy changed (largest shifts: {shifted}); check "
        "ingest for broken feeds or a new source",
        "embedding": "the archive's subject matter moved: review a sample; retrain models whose live quality "
        "drops (newsdesk train sections)",
        "prediction": "the models' outputs moved: check live quality and editors' corrections, then retrain "
        "(newsdesk train sections) and gate the new version",
    }
    checks = []
    for test in drift.tests:
        action = actions.get(test.kind, "") if test.drifted else ""
        if action and test.kind == "input" and not shifted:  # name what did move, in the test's words
            action = (
                f"investigate what changed ({test.detail.get('moved') or test.name}); no source's share of "
                "the articles moved, so check ingest for a broken feed or a source whose copy changed"
            )
        checks.append(
            Check(
                f"drift:{test.name}",
                "alert" if test.drifted else "ok",
                test.p_value,
                test.threshold,
                f"{test.kind} drift in {test.name}: p={test.p_value:.2g} (threshold {test.threshold:.2g}), "
                f"effect {test.effect:.3g}",
                action,
            )
        )
    return checks


def _quality_checks(settings: Settings, quality: list[dict[str, Any]], model: str | None) -> list[Check]:
    from newsdesk.model_kinds import kind_for_feedback

    checks = []
    for row in quality:
        component = component_of(row["kind"])
        if model is not None and component != model:
            continue
        name = f"quality:{row['model']}"
        if row["judged"] < settings.monitor.min_judged:
            checks.append(
                Check(
                    name,
                    "skipped",
                    row["precision"],
                    settings.monitor.min_precision,
                    f"{row['judged']} judgements of {row['model']} (need {settings.monitor.min_judged})",
                )
            )
            continue
        low = row["precision"] < settings.monitor.min_precision
        checks.append(
            Check(
                name,
                "alert" if low else "ok",
                row["precision"],
                settings.monitor.min_precision,
                f"editors accepted {row['precision']:.0%} of {row['judged']} {row['kind']}s shown by "
                f"{row['model']}",
                _retrain_action(component, kind_for_feedback(row["kind"])) if low else "",
            )
        )
    return checks


def _retrain_action(component: str, kind: ModelKind | None) -> str:
    if kind is None:  # no governed model behind it: nothing to retrain through the lifecycle
        return f"review the {component} outputs editors rejected or corrected"
    return (
        f"retrain {component} with editors' corrections (newsdesk train {kind.name}) and compare through "
        "the gates"
    )


def _write_gauges(settings: Settings, report: CheckReport) -> None:
    folder = settings.monitor_dir
    folder.mkdir(parents=True, exist_ok=True)
    gauges = {
        "at": report.at,
        "drift": [
            {"test": t["name"], "p_value": t["p_value"], "effect": t["effect"], "drifted": t["drifted"]}
            for t in (report.drift or {}).get("tests", [])
        ],
        "quality": [
            {"model": q["model"], "kind": q["kind"], "precision": q["precision"], "judged": q["judged"]}
            for q in report.quality
        ],
    }
    partial = folder / "gauges.json.partial"
    partial.write_text(json.dumps(gauges), encoding="utf-8")
    partial.replace(folder / "gauges.json")


def alert(settings: Settings, report: CheckReport) -> None:
    """Log the report's alerts and POST them to the webhook (a failed delivery is logged, not raised)."""
    alerts = [asdict(c) for c in report.checks if c.status == "alert"]
    payload = {"source": "newsdesk", "at": report.at, "current": report.current, "alerts": alerts}
    for a in alerts:
        logger.warning("newsdesk alert: %s — %s", a["message"], a["action"])
    folder = settings.monitor_dir
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "alerts.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(payload, ensure_ascii=False) + "\n")
    url = settings.monitor.webhook_url
    if not url:
        return
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "newsdesk-monitor"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except OSError as exc:
        logger.error("newsdesk alert webhook %s failed: %s", url, exc)
