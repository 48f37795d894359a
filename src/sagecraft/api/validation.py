"""Server-side validation of parsed input against the botocore shapes: the constraints AWS
checks before an operation runs (required, length, range, enum, pattern)."""

from __future__ import annotations

import functools
import re

from botocore.model import Shape

from sagecraft.core.errors import ValidationException

_MAX_REPORTED = 10


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern | None:
    try:
        # Model patterns are Java regexes anchored by convention; most compile in Python.
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value) -> str:
    if value is None:
        return "null"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def validate(shape: Shape | None, params: dict) -> None:
    """Raise ValidationException listing every violated constraint, AWS style."""
    if shape is None:
        return
    problems: list[str] = []
    _check(shape, params, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        shown = "; ".join(problems[:_MAX_REPORTED])
        raise ValidationException(f"{count} validation {noun} detected: {shown}")


def _null(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


def _check(shape: Shape, value, path: str, problems: list[str]) -> None:
    if value is None:  # a null list item or map value; missing members are checked by `required`
        problems.append(_null(path))
        return
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if shape.is_document_type or not isinstance(value, dict):
            return
        for name in meta.get("required", []):
            if value.get(name) is None:
                at = f"{path}.{_camel(name)}" if path else _camel(name)
                problems.append(_null(at))
        for name, member in shape.members.items():
            item = value.get(name)
            if item is not None:
                _check(member, item, f"{path}.{_camel(name)}" if path else _camel(name), problems)
        return
    if kind == "list":
        _size(meta, len(value), path, value, "length", problems)
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}.{i + 1}.member", problems)
        return
    if kind == "map":
        _size(meta, len(value), path, value, "length", problems)
        for key, item in value.items():
            _check(shape.key, key, f"{path}.{key}.key", problems)
            _check(shape.value, item, f"{path}.{key}.value", problems)
        return
    if kind == "string":
        _size(meta, len(value), path, value, "length", problems)
        enum = shape.enum
        if enum and value not in enum:
            problems.append(
                f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(enum)}]"
            )
        pattern = meta.get("pattern")
        if pattern:
            compiled = _compiled(pattern)
            # AWS matches the whole value (Java's Pattern.matches), anchored or not.
            if compiled is not None and compiled.fullmatch(value) is None:
                problems.append(
                    f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: "
                    f"Member must satisfy regular expression pattern: {pattern}"
                )
        return
    if kind == "blob":
        # A streamed payload is a Body object with a size; an inline blob is bytes.
        _size(meta, value.size if hasattr(value, "size") else len(value), path, None, "length", problems)
        return
    if kind in ("integer", "long", "float", "double"):
        _size(meta, value, path, value, "value", problems)


def _size(meta: dict, measured, path: str, value, what: str, problems: list[str]) -> None:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and measured < low:
        relation = "greater than or equal to" if what == "value" else "have length greater than or equal to"
        problems.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: "
                        f"Member must {relation} {low}")
    if high is not None and measured > high:
        relation = "less than or equal to" if what == "value" else "have length less than or equal to"
        problems.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: "
                        f"Member must {relation} {high}")
