"""The HTTP request and response as the protocols see them (independent of the ASGI server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import unquote


class Body(Protocol):
    """A request body already read off the wire (in memory, or spooled to a file)."""

    size: int

    def read(self) -> bytes: ...

    def open(self): ...  # a binary file object positioned at the start


class BytesBody:
    def __init__(self, data: bytes = b"") -> None:
        self.data = data
        self.size = len(data)

    def read(self) -> bytes:
        return self.data

    def open(self):
        import io

        return io.BytesIO(self.data)


@dataclass
class HttpRequest:
    method: str
    raw_path: str  # percent-encoded, exactly as sent (the signature covers it)
    query_string: str  # raw, percent-encoded
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ","
    body: Body = field(default_factory=BytesBody)
    path_prefix: str = ""  # for virtual-hosted S3: "/<bucket>" the host named
    labels: dict[str, str] = field(default_factory=dict)  # URI labels of the matched operation

    @property
    def path(self) -> str:
        return unquote(self.path_prefix + self.raw_path)

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_query(self.query_string)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)


def parse_query(query_string: str) -> list[tuple[str, str]]:
    """Query pairs, decoded. Unlike urllib's, keeps valueless keys (S3's ``?uploads``) and
    treats ``+`` as a plus sign only where the sender percent-encoded it (as AWS does)."""
    pairs = []
    for part in query_string.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote(key.replace("+", " ")), unquote(value.replace("+", " "))))
    return pairs


StreamBody = Iterator[bytes] | AsyncIterator[bytes]


@dataclass
class HttpResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | StreamBody = b""
