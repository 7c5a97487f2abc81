"""Any OpenAI-compatible chat-completions server: vLLM, llama.cpp's server, Ollama, OpenAI itself.

One ``POST {base_url}/chat/completions`` per call over a synchronous httpx client, with the API key as a
bearer token. The key is a secret: it never appears in a log line, an error message or ``repr``; a server
that echoes it back (some do, in their "invalid key" message) has it masked.

Failures map onto the provider errors: a server that cannot be reached or does not answer within
``timeout`` (after the retries) is :class:`~newsdesk.errors.ProviderUnavailable`, naming the URL; 429 and
5xx are retried with exponential backoff and jitter (``Retry-After`` honoured) and then are
:class:`~newsdesk.errors.ProviderFailed`, as is any other 4xx (with the server's message) and a response
that is not the chat-completions shape; a ``refusal`` or a ``content_filter`` finish is
:class:`~newsdesk.errors.ProviderRefused`.

``json_schema`` is sent as ``response_format`` (``{"type": "json_schema", ...}``), which OpenAI, vLLM and
llama.cpp's server enforce, so :attr:`OpenAIProvider.supports_json` is true.

>>> p = OpenAIProvider("gpt-4o-mini", base_url="http://127.0.0.1:8080/v1/", api_key="sk-secret")
>>> p.url
'http://127.0.0.1:8080/v1/chat/completions'
>>> "sk-secret" in repr(p)
False
>>> p.close()
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from newsdesk.errors import (
    InvalidInput,
    MissingDependency,
    ProviderError,
    ProviderFailed,
    ProviderRefused,
    ProviderUnavailable,
)
from newsdesk.llm.base import Completion, GenerationOptions, Message, Usage
from newsdesk.llm.providers._retry import Backoff, Retryable, parse_retry_after, with_retries

if TYPE_CHECKING:
    import httpx

    from newsdesk.settings import Settings

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MODEL", "OpenAIProvider"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
NAME = "openai"
_RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
_MESSAGE_LIMIT = 300


def _httpx() -> Any:
    try:
        import httpx
    except ImportError:
        raise MissingDependency("httpx", "llm", "the OpenAI-compatible provider") from None
    return httpx


class OpenAIProvider:
    """Chat completions from an OpenAI-compatible server.

    ``model``: the server's model id (recorded as the response names it). ``base_url``: up to and including
    the API version, e.g. ``http://127.0.0.1:8000/v1``. ``api_key``: the bearer token (``None``: no
    ``Authorization`` header, as local servers expect). ``timeout``: seconds for one attempt. ``backoff``:
    the retry policy (default: ``Backoff(retries=3)``). ``client``: an httpx client to use instead of one
    of its own (closed by :meth:`close` only when the provider made it).
    """

    name = NAME
    supports_json = True
    thread_safe = True  # an httpx.Client may be shared between threads

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: SecretStr | str | None = None,
        timeout: float = 60.0,
        max_tokens: int = 32_768,
        backoff: Backoff | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        hx = _httpx()
        if not model:
            raise InvalidInput("llm.model", model, "the server's model id")
        url = hx.URL(base_url.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.host:
            raise InvalidInput("llm.base_url", base_url, "an http:// or https:// URL")
        self.model = model
        self.base_url = str(url)
        self.url = self.base_url + "/chat/completions"
        self.shown_url = str(url.copy_with(username=None, password=None)) + "/chat/completions"
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.backoff = backoff or Backoff()
        self._key = api_key if isinstance(api_key, SecretStr) or api_key is None else SecretStr(api_key)
        self._headers = {"Accept": "application/json"}
        if self._key is not None and self._key.get_secret_value():
            self._headers["Authorization"] = "Bearer " + self._key.get_secret_value()
        self._own_client = client is None
        self._client: httpx.Client = client or hx.Client(timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIProvider:
        llm = settings.llm
        return cls(
            llm.model or DEFAULT_MODEL,
            base_url=llm.base_url or DEFAULT_BASE_URL,
            api_key=llm.api_key,
            timeout=llm.timeout,
            max_tokens=llm.max_tokens,
            backoff=Backoff(retries=llm.max_retries),
        )

    def __repr__(self) -> str:
        return f"OpenAIProvider(model={self.model!r}, url={self.shown_url!r})"

    # -- the protocol -------------------------------------------------------------------------------------

    def complete(self, messages: Sequence[Message], options: GenerationOptions) -> Completion:
        body = self._body(messages, options, stream=False)
        start = time.perf_counter()
        data = with_retries(lambda: self._post(body), self.backoff)
        latency = (time.perf_counter() - start) * 1000.0
        choice = self._first_choice(data)
        message = choice.get("message")
        if not isinstance(message, Mapping):
            raise self._failed("the response's first choice has no 'message'")
        self._check_refusal(message.get("refusal"), choice.get("finish_reason"))
        text = message.get("content")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise self._failed("the message's 'content' is not a string")
        raw_usage = data.get("usage")
        usage: Mapping[str, Any] = raw_usage if isinstance(raw_usage, Mapping) else {}
        return Completion(
            text=text,
            model=str(data.get("model") or self.model),
            provider=self.name,
            usage=Usage(_int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens"))),
            latency_ms=latency,
            finish_reason=_finish(choice.get("finish_reason")),
        )

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        body = self._body(messages, options, stream=True)
        response = with_retries(lambda: self._open_stream(body), self.backoff)
        hx = _httpx()
        try:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue  # comments (":"), "event:", "id:", blank keep-alives
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return
                piece = self._chunk_text(payload)
                if piece:
                    yield piece
        except hx.TimeoutException as exc:
            raise ProviderUnavailable(
                self.name, f"{self.shown_url} stopped sending within {self.timeout:g} s"
            ) from exc
        except hx.TransportError as exc:
            raise ProviderUnavailable(
                self.name, f"{self.shown_url}: the stream broke ({_kind(exc)})"
            ) from exc
        finally:
            response.close()

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    # -- requests -----------------------------------------------------------------------------------------

    def _body(
        self, messages: Sequence[Message], options: GenerationOptions, *, stream: bool
    ) -> dict[str, Any]:
        if not messages:
            raise InvalidInput("messages", [], "at least one message")
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.to_dict() for m in messages],
            "max_tokens": min(options.max_tokens, self.max_tokens),
            "temperature": options.temperature,
            "stream": stream,
        }
        if options.stop:
            body["stop"] = list(options.stop)
        if options.seed is not None:
            body["seed"] = options.seed
        if options.json_schema is not None:
            schema = dict(options.json_schema)
            title = "".join(c if c.isalnum() or c in "_-" else "_" for c in str(schema.get("title", "")))
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": title[:64] or "response", "schema": schema},
            }
        return body

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        """One attempt of a non-streaming call: the parsed body of a 200, else an error (maybe Retryable)."""
        hx = _httpx()
        try:
            response = self._client.post(self.url, json=body, headers=self._headers, timeout=self.timeout)
        except hx.TimeoutException as exc:
            raise Retryable(self._timed_out()) from exc
        except hx.TransportError as exc:
            raise Retryable(self._unreachable(exc)) from exc
        if response.status_code != 200:
            raise self._status_error(response.status_code, response.text, response.headers)
        try:
            data = response.json()
        except ValueError:
            raise self._failed(f"the response is not JSON: {self._clip(response.text)!r}") from None
        if not isinstance(data, dict):
            raise self._failed("the response is not a JSON object")
        return data

    def _open_stream(self, body: dict[str, Any]) -> httpx.Response:
        """One attempt at opening a streamed call: the open response of a 200 (the caller closes it)."""
        hx = _httpx()
        request = self._client.build_request(
            "POST", self.url, json=body, headers=self._headers, timeout=self.timeout
        )
        try:
            response = self._client.send(request, stream=True)
        except hx.TimeoutException as exc:
            raise Retryable(self._timed_out()) from exc
        except hx.TransportError as exc:
            raise Retryable(self._unreachable(exc)) from exc
        if response.status_code != 200:
            try:
                text = response.read().decode("utf-8", "replace")
            except hx.HTTPError:
                text = ""
            finally:
                response.close()
            raise self._status_error(response.status_code, text, response.headers)
        opened: httpx.Response = response
        return opened

    # -- responses ----------------------------------------------------------------------------------------

    def _first_choice(self, data: Mapping[str, Any]) -> Mapping[str, Any]:
        if "error" in data and "choices" not in data:
            raise self._failed(f"the server answered with an error: {self._error_text(data)}")
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
            raise self._failed("the response has no 'choices'")
        return choices[0]

    def _chunk_text(self, payload: str) -> str:
        try:
            data = json.loads(payload)
        except ValueError:
            raise self._failed(f"a streamed chunk is not JSON: {self._clip(payload)!r}") from None
        if not isinstance(data, dict):
            raise self._failed("a streamed chunk is not a JSON object")
        if "error" in data:
            raise self._failed(f"the server sent an error mid-stream: {self._error_text(data)}")
        choices = data.get("choices")
        if not isinstance(choices, list):
            raise self._failed("a streamed chunk has no 'choices'")
        if not choices:
            return ""  # e.g. the final usage chunk
        choice: Mapping[str, Any] = choices[0] if isinstance(choices[0], Mapping) else {}
        raw_delta = choice.get("delta")
        delta: Mapping[str, Any] = raw_delta if isinstance(raw_delta, Mapping) else {}
        self._check_refusal(delta.get("refusal"), choice.get("finish_reason"))
        content = delta.get("content")
        return content if isinstance(content, str) else ""

    def _check_refusal(self, refusal: Any, finish_reason: Any) -> None:
        if refusal:
            raise ProviderRefused(self.name, f"the model refused: {self._clip(str(refusal))}")
        if finish_reason == "content_filter":
            raise ProviderRefused(self.name, "the server's content filter stopped the answer")

    # -- errors -------------------------------------------------------------------------------------------

    def _status_error(self, status: int, text: str, headers: Mapping[str, str]) -> ProviderError | Retryable:
        try:
            detail = self._error_text(json.loads(text))
        except ValueError:
            detail = self._clip(text.strip()) or "(no message)"
        error = ProviderFailed(self.name, f"HTTP {status} from {self.shown_url}: {detail}")
        if status in _RETRY_STATUSES or status >= 500:
            return Retryable(error, parse_retry_after(headers.get("retry-after")))
        return error

    def _error_text(self, data: Any) -> str:
        """The server's own error message, from the shapes servers use: {"error": {"message": ...}},
        {"error": "..."}, {"detail": ...}, {"message": ...}."""
        if isinstance(data, Mapping):
            error = data.get("error", data)
            if isinstance(error, Mapping):
                for key in ("message", "detail", "msg"):
                    if error.get(key):
                        return self._clip(str(error[key]))
            elif error:
                return self._clip(str(error))
        return self._clip(json.dumps(data)[:_MESSAGE_LIMIT])

    def _unreachable(self, exc: Exception) -> ProviderUnavailable:
        return ProviderUnavailable(self.name, f"cannot reach {self.shown_url} ({_kind(exc)})")

    def _timed_out(self) -> ProviderUnavailable:
        return ProviderUnavailable(self.name, f"{self.shown_url} did not answer within {self.timeout:g} s")

    def _failed(self, message: str) -> ProviderFailed:
        return ProviderFailed(self.name, f"{self.shown_url}: {message}")

    def _clip(self, text: str) -> str:
        """At most a few hundred characters of server text, with the API key masked."""
        if self._key is not None:
            secret = self._key.get_secret_value()
            if secret:
                text = text.replace(secret, "***")
        return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def _kind(exc: Exception) -> str:
    """A transport error's class and message: no header is in either."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _finish(value: Any) -> str | None:
    return str(value) if value is not None else None
