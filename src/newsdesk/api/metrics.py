"""Prometheus metrics of one app: request counts and latencies by method, route template and status.

Each app has its own ``CollectorRegistry`` (never the process-wide default), so many apps can live in one
process (tests build dozens). Routes are labelled by their template (``/articles/{article_id}``), never by
the raw path, and requests that match no route share one label, so the number of series stays bounded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "MetricsMiddleware"]

UNMATCHED = "<unmatched>"
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class MonitorCollector:
    """Drift and live-quality gauges from the latest ``newsdesk monitor check`` (``<home>/monitor/
    gauges.json``), read at scrape time so a check run from cron shows up without a restart."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        p_value = GaugeMetricFamily("newsdesk_drift_p_value", "p-value of each drift test.", labels=["test"])
        effect = GaugeMetricFamily("newsdesk_drift_effect", "Effect size per drift test.", labels=["test"])
        alarm = GaugeMetricFamily("newsdesk_drift_alarm", "1 when the drift test alarmed.", labels=["test"])
        for t in data.get("drift", []):
            p_value.add_metric([t["test"]], float(t["p_value"]))
            effect.add_metric([t["test"]], float(t["effect"]))
            alarm.add_metric([t["test"]], 1.0 if t["drifted"] else 0.0)
        precision = GaugeMetricFamily(
            "newsdesk_live_precision", "Share of shown outputs editors accepted.", labels=["model", "kind"]
        )
        judged = GaugeMetricFamily("newsdesk_live_judged", "Editors' judgements.", labels=["model", "kind"])
        for q in data.get("quality", []):
            if q.get("precision") is not None:
                precision.add_metric([q["model"], q["kind"]], float(q["precision"]))
            judged.add_metric([q["model"], q["kind"]], float(q["judged"]))
        yield from (p_value, effect, alarm, precision, judged)


class Metrics:
    """The app's registry and its request metrics (and, given a workspace, its monitoring gauges)."""

    def __init__(self, monitor_dir: Path | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if monitor_dir is not None:
            self.registry.register(MonitorCollector(monitor_dir / "gauges.json"))
        labels = ("method", "route", "status")
        self.requests = Counter(
            "newsdesk_http_requests", "HTTP requests answered.", labels, registry=self.registry
        )
        self.latency = Histogram(
            "newsdesk_http_request_duration_seconds",
            "Time from request to the end of the response.",
            labels,
            buckets=_BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI middleware (no buffering of streamed bodies) timing every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except BaseException:
            status = 500
            raise
        finally:
            self.metrics.observe(scope["method"], _route(scope), status, time.perf_counter() - started)


def _route(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else UNMATCHED
