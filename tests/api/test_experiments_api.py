"""``/experiments``: editors create and decide, readers' traffic is assigned and posts events; roles,
errors that write nothing, and the readout and report of a test that ran."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from apihelpers import Keys, assert_error, make_keys
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.lifecycle.audit import AuditLog
from newsdesk.settings import Settings

CREATE = {
    "kind": "headline",
    "name": "Harbour money",
    "variants": ["Harbour gets 6.8 million euros", {"key": "question", "text": "Who pays for the harbour?"}],
    "guardrails": [{"name": "bounces", "tolerance": 0.2}],
    "planned_size": 5000,
}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, Keys, Settings]]:
    settings = Settings(home=tmp_path / "home")
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as client:
        yield client, keys, settings


def _started(client: TestClient, keys: Keys, **extra: object) -> str:
    r = client.post("/experiments", json={**CREATE, **extra, "start": True}, headers=keys.header("editor"))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "running"
    return str(r.json()["id"])


def test_roles(api: tuple[TestClient, Keys, Settings]) -> None:
    client, keys, _ = api
    assert_error(client.post("/experiments", json=CREATE), 401)
    assert_error(client.post("/experiments", json=CREATE, headers=keys.header("reader")), 403)
    eid = _started(client, keys)
    assert_error(client.get("/experiments", headers=keys.header("reader")), 403)
    assert_error(client.post(f"/experiments/{eid}/stop", json={}, headers=keys.header("reader")), 403)
    assert_error(client.get(f"/experiments/{eid}/assign", params={"unit": "r1"}), 401)
    ok = client.get(f"/experiments/{eid}/assign", params={"unit": "r1"}, headers=keys.header("reader"))
    assert ok.status_code == 200, ok.text
    listed = client.get("/experiments", headers=keys.header("editor")).json()
    assert [e["id"] for e in listed] == [eid]


def test_assignment_is_stable_and_events_add_up(api: tuple[TestClient, Keys, Settings]) -> None:
    client, keys, _ = api
    eid = _started(client, keys)
    reader = keys.header("reader")
    seen = {}
    for i in range(40):
        r = client.get(f"/experiments/{eid}/assign", params={"unit": f"reader-{i}"}, headers=reader)
        seen[f"reader-{i}"] = r.json()["variant"]
    again = client.get(f"/experiments/{eid}/assign", params={"unit": "reader-7"}, headers=reader)
    assert again.json()["variant"] == seen["reader-7"] and again.json()["text"]
    assert set(seen.values()) == {"A", "question"}
    events = [{"variant": v, "type": "impression", "unit": u} for u, v in seen.items()]
    events += [{"variant": seen["reader-3"], "type": "click", "unit": "reader-3"}]
    r = client.post(f"/experiments/{eid}/events", json={"events": events}, headers=reader)
    assert r.status_code == 200, r.text
    added = r.json()["added"]
    assert sum(v["trials"] for v in added.values()) == 40 and sum(v["successes"] for v in added.values()) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"counts": [{"variant": "B", "impressions": 10, "clicks": 1}]}, "counts[0].variant"),
        ({"counts": [{"variant": "A", "impressions": -1}]}, "counts[0].impressions"),
        ({"counts": [{"variant": "A", "impressions": 10, "clicks": 11}]}, "counts[0].clicks"),
        (
            {"events": [{"variant": "A", "type": "impression"}, {"variant": "A", "type": "like"}]},
            "events[1].type",
        ),
    ],
)
def test_bad_events_are_422_and_write_nothing(
    api: tuple[TestClient, Keys, Settings], body: dict[str, object], field: str
) -> None:
    client, keys, _ = api
    eid = _started(client, keys)
    assert_error(
        client.post(f"/experiments/{eid}/events", json=body, headers=keys.header("reader")), 422, field=field
    )
    shown = client.get(f"/experiments/{eid}", headers=keys.header("editor")).json()
    assert all(v["trials"] == 0 for v in shown["readout"]["variants"])


def test_a_stopped_experiment_refuses_events_with_409(api: tuple[TestClient, Keys, Settings]) -> None:
    client, keys, settings = api
    eid = _started(client, keys)
    r = client.post(f"/experiments/{eid}/stop", json={"reason": "enough"}, headers=keys.header("editor"))
    assert r.status_code == 200 and r.json()["status"] == "stopped"
    late = {"counts": [{"variant": "A", "impressions": 10, "clicks": 1}]}
    assert_error(
        client.post(f"/experiments/{eid}/events", json=late, headers=keys.header("reader")), 409, "conflict"
    )
    assert_error(
        client.get(f"/experiments/{eid}/assign", params={"unit": "r"}, headers=keys.header("reader")), 409
    )
    assert_error(client.get("/experiments/nope", headers=keys.header("editor")), 404)
    actions = [e.action for e in AuditLog(settings.audit_path).entries(model=f"experiment/{eid}")]
    assert actions == ["experiment_create", "experiment_start", "experiment_stop"]


def test_a_test_that_ran_reads_out_and_reports(api: tuple[TestClient, Keys, Settings]) -> None:
    client, keys, settings = api
    eid = _started(client, keys)
    rng = np.random.default_rng(7)
    counts = []
    for hour in range(6):
        for variant, rate in (("A", 0.02), ("question", 0.035)):
            n = 2000
            counts.append(
                {
                    "variant": variant,
                    "impressions": n,
                    "clicks": int(rng.binomial(n, rate)),
                    "guardrails": {"bounces": int(rng.binomial(n, 0.3))},
                    "at": f"2026-12-01T{9 + hour:02d}:10:00Z",
                }
            )
    r = client.post(f"/experiments/{eid}/events", json={"counts": counts}, headers=keys.header("reader"))
    assert r.status_code == 200, r.text
    shown = client.get(f"/experiments/{eid}", headers=keys.header("editor")).json()
    readout = shown["readout"]
    assert {v["key"]: v["trials"] for v in readout["variants"]} == {"A": 12000, "question": 12000}
    html = client.get(f"/experiments/{eid}/report", headers=keys.header("editor"))
    assert html.status_code == 200 and "<svg" in html.text and "Who pays for the harbour?" in html.text
    stop = client.post(f"/experiments/{eid}/stop", json={"winner": "question"}, headers=keys.header("editor"))
    assert stop.status_code == 200, stop.text
    assert stop.json()["winner"] == "question"
    actions = [e.action for e in AuditLog(settings.audit_path).entries(model=f"experiment/{eid}")]
    assert actions[-1] == "experiment_winner"


def test_overriding_the_readout_needs_a_reason(api: tuple[TestClient, Keys, Settings]) -> None:
    client, keys, settings = api
    eid = _started(client, keys)
    even = [{"variant": v, "impressions": 500, "clicks": 10} for v in ("A", "question")]
    client.post(f"/experiments/{eid}/events", json={"counts": even}, headers=keys.header("reader"))
    client.post(f"/experiments/{eid}/stop", json={}, headers=keys.header("editor"))
    refused = client.post(
        f"/experiments/{eid}/winner", json={"variant": "question"}, headers=keys.header("editor")
    )
    assert_error(refused, 422, field="reason")
    ok = client.post(
        f"/experiments/{eid}/winner",
        json={"variant": "question", "reason": "house style prefers questions"},
        headers=keys.header("editor"),
    )
    assert ok.status_code == 200, ok.text
    last = AuditLog(settings.audit_path).entries(model=f"experiment/{eid}")[-1]
    assert last.action == "experiment_override" and last.reason == "house style prefers questions"
