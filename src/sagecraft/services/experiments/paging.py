"""Listing helpers shared by the experiments operations: time bounds, sorting, offset tokens."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sagecraft.core.errors import ValidationException

T = TypeVar("T")


def within(created: Any, params: Mapping[str, Any]) -> bool:
    after, before = params.get("CreatedAfter"), params.get("CreatedBefore")
    return (after is None or created > after) and (before is None or created < before)


def sort(
    items: list[T], params: Mapping[str, Any], keys: Mapping[str, Callable[[T], Any]], default: str = "CreationTime"
) -> list[T]:
    sort_by = params.get("SortBy") or default
    if sort_by not in keys:
        raise ValidationException(
            f"Value '{sort_by}' at 'sortBy' failed to satisfy constraint: Member must "
            f"satisfy enum value set: [{', '.join(keys)}]"
        )
    descending = (params.get("SortOrder") or "Descending") == "Descending"
    return sorted(items, key=keys[sort_by], reverse=descending)


def page(
    items: Sequence[T], params: Mapping[str, Any], scope: str, default_size: int = 10
) -> tuple[list[T], str | None]:
    """One page of an in-memory listing; the token is the offset, tied to the listing it came from."""
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
