"""``POST /write/brief?stream=true``: the model's draft as Server-Sent Events, then the checked result."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from llmhelpers import bbc_articles

from newsdesk.api import create_app
from newsdesk.settings import Settings
from newsdesk.store import open_store


def _events(raw: str) -> list[tuple[str, Any]]:
    out = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_a_streamed_brief_sends_drafts_then_the_checked_result(
    openai_server: Any, openai_settings: Settings
) -> None:
    settings = openai_settings.model_copy(
        update={"api": openai_settings.api.model_copy(update={"auth_enabled": False})}
    )
    article = bbc_articles()[0]
    store = open_store(settings)
    store.upsert([article])
    store.close()
    openai_server.reply = (
        "TimeWarner said fourth quarter sales rose 2% to $11.1bn from $10.9bn.\n"
        "It hopes to increase subscribers.\n- Quarterly profits jumped 76%.\n- Sales rose 2%."
    )
    with TestClient(create_app(settings)) as client:
        r = client.post("/write/brief?stream=true", json={"ids": [article.id]})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = _events(r.text)
        drafts = "".join(data["text"] for kind, data in events if kind == "draft")
        assert drafts == openai_server.reply and len([e for e in events if e[0] == "draft"]) > 1
        kind, result = events[-1]
        assert kind == "result" and result["product"] == "brief" and result["provider"] == "openai"
        assert all(c["supported"] for i in result["items"] if i["verdict"] == "ok" for c in i["claims"])
        missing = _events(client.post("/write/brief?stream=true", json={"ids": ["nope:1"]}).text)
        assert missing[-1][0] == "error" and missing[-1][1]["status"] == 404
