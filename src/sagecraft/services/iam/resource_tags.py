"""``aws:ResourceTag/<key>`` and ``sagemaker:ResourceTag/<key>``: the tags of the resource a request
acts on, read only when a policy's condition asks for one (most requests never pay for the lookup)."""

from __future__ import annotations

from collections.abc import Callable

PREFIXES = ("aws:resourcetag/", "sagemaker:resourcetag/")
# resource ARN → its tags (None: the resource does not exist or has none to tell)
ResourceTags = Callable[[str], dict[str, str] | None]


class TaggedContext(dict):
    """A request context (lower-cased keys → values) that fills its ResourceTag keys on first use."""

    def __init__(self, keys: dict[str, list[str]], resource: str, tags: ResourceTags) -> None:
        super().__init__(keys)
        self._resource = resource
        self._tags = tags
        self._loaded = False

    def _load(self) -> None:
        self._loaded = True
        if self._resource == "*":
            return
        for key, value in (self._tags(self._resource) or {}).items():
            for prefix in PREFIXES:
                self.setdefault(prefix + key.lower(), [value])

    def get(self, key: str, default: object = None) -> object:
        if not self._loaded and key.startswith(PREFIXES):
            self._load()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if not self._loaded and isinstance(key, str) and key.startswith(PREFIXES):
            self._load()
        return super().__contains__(key)
