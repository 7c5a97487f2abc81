"""The request size limit, enforced on the body as it streams in, not only on ``Content-Length``.

A declared ``Content-Length`` over the limit is refused before the app runs. A body without one (chunked)
or one that lies is counted as it is received: the chunk that crosses the limit raises
:class:`BodyTooLarge`, an HTTP 413 that FastAPI lets through its body parsing, so the route never runs and
the error handlers answer with the usual error body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsdesk.api.errors import ApiError, error_response

__all__ = ["BodyLimitMiddleware", "BodyTooLarge"]


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            "payload_too_large",
            f"the request body is over the limit of {limit} bytes (settings.api.max_request_bytes)",
        )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(self.max_bytes, scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # raised outside FastAPI's handlers (e.g. a body read by a middleware): answer here
            if started:
                raise
            await _refuse(self.max_bytes, scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    exc = BodyTooLarge(limit)
    response = error_response(413, exc.code, str(exc.detail), headers={"Connection": "close"})
    await response(scope, receive, send)
