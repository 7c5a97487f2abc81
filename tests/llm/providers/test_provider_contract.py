"""One contract, every registered provider: ``local`` (the bundled SmolLM2), ``openai`` (against the test
server), ``bedrock`` (botocore's Stubber and event-stream bytes), ``extractive``. A provider added to the
registry must be added to :data:`BUILDERS`, or :func:`test_every_registered_provider_is_covered` fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from bedrock_stub import event, serve_json, serve_stream
from openai_server import ChatServer

import newsdesk.llm.providers  # noqa: F401  (registers the built-ins)
from newsdesk.errors import ProviderError
from newsdesk.llm.base import Completion, GenerationOptions, Message, Provider, providers
from newsdesk.llm.prompting import article_block, task_line
from newsdesk.settings import Settings

BODY = "The council approved a new budget on Tuesday. It will raise spending on schools by 5%."
MESSAGES = [
    Message("system", "You write news briefs."),
    Message("user", task_line("brief") + "\n" + article_block("a1", "Council approves budget", BODY)),
]
OPTIONS = GenerationOptions(max_tokens=8)
REPLY = "The council approved a new budget."


def _local(request: pytest.FixtureRequest, tmp_path: Path) -> Provider:
    provider: Provider = request.getfixturevalue("local_provider")
    return provider


def _openai(request: pytest.FixtureRequest, tmp_path: Path) -> Provider:
    from newsdesk.llm.providers.openai import OpenAIProvider

    server: ChatServer = request.getfixturevalue("openai_server")
    server.reply = REPLY
    return OpenAIProvider("test-model", base_url=server.base_url, api_key="sk-contract")


def _bedrock(request: pytest.FixtureRequest, tmp_path: Path) -> Provider:
    from newsdesk.llm.providers.bedrock import BedrockProvider

    monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    message = {"role": "assistant", "content": [{"text": REPLY}]}
    usage = {"inputTokens": 40, "outputTokens": 7, "totalTokens": 47}
    answer = {
        "output": {"message": message},
        "stopReason": "end_turn",
        "usage": usage,
        "metrics": {"latencyMs": 5},
    }
    serve_json(client, "Converse", answer)
    words = REPLY.split(" ")
    pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
    events = [event("contentBlockDelta", {"delta": {"text": p}, "contentBlockIndex": 0}) for p in pieces]
    serve_stream(client, [*events, event("messageStop", {"stopReason": "end_turn"})])
    return BedrockProvider("amazon.nova-micro-v1:0", client=client)


def _extractive(request: pytest.FixtureRequest, tmp_path: Path) -> Provider:
    from newsdesk.llm.providers.extractive import ExtractiveProvider

    return ExtractiveProvider.from_settings(Settings(home=tmp_path))


BUILDERS: dict[str, Callable[[pytest.FixtureRequest, Path], Provider]] = {
    "local": _local,
    "openai": _openai,
    "bedrock": _bedrock,
    "extractive": _extractive,
}


def test_every_registered_provider_is_covered() -> None:
    assert set(providers.names()) <= set(BUILDERS), "add the new provider to BUILDERS"


@pytest.fixture(params=sorted(BUILDERS))
def provider(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Provider]:
    built = BUILDERS[request.param](request, tmp_path)
    yield built
    built.close()


def test_the_protocol(provider: Provider) -> None:
    assert isinstance(provider, Provider)
    assert provider.name in BUILDERS
    assert isinstance(provider.model, str) and provider.model
    assert isinstance(provider.supports_json, bool) and isinstance(provider.thread_safe, bool)


def test_a_completion_says_who_wrote_it(provider: Provider) -> None:
    out = provider.complete(MESSAGES, OPTIONS)
    assert isinstance(out, Completion)
    assert isinstance(out.text, str) and out.text.strip()
    assert out.provider == provider.name and out.model
    assert out.usage.prompt_tokens >= 0 and out.usage.completion_tokens >= 0
    assert out.latency_ms >= 0 and not out.cached
    assert Completion.from_dict(out.to_dict()).to_dict() == out.to_dict()


def test_greedy_is_repeatable_and_the_stream_is_the_completion(provider: Provider) -> None:
    first = provider.complete(MESSAGES, OPTIONS)
    assert provider.complete(MESSAGES, OPTIONS).text == first.text
    pieces = list(provider.stream(MESSAGES, OPTIONS))
    assert all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == first.text


def test_failures_are_provider_errors() -> None:
    """What the protocol promises callers: one base class to catch."""
    from newsdesk.errors import ProviderFailed, ProviderRefused, ProviderUnavailable

    assert all(issubclass(e, ProviderError) for e in (ProviderFailed, ProviderRefused, ProviderUnavailable))
