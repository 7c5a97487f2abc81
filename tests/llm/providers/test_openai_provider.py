"""The ``openai`` provider against a real HTTP server on 127.0.0.1 (``openai_server``) that speaks the
chat-completions protocol, JSON and SSE, and fails on demand."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai_server import ChatServer

from newsdesk.errors import InvalidInput, ProviderFailed, ProviderRefused, ProviderUnavailable
from newsdesk.llm.base import GenerationOptions, Message, Provider, open_provider
from newsdesk.llm.providers._retry import Backoff, parse_retry_after
from newsdesk.llm.providers.openai import OpenAIProvider
from newsdesk.settings import Settings

KEY = "sk-test-secret-0123456789"
ASK = [Message("system", "You are a news editor."), Message("user", "Summarise: sales rose 5%.")]
OPTIONS = GenerationOptions(max_tokens=50)


class Sleeps(list[float]):
    """Records the backoff's waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def provider(openai_server: ChatServer, sleeps: Sleeps) -> Iterator[OpenAIProvider]:
    backoff = Backoff(retries=2, base=0.01, sleep=sleeps)
    p = OpenAIProvider(
        "test-model", base_url=openai_server.base_url, api_key=KEY, timeout=2.0, backoff=backoff
    )
    yield p
    p.close()


def test_a_completion(provider: OpenAIProvider, openai_server: ChatServer) -> None:
    openai_server.reply = "Sales rose 5%."
    openai_server.model = "served-model-v2"
    out = provider.complete(ASK, GenerationOptions(max_tokens=50, stop=("\n\n",), seed=7))
    assert isinstance(provider, Provider)
    assert out.text == "Sales rose 5%."
    assert (out.provider, out.model, out.finish_reason) == ("openai", "served-model-v2", "stop")
    assert out.usage.prompt_tokens == 9 and out.usage.completion_tokens == 3
    assert out.latency_ms > 0
    [got] = openai_server.requests
    assert got.headers["Authorization"] == f"Bearer {KEY}"
    assert got.body["model"] == "test-model" and got.body["messages"] == [m.to_dict() for m in ASK]
    assert got.body["max_tokens"] == 50 and got.body["stop"] == ["\n\n"] and got.body["seed"] == 7
    assert got.body["stream"] is False and "response_format" not in got.body


def test_json_schema_becomes_response_format(provider: OpenAIProvider, openai_server: ChatServer) -> None:
    schema = {"title": "Headline ideas", "type": "object", "properties": {"ideas": {"type": "array"}}}
    openai_server.reply = '{"ideas": []}'
    out = provider.complete(ASK, GenerationOptions(json_schema=schema))
    assert json.loads(out.text) == {"ideas": []}
    fmt = openai_server.requests[0].body["response_format"]
    assert fmt == {"type": "json_schema", "json_schema": {"name": "Headline_ideas", "schema": schema}}
    assert provider.supports_json


def test_streaming(provider: OpenAIProvider, openai_server: ChatServer) -> None:
    openai_server.reply = "Sales rose five per cent in March."
    pieces = list(provider.stream(ASK, OPTIONS))
    assert len(pieces) == 7 and "".join(pieces) == openai_server.reply
    assert openai_server.requests[0].body["stream"] is True


def test_a_500_is_retried(provider: OpenAIProvider, openai_server: ChatServer, sleeps: Sleeps) -> None:
    openai_server.faults += ["status:500", "status:503"]
    assert provider.complete(ASK, OPTIONS).text == openai_server.reply
    assert openai_server.count == 3 and len(sleeps) == 2
    assert all(0 <= s <= 0.02 for s in sleeps)  # base 0.01, doubled, jittered


def test_a_stream_is_retried_before_it_starts(provider: OpenAIProvider, openai_server: ChatServer) -> None:
    openai_server.faults += ["status:502"]
    assert "".join(provider.stream(ASK, OPTIONS)) == openai_server.reply
    assert openai_server.count == 2


def test_429_honours_retry_after(provider: OpenAIProvider, openai_server: ChatServer, sleeps: Sleeps) -> None:
    openai_server.faults += ["status:429:3"]
    assert provider.complete(ASK, OPTIONS).text == openai_server.reply
    assert sleeps == [3.0] and openai_server.count == 2


def test_persistent_500_fails(provider: OpenAIProvider, openai_server: ChatServer, sleeps: Sleeps) -> None:
    openai_server.faults += ["status:500"] * 5
    with pytest.raises(ProviderFailed, match="HTTP 500") as caught:
        provider.complete(ASK, OPTIONS)
    assert "scripted failure 500" in str(caught.value)  # the server's own message
    assert openai_server.count == 3 and len(sleeps) == 2  # 1 + max_retries


def test_other_4xx_fail_at_once(provider: OpenAIProvider, openai_server: ChatServer) -> None:
    openai_server.faults += ["status:400"]
    with pytest.raises(ProviderFailed, match=r"HTTP 400.*scripted failure 400"):
        provider.complete(ASK, OPTIONS)
    assert openai_server.count == 1
    openai_server.faults += ["status:404"]
    with pytest.raises(ProviderFailed, match="HTTP 404"):
        list(provider.stream(ASK, OPTIONS))


def test_the_api_key_never_shows(provider: OpenAIProvider, openai_server: ChatServer) -> None:
    openai_server.faults += ["echo_auth", "echo_auth"]
    with pytest.raises(ProviderFailed, match="HTTP 401") as caught:
        provider.complete(ASK, OPTIONS)
    assert KEY not in str(caught.value) and "Bearer ***" in str(caught.value)
    with pytest.raises(ProviderFailed) as streamed:
        list(provider.stream(ASK, OPTIONS))
    assert KEY not in str(streamed.value)
    assert KEY not in repr(provider)


def test_a_timeout_is_retried_then_unavailable(openai_server: ChatServer, sleeps: Sleeps) -> None:
    backoff = Backoff(retries=1, base=0.01, sleep=sleeps)
    p = OpenAIProvider("m", base_url=openai_server.base_url, api_key=KEY, timeout=0.2, backoff=backoff)
    openai_server.faults += ["delay:0.6", "delay:0.6"]
    with pytest.raises(ProviderUnavailable, match=r"did not answer within 0\.2 s") as caught:
        p.complete(ASK, OPTIONS)
    assert openai_server.base_url in str(caught.value) and KEY not in str(caught.value)
    assert openai_server.count == 2
    openai_server.faults += ["delay:0.6"]
    assert p.complete(ASK, OPTIONS).text == openai_server.reply  # timed out once, then answered


def test_connection_refused_is_unavailable(sleeps: Sleeps) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    p = OpenAIProvider("m", base_url=url, api_key=KEY, backoff=Backoff(retries=2, base=0.01, sleep=sleeps))
    with pytest.raises(ProviderUnavailable, match=f"cannot reach {url}/chat/completions") as caught:
        p.complete(ASK, OPTIONS)
    assert len(sleeps) == 2 and KEY not in str(caught.value)
    with pytest.raises(ProviderUnavailable):
        list(p.stream(ASK, OPTIONS))


def test_a_dropped_connection_is_retried(provider: OpenAIProvider, openai_server: ChatServer) -> None:
    openai_server.faults += ["drop"]
    assert provider.complete(ASK, OPTIONS).text == openai_server.reply
    assert openai_server.count == 2


@pytest.mark.parametrize(
    ("fault", "message"),
    [("malformed", "not JSON"), ("no_choices", "no 'choices'"), ("stream_garbage", None)],
)
def test_malformed_responses_fail(
    provider: OpenAIProvider, openai_server: ChatServer, fault: str, message: str | None
) -> None:
    openai_server.faults.append(fault)
    if message is None:
        with pytest.raises(ProviderFailed, match="streamed chunk is not JSON"):
            list(provider.stream(ASK, OPTIONS))
    else:
        with pytest.raises(ProviderFailed, match=message):
            provider.complete(ASK, OPTIONS)
    assert openai_server.count == 1  # not retried: the server answered


@pytest.mark.parametrize("fault", ["refusal", "content_filter"])
def test_refusals(provider: OpenAIProvider, openai_server: ChatServer, fault: str) -> None:
    openai_server.faults.append(fault)
    with pytest.raises(ProviderRefused):
        provider.complete(ASK, OPTIONS)


def test_from_settings(openai_settings: Settings, openai_server: ChatServer) -> None:
    provider = open_provider(openai_settings)
    assert isinstance(provider, OpenAIProvider)
    assert provider.url == openai_server.base_url + "/chat/completions"
    assert provider.backoff.retries == 2 and provider.timeout == 5.0
    openai_server.reply = "From the settings."
    assert provider.complete(ASK, OPTIONS).text == "From the settings."
    provider.close()


def test_defaults_and_validation(tmp_path: Path) -> None:
    p = OpenAIProvider.from_settings(Settings(home=tmp_path, llm={"provider": "openai"}))
    assert p.url == "https://api.openai.com/v1/chat/completions" and p.model == "gpt-4o-mini"
    assert "Authorization" not in p._headers
    p.close()
    with pytest.raises(InvalidInput, match=r"llm\.base_url"):
        OpenAIProvider("m", base_url="ftp://example.org")
    hidden = OpenAIProvider("m", base_url="http://user:pw@127.0.0.1:9/v1")
    assert "pw" not in hidden.shown_url
    hidden.close()


def test_max_tokens_is_capped_by_the_settings(openai_server: ChatServer) -> None:
    p = OpenAIProvider("m", base_url=openai_server.base_url, max_tokens=20)
    p.complete(ASK, GenerationOptions(max_tokens=400))
    assert openai_server.requests[0].body["max_tokens"] == 20
    assert "Authorization" not in openai_server.requests[0].headers
    p.close()


def test_the_server_can_answer_from_the_local_model(
    openai_server: ChatServer, local_provider: object
) -> None:
    openai_server.use_provider(local_provider)
    p = OpenAIProvider("smollm2", base_url=openai_server.base_url)
    start = time.perf_counter()
    out = p.complete([Message("user", "Say hello.")], GenerationOptions(max_tokens=6))
    assert out.text.strip() and time.perf_counter() - start < 30
    assert "".join(p.stream([Message("user", "Say hello.")], GenerationOptions(max_tokens=6))) == out.text
    p.close()


def test_retry_after_dates() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after(None) is None
    assert Backoff(max_wait=5).delay(0, retry_after=120) == 5
