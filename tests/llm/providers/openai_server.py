"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for tests.

It speaks ``POST /v1/chat/completions`` (JSON, and SSE when ``"stream": true``) from a thread of the test
process, answers with a scripted reply or from any :class:`~newsdesk.llm.base.Provider` (e.g. the local
model), records every request it got, and misbehaves on demand: queue faults in :attr:`ChatServer.faults`,
one per request, consumed in order; requests past the queue are answered normally.

Faults: ``"delay:SECONDS"`` (answer late), ``"status:CODE"`` or ``"status:CODE:RETRY_AFTER"`` (an error
status with an OpenAI-shaped error body), ``"echo_auth"`` (a 401 whose message echoes the Authorization
header, as some servers do), ``"malformed"`` (a 200 whose body is not JSON), ``"no_choices"``, ``"refusal"``
(a ``refusal`` message), ``"content_filter"`` (finish_reason ``content_filter``), ``"stream_garbage"`` (a
streamed chunk that is not JSON), ``"drop"`` (close the connection without answering).

    server = ChatServer().start()
    server.reply = "Hello."          # or server.answer = lambda messages, body: "..."
    server.faults += ["status:500"]  # the next request fails, the one after succeeds
    ... OpenAIProvider("test-model", base_url=server.base_url) ...
    server.stop()
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[list[dict[str, str]], dict[str, Any]], str]


@dataclass
class Received:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    fault: str | None


@dataclass
class ChatServer:
    """The server; ``base_url`` is ``http://127.0.0.1:PORT/v1`` once started."""

    reply: str = "A scripted answer."
    answer: Answer | None = None
    model: str = "test-model"
    faults: list[str] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def count(self) -> int:
        """Chat-completion requests received so far."""
        return len(self.requests)

    def start(self) -> ChatServer:
        server = self

        class Handler(_Handler):
            chat = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="chat-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def reset(self) -> None:
        """Back to the defaults: no faults, no recorded requests, the scripted reply."""
        with self._lock:
            self.faults.clear()
            self.requests.clear()
        self.reply = "A scripted answer."
        self.answer = None
        self.model = "test-model"

    def use_provider(self, provider: Any) -> None:
        """Answer every request by asking ``provider`` (a :class:`~newsdesk.llm.base.Provider`)."""
        from newsdesk.llm.base import GenerationOptions, Message

        def answer(messages: list[dict[str, str]], body: dict[str, Any]) -> str:
            options = GenerationOptions(
                max_tokens=int(body.get("max_tokens") or 64),
                temperature=float(body.get("temperature") or 0.0),
                stop=tuple(body.get("stop") or ()),
            )
            chat = [Message(m["role"], m["content"]) for m in messages]  # type: ignore[arg-type]
            return str(provider.complete(chat, options).text)

        self.answer = answer

    def _next(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> str | None:
        with self._lock:
            fault = self.faults.pop(0) if self.faults else None
            self.requests.append(Received(path, headers, body, fault))
        return fault

    def _text(self, body: dict[str, Any]) -> str:
        messages = body.get("messages") or []
        return self.answer(messages, body) if self.answer is not None else self.reply


class _Handler(BaseHTTPRequestHandler):
    chat: ChatServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"error": {"message": "the request body is not JSON", "type": "invalid"}})
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        fault = self.chat._next(self.path, dict(self.headers.items()), body)
        if fault is not None and self._fault(fault):
            return
        text = self.chat._text(body)
        if body.get("stream"):
            self._stream(text, garbage=fault == "stream_garbage")
        else:
            self._json(200, self._completion(text, body))

    def _fault(self, fault: str) -> bool:
        """Act out ``fault``; True when that was the whole answer."""
        kind, _, arg = fault.partition(":")
        if kind == "delay":
            time.sleep(float(arg))
            return False
        if kind == "status":
            code, _, retry_after = arg.partition(":")
            headers = {"Retry-After": retry_after} if retry_after else {}
            error = {"message": f"scripted failure {code}", "type": "server_error", "code": code}
            self._json(int(code), {"error": error}, headers)
            return True
        if kind == "echo_auth":
            got = self.headers.get("Authorization", "")
            self._json(401, {"error": {"message": f"Incorrect API key provided: {got}", "type": "auth"}})
            return True
        if kind == "malformed":
            self._raw(200, b'{"choices": [', "application/json")
            return True
        if kind == "no_choices":
            self._json(200, {"id": "x", "object": "chat.completion", "model": self.chat.model})
            return True
        if kind in ("refusal", "content_filter"):
            refusal = "I can't help with that." if kind == "refusal" else None
            message = {"role": "assistant", "content": None, "refusal": refusal}
            choice = {
                "index": 0,
                "message": message,
                "finish_reason": "content_filter" if refusal is None else "stop",
            }
            self._json(200, {"id": "x", "model": self.chat.model, "choices": [choice]})
            return True
        if kind == "drop":
            self.close_connection = True
            self.connection.close()
            return True
        return False

    def _completion(self, text: str, body: dict[str, Any]) -> dict[str, Any]:
        prompt = sum(len(m.get("content", "").split()) for m in body.get("messages") or [])
        message = {"role": "assistant", "content": text}
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.chat.model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": len(text.split()),
                "total_tokens": prompt + len(text.split()),
            },
        }

    def _stream(self, text: str, *, garbage: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        words = text.split(" ")
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        self.wfile.write(b": keep-alive\n\n")
        for i, piece in enumerate(pieces):
            delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
            chunk = {"id": "c", "model": self.chat.model, "choices": [{"index": 0, "delta": delta}]}
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            if garbage:
                self.wfile.write(b"data: {not json\n\n")
        final = {
            "id": "c",
            "model": self.chat.model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
        self.wfile.write(b"data: " + json.dumps(final).encode() + b"\n\n")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(data).encode(), "application/json", headers)

    def _raw(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(
            BrokenPipeError, ConnectionResetError
        ):  # the client gave up (a timeout test)
            self.wfile.write(payload)
