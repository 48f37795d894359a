"""Resource name → searcher: filled at composition by every capability that serves a Search resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Searcher = Callable[[Any, dict], list[dict]]


class SearchRegistry:
    def __init__(self) -> None:
        self._searchers: dict[str, Searcher] = {}

    def register(self, resource: str, searcher: Searcher) -> None:
        if resource in self._searchers:
            raise ValueError(f"a searcher for {resource} is already registered")
        self._searchers[resource] = searcher

    def get(self, resource: str) -> Searcher | None:
        return self._searchers.get(resource)

    @property
    def resources(self) -> list[str]:
        return sorted(self._searchers)
