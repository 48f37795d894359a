"""Server-side validation of parsed input against the botocore shapes: the constraints AWS
checks before an operation runs (required, length, range, enum, pattern).

Each shape is compiled once into a check function (cached for the life of the service models), and a
member's path is a chain of (parent, segment) pairs rendered only when a constraint fails: every
request is validated, so the common case, valid input, must cost little."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from botocore.model import Shape

from sagecraft.core.errors import ValidationException

_MAX_REPORTED = 10

# A member's location: None at the top, else (parent, segment); a segment is a member's name, a list
# index (int) or a map entry ((".key" | ".value", key)).
Path = tuple | None
Check = Callable[[Any, Path, list[str]], None]


def validate(shape: Shape | None, params: dict) -> None:
    """Raise ValidationException listing every violated constraint, AWS style."""
    if shape is None:
        return
    problems: list[str] = []
    _compile(shape)(params, None, problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        shown = "; ".join(problems[:_MAX_REPORTED])
        raise ValidationException(f"{count} validation {noun} detected: {shown}")


@functools.lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern | None:
    try:
        # Model patterns are Java regexes anchored by convention; most compile in Python.
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


@functools.cache
def _compile(shape: Shape) -> Check:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape)
    if kind == "list":
        return _list(shape)
    if kind == "map":
        return _map(shape)
    if kind == "string":
        return _string(shape)
    if kind == "blob":
        size = _size_check(shape.metadata, "length")
        # A streamed payload is a Body object with a size; an inline blob is bytes.
        return lambda value, path, problems: size(value.size if hasattr(value, "size") else len(value), None,
                                                  path, problems)
    if kind in ("integer", "long", "float", "double"):
        size = _size_check(shape.metadata, "value")
        return lambda value, path, problems: size(value, value, path, problems)
    return _nothing


def _nothing(value: Any, path: Path, problems: list[str]) -> None:
    return None


def _structure(shape: Shape) -> Check:
    if shape.is_document_type:
        return _nothing
    required = [(name, _camel(name)) for name in shape.metadata.get("required", [])]
    members = [(name, _camel(name), member) for name, member in shape.members.items()]

    def check(value: Any, path: Path, problems: list[str]) -> None:
        if not isinstance(value, dict):
            return
        for name, segment in required:
            if value.get(name) is None:
                problems.append(_null((path, segment)))
        for name, segment, member in members:
            item = value.get(name)
            if item is not None:  # a missing member is checked by `required`
                _compile(member)(item, (path, segment), problems)

    return check


def _list(shape: Shape) -> Check:
    size = _size_check(shape.metadata, "length")
    member = shape.member

    def check(value: Any, path: Path, problems: list[str]) -> None:
        size(len(value), value, path, problems)
        item_check = _compile(member)
        for i, item in enumerate(value):
            _item(item_check, item, (path, i), problems)

    return check


def _map(shape: Shape) -> Check:
    size = _size_check(shape.metadata, "length")
    key_shape, value_shape = shape.key, shape.value

    def check(value: Any, path: Path, problems: list[str]) -> None:
        size(len(value), value, path, problems)
        key_check, value_check = _compile(key_shape), _compile(value_shape)
        for key, item in value.items():
            _item(key_check, key, (path, (".key", key)), problems)
            _item(value_check, item, (path, (".value", key)), problems)

    return check


def _item(check: Check, item: Any, path: Path, problems: list[str]) -> None:
    if item is None:  # a null list item or map value
        problems.append(_null(path))
    else:
        check(item, path, problems)


def _string(shape: Shape) -> Check:
    size = _size_check(shape.metadata, "length")
    enum = shape.enum
    allowed = frozenset(enum or ())
    pattern = shape.metadata.get("pattern")
    compiled = _pattern(pattern) if pattern else None

    def check(value: Any, path: Path, problems: list[str]) -> None:
        size(len(value), value, path, problems)
        if allowed and value not in allowed:
            problems.append(f"Value '{_show(value)}' at '{_render(path)}' failed to satisfy constraint: "
                            f"Member must satisfy enum value set: [{', '.join(enum)}]")
        # AWS matches the whole value (Java's Pattern.matches), anchored or not.
        if compiled is not None and compiled.fullmatch(value) is None:
            problems.append(f"Value '{_show(value)}' at '{_render(path)}' failed to satisfy constraint: "
                            f"Member must satisfy regular expression pattern: {pattern}")

    return check


def _size_check(meta: dict, what: str) -> Callable[[Any, Any, Path, list[str]], None]:
    low, high = meta.get("min"), meta.get("max")
    if low is None and high is None:
        return lambda measured, value, path, problems: None
    verb = "" if what == "value" else "have length "

    def check(measured: Any, value: Any, path: Path, problems: list[str]) -> None:
        if low is not None and measured < low:
            problems.append(f"Value '{_show(value)}' at '{_render(path)}' failed to satisfy constraint: "
                            f"Member must {verb}greater than or equal to {low}")
        if high is not None and measured > high:
            problems.append(f"Value '{_show(value)}' at '{_render(path)}' failed to satisfy constraint: "
                            f"Member must {verb}less than or equal to {high}")

    return check


def _render(path: Path) -> str:
    parts: list[str] = []
    while path is not None:
        path, segment = path
        if isinstance(segment, int):
            parts.append(f"{segment + 1}.member")
        elif isinstance(segment, tuple):
            parts.append(f"{segment[1]}{segment[0]}")
        else:
            parts.append(segment)
    return ".".join(reversed(parts))


def _null(path: Path) -> str:
    return f"Value null at '{_render(path)}' failed to satisfy constraint: Member must not be null"


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    if value is None:
        return "null"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:200] + "..."
