"""Pagination tokens. Self-contained (no server state, so they survive restarts) and opaque.

Event positions are (timestamp, event id) pairs: the read order of a stream. GetLogEvents tokens
look like AWS's (``f/<56 digits>/s``, ``b/…/s``); a forward token points just after an event,
a backward token just before one. List tokens carry the last key returned (keyset pagination)."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

from sagecraft.services.logs.errors import InvalidParameterException

MAX_TIMESTAMP = 2**63 - 1
_ID_BITS = 64
_ID_MASK = (1 << _ID_BITS) - 1
_POSITION = re.compile(r"([fb])/(\d{56})/s")


@dataclass(frozen=True, order=True)
class Position:
    timestamp_ms: int
    event_id: int

    def next(self) -> Position:
        return Position(self.timestamp_ms, self.event_id + 1)

    def previous(self) -> Position:
        return Position(self.timestamp_ms, max(self.event_id - 1, 0))


def position_number(position: Position) -> str:
    return f"{(position.timestamp_ms << _ID_BITS) | position.event_id:056d}"


def forward_token(position: Position) -> str:
    """Read on from events strictly after ``position``."""
    return f"f/{position_number(position)}/s"


def backward_token(position: Position) -> str:
    """Read back from events strictly before ``position``."""
    return f"b/{position_number(position)}/s"


def decode_position_token(token: str) -> tuple[str, Position]:
    match = _POSITION.fullmatch(token)
    if match is None:
        raise invalid_token()
    number = int(match.group(2))
    timestamp = number >> _ID_BITS
    if timestamp > MAX_TIMESTAMP:
        raise invalid_token()
    return match.group(1), Position(timestamp, number & _ID_MASK)


def encode_key_token(kind: str, key: list) -> str:
    raw = json.dumps({"k": kind, "v": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_key_token(kind: str, token: str) -> list:
    try:
        padded = token + "=" * (-len(token) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise invalid_token() from None
    if not isinstance(document, dict) or document.get("k") != kind or not isinstance(document.get("v"), list):
        raise invalid_token()
    return document["v"]


def invalid_token() -> InvalidParameterException:
    return InvalidParameterException("The specified nextToken is invalid.")
