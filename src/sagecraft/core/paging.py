"""Pagination of in-memory listings: NextToken is an offset, tied to the listing (its scope: the
operation, its filters and sort) it was issued for, so a token reused elsewhere is refused as AWS
refuses a foreign token."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sagecraft.core.errors import ValidationException

T = TypeVar("T")


def page(
    items: Sequence[T], params: Mapping[str, Any], scope: str, default_size: int = 10
) -> tuple[list[T], str | None]:
    """One page of ``items`` per MaxResults / NextToken, and the token of the next page (None on the last)."""
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            if data["s"] != scope:
                raise ValueError
            start = int(data["o"])
        except (ValueError, KeyError, TypeError):
            raise ValidationException("Invalid pagination token: NextToken was not issued for this request.") from None
    size = params.get("MaxResults") or default_size
    chunk = list(items[start : start + size])
    if start + size >= len(items):
        return chunk, None
    raw = json.dumps({"s": scope, "o": start + size}, separators=(",", ":")).encode()
    return chunk, base64.urlsafe_b64encode(raw).decode()
