"""Helpers of the service tests: keys per role, a seeded workspace, the error-shape assertion."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsdesk.auth import create_key, revoke_key
from newsdesk.ingest import ingest
from newsdesk.settings import Settings
from newsdesk.store import open_store

DATA = Path(__file__).resolve().parents[1] / "data"
HERALD = DATA / "valley-herald.jsonl"


@dataclass(frozen=True)
class Keys:
    reader: str
    editor: str
    admin: str
    revoked: str

    def header(self, role: str) -> dict[str, str]:
        return {"X-API-Key": getattr(self, role)}


def make_keys(settings: Settings) -> Keys:
    store = open_store(settings)
    try:
        secrets = {
            role: create_key(store, role, name=f"test {role}")[1] for role in ("reader", "editor", "admin")
        }
        old, old_secret = create_key(store, "admin", name="revoked")
        revoke_key(store, old.id)
    finally:
        store.close()
    return Keys(**secrets, revoked=old_secret)


def seed(settings: Settings) -> None:
    store = open_store(settings)
    try:
        report = ingest([HERALD], store, settings=settings, format="jsonl", source="valley-herald")
        assert report.inserted == 5
    finally:
        store.close()


def herald_records() -> list[dict[str, object]]:
    return [json.loads(line) for line in HERALD.read_text(encoding="utf-8").splitlines() if line.strip()]


def assert_error(
    response: Any, status: int, code: str | None = None, field: str | None = None
) -> dict[str, Any]:
    """The response has ``status`` and the one error body shape; returns its ``error`` object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert "error" in body, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "field"}
    assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert error["field"] == field, error
    return error
