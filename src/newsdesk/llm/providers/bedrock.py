"""AWS Bedrock through its Converse API (``bedrock-runtime``: ``converse`` and ``converse_stream``).

The model is a Bedrock model id or inference profile (default :data:`DEFAULT_MODEL`); credentials and, unless
``settings.llm.region`` says, the region come from boto3's usual chain (environment, profile, instance
role). System messages go into ``system``; the rest alternate user/assistant (consecutive messages of one
role are joined, as Converse requires); ``inferenceConfig`` carries ``maxTokens``, ``temperature`` and
``stopSequences``. Token counts come from the response's ``usage``.

Failures: throttling and Bedrock's transient errors are retried with exponential backoff and jitter
(botocore's own retries are switched off so the two do not multiply), then are
:class:`~newsdesk.errors.ProviderFailed`; an endpoint that cannot be reached or a timeout is
:class:`~newsdesk.errors.ProviderUnavailable`; a guardrail or content filter stopping the answer is
:class:`~newsdesk.errors.ProviderRefused`; any other AWS error is ``ProviderFailed`` with AWS's message.

``supports_json`` is false: a ``json_schema`` request is put into the prompt.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from newsdesk.errors import (
    InvalidInput,
    MissingDependency,
    ProviderFailed,
    ProviderRefused,
    ProviderUnavailable,
)
from newsdesk.llm.base import Completion, GenerationOptions, Message, Usage
from newsdesk.llm.providers._retry import Backoff, Retryable, with_retries

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = ["DEFAULT_MODEL", "BedrockProvider", "to_converse"]

NAME = "bedrock"
DEFAULT_MODEL = "amazon.nova-micro-v1:0"
#: AWS error codes worth another try
RETRY_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "RequestTimeout",
    }
)
REFUSED = frozenset({"guardrail_intervened", "content_filtered"})
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_use"}


def _botocore() -> tuple[Any, Any, Any]:
    """(boto3, botocore.config, botocore.exceptions), or MissingDependency naming the extra."""
    try:
        boto3 = importlib.import_module("boto3")
        config = importlib.import_module("botocore.config")
        exceptions = importlib.import_module("botocore.exceptions")
    except ImportError:
        raise MissingDependency("boto3", "bedrock", "the AWS Bedrock provider") from None
    return boto3, config, exceptions


def to_converse(messages: Sequence[Message], options: GenerationOptions | None = None) -> dict[str, Any]:
    """The ``system`` and ``messages`` arguments of a Converse call.

    >>> out = to_converse([Message("system", "Be brief."), Message("user", "Hi"), Message("user", "there")])
    >>> out["system"]
    [{'text': 'Be brief.'}]
    >>> out["messages"]
    [{'role': 'user', 'content': [{'text': 'Hi'}, {'text': 'there'}]}]
    """
    system = [{"text": m.content} for m in messages if m.role == "system"]
    turns: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        if turns and turns[-1]["role"] == m.role:
            turns[-1]["content"].append({"text": m.content})
        else:
            turns.append({"role": m.role, "content": [{"text": m.content}]})
    if not turns or turns[0]["role"] != "user":
        raise InvalidInput("messages", [m.role for m in messages], "a user message before any assistant one")
    if options is not None and options.json_schema is not None:
        request = json.dumps(dict(options.json_schema), ensure_ascii=False)
        turns[-1]["content"].append(
            {"text": "Answer with one JSON object only, matching this JSON schema:\n" + request}
        )
    out: dict[str, Any] = {"messages": turns}
    if system:
        out = {"system": system, **out}
    return out


class BedrockProvider:
    """Chat through Bedrock's Converse API. ``client``: a ``bedrock-runtime`` client to use instead of
    one built from ``region`` and ``timeout`` (the tests pass one wrapped in botocore's ``Stubber``)."""

    name = NAME
    supports_json = False
    thread_safe = True  # boto3 clients may be shared between threads

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        region: str | None = None,
        timeout: float = 60.0,
        max_tokens: int = 32_768,
        backoff: Backoff | None = None,
        client: Any = None,
        endpoint_url: str | None = None,
    ) -> None:
        boto3, config, exceptions = _botocore()
        self._errors = exceptions
        self.model = model
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.backoff = backoff or Backoff()
        if client is None:
            settings = config.Config(
                connect_timeout=min(timeout, 10.0),
                read_timeout=timeout,
                retries={"total_max_attempts": 1},
            )
            try:
                client = boto3.client(
                    "bedrock-runtime", region_name=region, config=settings, endpoint_url=endpoint_url
                )
            except exceptions.NoRegionError:
                raise InvalidInput(
                    "llm.region", region, "an AWS region (or AWS_REGION / a profile that names one)"
                ) from None
        self.client = client
        self.region = str(client.meta.region_name)

    @classmethod
    def from_settings(cls, settings: Settings) -> BedrockProvider:
        llm = settings.llm
        return cls(
            llm.model or DEFAULT_MODEL,
            region=llm.region,
            timeout=llm.timeout,
            max_tokens=llm.max_tokens,
            backoff=Backoff(retries=llm.max_retries),
        )

    def __repr__(self) -> str:
        return f"BedrockProvider(model={self.model!r}, region={self.region!r})"

    def complete(self, messages: Sequence[Message], options: GenerationOptions) -> Completion:
        request = self._request(messages, options)
        start = time.perf_counter()
        response = with_retries(lambda: self._call("converse", request), self.backoff)
        latency = (time.perf_counter() - start) * 1000.0
        stop_reason = response.get("stopReason")
        self._check_refusal(stop_reason)
        message = (response.get("output") or {}).get("message")
        if not isinstance(message, Mapping) or not isinstance(message.get("content"), list):
            raise ProviderFailed(self.name, f"{self.model}: the response has no output message")
        text = "".join(str(block["text"]) for block in message["content"] if "text" in block)
        usage = response.get("usage") or {}
        return Completion(
            text=text,
            model=self.model,
            provider=self.name,
            usage=Usage(int(usage.get("inputTokens", 0)), int(usage.get("outputTokens", 0))),
            latency_ms=latency,
            finish_reason=_FINISH.get(str(stop_reason), stop_reason),
        )

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        request = self._request(messages, options)
        response = with_retries(lambda: self._call("converse_stream", request), self.backoff)
        try:
            for event in response["stream"]:
                if "contentBlockDelta" in event:
                    text = event["contentBlockDelta"].get("delta", {}).get("text")
                    if text:
                        yield text
                elif "messageStop" in event:
                    self._check_refusal(event["messageStop"].get("stopReason"))
                else:
                    for key, value in event.items():
                        if key.endswith("Exception"):  # an error sent as an event
                            detail = value.get("message", "") if isinstance(value, Mapping) else value
                            raise ProviderFailed(self.name, f"{self.model}: {key} mid-stream: {detail}")
        except self._errors.EventStreamError as exc:
            raise self._mapped(exc, final=True) from exc
        except (self._errors.ReadTimeoutError, self._errors.ConnectionClosedError) as exc:
            raise ProviderUnavailable(self.name, f"{self.model}: the stream broke ({exc})") from exc

    def close(self) -> None:
        closer = getattr(self.client, "close", None)
        if callable(closer):
            closer()

    def _request(self, messages: Sequence[Message], options: GenerationOptions) -> dict[str, Any]:
        inference: dict[str, Any] = {
            "maxTokens": min(options.max_tokens, self.max_tokens),
            "temperature": options.temperature,
        }
        if options.stop:
            inference["stopSequences"] = list(options.stop)
        return {"modelId": self.model, **to_converse(messages, options), "inferenceConfig": inference}

    def _call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        errors = self._errors
        try:
            response: dict[str, Any] = getattr(self.client, operation)(**request)
        except errors.ClientError as exc:
            raise self._mapped(exc) from exc
        except (errors.EndpointConnectionError, errors.ConnectTimeoutError) as exc:
            raise Retryable(
                ProviderUnavailable(self.name, f"cannot reach Bedrock in {self.region}: {exc}")
            ) from exc
        except errors.ReadTimeoutError as exc:
            message = f"{self.model} in {self.region} did not answer within {self.timeout:g} s"
            raise Retryable(ProviderUnavailable(self.name, message)) from exc
        except errors.NoCredentialsError as exc:
            raise ProviderUnavailable(self.name, f"no AWS credentials found ({exc})") from exc
        return response

    def _mapped(self, exc: Any, *, final: bool = False) -> Exception:
        error = exc.response.get("Error", {}) if hasattr(exc, "response") else {}
        code = str(error.get("Code") or type(exc).__name__)
        message = str(error.get("Message") or exc)
        failed = ProviderFailed(self.name, f"{self.model}: {code}: {message}")
        if code in RETRY_CODES and not final:
            return Retryable(failed)
        return failed

    def _check_refusal(self, stop_reason: Any) -> None:
        if stop_reason in REFUSED:
            raise ProviderRefused(self.name, f"{self.model}: the answer was stopped ({stop_reason})")
