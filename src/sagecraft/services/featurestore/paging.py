"""Offset pagination tokens for in-memory listings, tied to the listing they were issued for."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from sagecraft.core.errors import ValidationException


def page(items: list, params: Mapping[str, Any], scope: str, default_size: int = 10) -> tuple[list, str | None]:
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
    chunk = items[start : start + size]
    if start + size >= len(items):
        return chunk, None
    raw = json.dumps({"s": scope, "o": start + size}, separators=(",", ":")).encode()
    return chunk, base64.urlsafe_b64encode(raw).decode()
