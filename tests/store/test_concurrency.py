"""Many writers on one store, as real processes: two API workers serving searches and ingests while a batch
enrichment runs. At the end every article and every enrichment is stored exactly once."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from newsdesk.settings import Settings
from newsdesk.store import open_store
from servehelpers import served


def _cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsdesk.cli.app", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=check,
    )


def _batch(start: int, stop: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"wire:{i}",
            "headline": f"Council report number {i} on harbour works",
            "body": f"The council published report {i} on the harbour works today. "
            "It covers costs and delays.",
            "section": "local",
        }
        for i in range(start, stop)
    ]


_COMPONENTS = "language,reading_time"


def _traffic(home: Path, base: str, key: str) -> tuple[list[dict[str, Any]], list[str], int]:
    """Two writers post the same 60 articles (opposite orders, batches of 10) and a reader searches, while a
    batch enrichment runs as its own process. Returns the ingest reports, the errors and the searches done."""
    headers = {"X-API-Key": key}
    outcomes: list[dict[str, Any]] = []
    errors: list[str] = []
    searches = [0]
    stop = threading.Event()

    def ingest(order: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            starts = list(range(0, 60, 10))
            for start in starts if order == 0 else reversed(starts):
                response = client.post("/articles", json={"articles": _batch(start, start + 10)})
                if response.status_code != 200:
                    errors.append(f"ingest {response.status_code}: {response.text[:200]}")
                    continue
                outcomes.append(response.json())

    def search() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            while not stop.is_set():
                response = client.get("/search", params={"q": "harbour works report", "limit": 5})
                if response.status_code != 200:
                    errors.append(f"search {response.status_code}: {response.text[:200]}")
                searches[0] += 1

    enrich = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsdesk.cli.app",
            "--home",
            str(home),
            "enrich",
            "--only",
            _COMPONENTS,
            "--batch-size",
            "16",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    threads = [threading.Thread(target=ingest, args=(i,)) for i in (0, 1)] + [threading.Thread(target=search)]
    try:
        for t in threads:
            t.start()
        for t in threads[:2]:
            t.join(timeout=200)
        stop.set()
        threads[2].join(timeout=60)
        if enrich.wait(timeout=200) != 0:
            errors.append(f"enrich: {enrich.stderr.read() if enrich.stderr else ''}")
    finally:
        stop.set()
        if enrich.poll() is None:
            enrich.kill()
    return outcomes, errors, searches[0]


def test_two_workers_and_a_batch_enrichment_store_everything_once(archive_copy: Path) -> None:
    home = archive_copy
    before = open_store(Settings(home=home))
    try:
        archived = set(before.ids())
    finally:
        before.close()
    editor = _cli(home, "keys", "create", "--role", "editor").stdout.strip().splitlines()[-1]
    with served(home) as (_, base):
        outcomes, errors, searches = _traffic(home, base, editor)
    assert not errors, errors[:5]
    assert searches > 0
    inserted = sum(o.get("inserted", 0) for o in outcomes)
    assert inserted == 60, outcomes  # each new article inserted by exactly one of the two writers

    # a second enrichment run picks up what the first did not see; then nothing is left to do
    again = _cli(home, "enrich", "--only", _COMPONENTS, "--json")
    assert again.returncode == 0, again.stderr
    store = open_store(Settings(home=home))
    try:
        ids = store.ids()
        assert len(ids) == len(set(ids)) == len(archived) + 60
        assert {f"api:wire:{i}" for i in range(60)} <= set(ids)
        fingerprints = [a.fingerprint for a in store.iter_articles()]
        assert len(fingerprints) == len(set(fingerprints))  # no article stored twice under two ids
        for component in _COMPONENTS.split(","):
            values = list(store.enrichment_values(component))
            assert [v[0] for v in values] == ids  # one output per article, none missing, none twice
            version = store.get(ids[0]).enrichments[component].version
            assert store.stale(component, version) == []
    finally:
        store.close()
