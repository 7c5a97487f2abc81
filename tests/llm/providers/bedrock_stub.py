"""Bedrock without AWS: botocore parses real event-stream bytes that a ``before-send`` hook hands it.

``serve_stream(client, [event(...), ...])`` makes the client's next ``converse_stream`` calls answer with
those events; ``event`` encodes one message of AWS's event-stream format.
"""

from __future__ import annotations

import binascii
import json
import struct
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse


def event(event_type: str, payload: dict[str, Any], message_type: str = "event") -> bytes:
    """One message of AWS's event-stream encoding (prelude, headers, payload, two CRC32s)."""
    headers = b""
    kind = ":exception-type" if message_type == "exception" else ":event-type"
    for name, value in (
        (":message-type", message_type),
        (kind, event_type),
        (":content-type", "application/json"),
    ):
        encoded = value.encode()
        headers += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(encoded)) + encoded
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + headers + body
    return message + struct.pack(">I", binascii.crc32(message) & 0xFFFFFFFF)


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, amt: int = 1024, decode_content: bool | None = None) -> Iterator[bytes]:
        for i in range(0, len(self.data), 7):  # small chunks: messages split across reads
            yield self.data[i : i + 7]

    def read(self, amt: int | None = None) -> bytes:
        return self.data

    def close(self) -> None:
        pass


def serve_stream(client: Any, events: list[bytes]) -> None:
    def send(request: Any, **kwargs: Any) -> AWSResponse:
        headers = {"content-type": "application/vnd.amazon.eventstream"}
        return AWSResponse(request.url, 200, headers, _Raw(b"".join(events)))

    client.meta.events.register("before-send.bedrock-runtime.ConverseStream", send)


def serve_json(client: Any, operation: str, payload: dict[str, Any], status: int = 200) -> None:
    """Make the client's ``operation`` calls (e.g. ``"Converse"``) answer ``payload`` as AWS's JSON."""

    def send(request: Any, **kwargs: Any) -> AWSResponse:
        headers = {"content-type": "application/json"}
        return AWSResponse(request.url, status, headers, _Raw(json.dumps(payload).encode()))

    client.meta.events.register(f"before-send.bedrock-runtime.{operation}", send)
