"""The framed protocol the gateway speaks to a model server over a Unix socket (the invocation hot
path; the worker's HTTP contract, GET /ping and POST /invocations, stays for health checks).

One request at a time per connection, each a frame:

- request:  ``!II`` (meta length, body length), meta, body
- response: ``!HII`` (status, meta length, body length), meta, body

``meta`` is the headers as UTF-8 names and values separated by NUL, which neither can hold (they
arrived as HTTP header values or are file paths). Framing spares both sides an HTTP parse, and the
gateway a line-by-line read per header."""

from __future__ import annotations

import itertools
import os
import socket
import struct
import sys
import tempfile
import uuid

REQUEST = struct.Struct("!II")
RESPONSE = struct.Struct("!HII")


def encode_meta(headers: dict[str, str]) -> bytes:
    return "\0".join(itertools.chain.from_iterable(headers.items())).encode()


def decode_meta(raw: bytes) -> dict[str, str]:
    if not raw:
        return {}
    parts = raw.decode().split("\0")
    return dict(zip(parts[::2], parts[1::2], strict=True))


def request_frame(body: bytes, headers: dict[str, str]) -> bytes:
    meta = encode_meta(headers)
    return b"".join((REQUEST.pack(len(meta), len(body)), meta, body))


def response_frame(status: int, body: bytes, headers: dict[str, str]) -> bytes:
    meta = encode_meta(headers)
    return b"".join((RESPONSE.pack(status, len(meta), len(body)), meta, body))


class FrameReader:
    """Collects bytes as they arrive and returns the frames they complete: (head fields, meta, body)."""

    def __init__(self, head: struct.Struct) -> None:
        self.head = head
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[tuple[int, ...], bytes, bytes]]:
        self.buffer += data
        buffer, size = self.buffer, self.head.size
        frames = []
        offset = 0
        while len(buffer) - offset >= size:
            fields = self.head.unpack_from(buffer, offset)
            start = offset + size
            end = start + fields[-2] + fields[-1]  # the last two fields are the meta and body lengths
            if len(buffer) < end:
                break
            frames.append((fields, bytes(buffer[start:start + fields[-2]]), bytes(buffer[start + fields[-2]:end])))
            offset = end
        if offset:
            del buffer[:offset]
        return frames


def bind_listener() -> tuple[socket.socket, str]:
    """A listening Unix socket for one worker and its address. On Linux an abstract address (no file,
    no path-length limit, gone with the socket); elsewhere a file in the temporary folder."""
    token = uuid.uuid4().hex
    if sys.platform.startswith("linux"):
        address = f"\0sagecraft-worker-{token}"
    else:
        address = os.path.join(tempfile.gettempdir(), f"sc-{token[:16]}.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(1024)
    return listener, address


def release(address: str) -> None:
    """Removes a worker's socket file (abstract addresses leave none)."""
    if address and not address.startswith("\0"):
        try:
            os.unlink(address)
        except FileNotFoundError:
            pass
