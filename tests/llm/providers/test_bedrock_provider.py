"""The ``bedrock`` provider, with no network.

AWS cannot be reached from the tests, so Converse responses and AWS errors come from botocore's
``Stubber`` (which checks each request against Bedrock's API model), and the streamed answer from a
``before-send`` hook that hands botocore real event-stream bytes: both exercise boto3's own request
building and response parsing, not a hand-made double. An unreachable endpoint is a closed port on
127.0.0.1.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from bedrock_stub import event, serve_stream
from botocore.stub import Stubber

from newsdesk.errors import (
    InvalidInput,
    MissingDependency,
    ProviderFailed,
    ProviderRefused,
    ProviderUnavailable,
)
from newsdesk.llm.base import GenerationOptions, Message, Provider, open_provider
from newsdesk.llm.providers._retry import Backoff
from newsdesk.llm.providers.bedrock import BedrockProvider, to_converse
from newsdesk.settings import Settings

MODEL = "amazon.nova-micro-v1:0"
ASK = [Message("system", "You are a news editor."), Message("user", "Summarise: sales rose 5%.")]
OPTIONS = GenerationOptions(max_tokens=50, stop=("\n\n",))
REQUEST = {
    "modelId": MODEL,
    "system": [{"text": "You are a news editor."}],
    "messages": [{"role": "user", "content": [{"text": "Summarise: sales rose 5%."}]}],
    "inferenceConfig": {"maxTokens": 50, "temperature": 0.0, "stopSequences": ["\n\n"]},
}


def answer(text: str = "Sales rose 5%.", stop: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": 21, "outputTokens": 6, "totalTokens": 27},
        "metrics": {"latencyMs": 120},
    }


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def client() -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1")


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def provider(client: Any, sleeps: Sleeps) -> BedrockProvider:
    return BedrockProvider(MODEL, client=client, backoff=Backoff(retries=2, base=0.01, sleep=sleeps))


def test_a_completion(provider: BedrockProvider, stub: Stubber) -> None:
    stub.add_response("converse", answer(), REQUEST)
    out = provider.complete(ASK, OPTIONS)
    assert isinstance(provider, Provider)
    assert (out.text, out.model, out.provider, out.finish_reason) == (
        "Sales rose 5%.",
        MODEL,
        "bedrock",
        "stop",
    )
    assert (out.usage.prompt_tokens, out.usage.completion_tokens) == (21, 6)
    assert provider.region == "us-east-1"


def test_max_tokens_finish(provider: BedrockProvider, stub: Stubber) -> None:
    stub.add_response("converse", answer(stop="max_tokens"), REQUEST)
    assert provider.complete(ASK, OPTIONS).finish_reason == "length"


@pytest.mark.parametrize("reason", ["guardrail_intervened", "content_filtered"])
def test_refusals(provider: BedrockProvider, stub: Stubber, reason: str) -> None:
    stub.add_response("converse", answer("", stop=reason), REQUEST)
    with pytest.raises(ProviderRefused, match=reason):
        provider.complete(ASK, OPTIONS)


def test_throttling_is_retried(provider: BedrockProvider, stub: Stubber, sleeps: Sleeps) -> None:
    stub.add_client_error(
        "converse", "ThrottlingException", "Too many requests", 429, expected_params=REQUEST
    )
    stub.add_client_error("converse", "ServiceUnavailableException", "Busy", 503, expected_params=REQUEST)
    stub.add_response("converse", answer(), REQUEST)
    assert provider.complete(ASK, OPTIONS).text == "Sales rose 5%."
    assert len(sleeps) == 2


def test_persistent_throttling_fails(provider: BedrockProvider, stub: Stubber, sleeps: Sleeps) -> None:
    for _ in range(3):
        stub.add_client_error("converse", "ThrottlingException", "Rate exceeded", 429)
    with pytest.raises(ProviderFailed, match="ThrottlingException: Rate exceeded"):
        provider.complete(ASK, OPTIONS)
    assert len(sleeps) == 2


def test_other_errors_fail_at_once(provider: BedrockProvider, stub: Stubber, sleeps: Sleeps) -> None:
    stub.add_client_error("converse", "AccessDeniedException", "You don't have access to the model", 403)
    with pytest.raises(ProviderFailed, match="AccessDeniedException: You don't have access"):
        provider.complete(ASK, OPTIONS)
    stub.add_client_error("converse", "ValidationException", "The model ID is invalid", 400)
    with pytest.raises(ProviderFailed, match="ValidationException"):
        provider.complete(ASK, OPTIONS)
    assert sleeps == []


def test_an_unreachable_endpoint_is_unavailable(sleeps: Sleeps) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = BedrockProvider(
        MODEL,
        region="us-east-1",
        timeout=2.0,
        endpoint_url=f"http://127.0.0.1:{port}",
        backoff=Backoff(retries=1, base=0.01, sleep=sleeps),
    )
    with pytest.raises(ProviderUnavailable, match="cannot reach Bedrock in us-east-1"):
        provider.complete(ASK, OPTIONS)
    assert len(sleeps) == 1
    provider.close()


def test_messages_become_converse_turns() -> None:
    chat = [
        Message("system", "Rules."),
        Message("user", "a"),
        Message("assistant", "b"),
        Message("assistant", "c"),
        Message("user", "d"),
    ]
    out = to_converse(chat, GenerationOptions(json_schema={"type": "object"}))
    assert out["system"] == [{"text": "Rules."}]
    assert [t["role"] for t in out["messages"]] == ["user", "assistant", "user"]
    assert out["messages"][1]["content"] == [{"text": "b"}, {"text": "c"}]
    assert "JSON schema" in out["messages"][-1]["content"][-1]["text"]
    with pytest.raises(InvalidInput, match="messages"):
        to_converse([Message("assistant", "hi")])


def test_from_settings(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, llm={"provider": "bedrock", "region": "eu-west-1", "max_retries": 1})
    provider = open_provider(settings)
    assert isinstance(provider, BedrockProvider)
    assert (provider.model, provider.region, provider.backoff.retries) == (MODEL, "eu-west-1", 1)
    assert provider.client.meta.config.retries["total_max_attempts"] == 1  # one retry loop, not two
    provider.close()


def test_missing_boto3_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 -> ImportError
    with pytest.raises(MissingDependency, match=r"boto3.*newsdesk\[bedrock\]"):
        BedrockProvider(MODEL)


# -- streaming: botocore parses real event-stream bytes --------------------------------------------------


def _deltas(*pieces: str) -> list[bytes]:
    out = [event("messageStart", {"role": "assistant"})]
    out += [event("contentBlockDelta", {"delta": {"text": p}, "contentBlockIndex": 0}) for p in pieces]
    return out


def test_streaming(provider: BedrockProvider, client: Any) -> None:
    serve_stream(
        client, [*_deltas("Sales", " rose", " 5%."), event("messageStop", {"stopReason": "end_turn"})]
    )
    assert list(provider.stream(ASK, OPTIONS)) == ["Sales", " rose", " 5%."]


def test_a_stream_stopped_by_a_guardrail_is_refused(provider: BedrockProvider, client: Any) -> None:
    serve_stream(client, [*_deltas("Sales"), event("messageStop", {"stopReason": "guardrail_intervened"})])
    with pytest.raises(ProviderRefused):
        list(provider.stream(ASK, OPTIONS))


def test_an_error_mid_stream_fails(provider: BedrockProvider, client: Any) -> None:
    error = event("throttlingException", {"message": "slow down"}, message_type="exception")
    serve_stream(client, [*_deltas("Sales"), error])
    with pytest.raises(ProviderFailed, match="slow down"):
        list(provider.stream(ASK, OPTIONS))
