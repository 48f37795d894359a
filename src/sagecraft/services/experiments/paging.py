"""Listing helpers shared by the experiments operations: time bounds, sorting, offset tokens."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sagecraft.core.errors import ValidationException
from sagecraft.core.paging import page

__all__ = ["page", "sort", "within"]

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
