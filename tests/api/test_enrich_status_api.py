"""``GET /enrich/status``: enrichment progress, the background job and the features ready, for readers."""

from __future__ import annotations

import os

from apihelpers import Keys
from fastapi.testclient import TestClient

from newsdesk.pipeline import enrich
from newsdesk.pipeline.progress import FEATURES, JobRecorder
from newsdesk.settings import Settings
from newsdesk.store import open_store


def test_progress_for_readers(client: TestClient, keys: Keys, api_settings: Settings) -> None:
    assert client.get("/enrich/status").status_code == 401
    response = client.get("/enrich/status", headers=keys.header("reader"))
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["articles"] == 5 and data["job"]["state"] == "not_started"
    assert list(data["features"]) == list(FEATURES) and data["features"]["search_text"] is True
    assert all(c["done"] == 0 and c["total"] == 5 and not c["ready"] for c in data["components"])

    store = open_store(api_settings)
    try:
        enrich(store, api_settings, only=["language", "reading_time"])
    finally:
        store.close()
    with JobRecorder(api_settings) as job:
        job.step("enriching: embedding 2/5")
        data = client.get("/enrich/status", headers=keys.header("reader")).json()
    ready = {c["name"]: c["ready"] for c in data["components"]}
    assert ready["language"] and ready["reading_time"] and not ready["embedding"]
    job_out = data["job"]
    assert job_out["state"] == "running" and job_out["pid"] == os.getpid()
    assert job_out["step"] == "enriching: embedding 2/5" and job_out["heartbeat_at"]
    after = client.get("/enrich/status", headers=keys.header("reader")).json()["job"]
    assert after["state"] == "finished" and after["step"] == "done" and after["finished_at"]
