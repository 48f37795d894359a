"""The JSONPath subset SageMaker batch transform supports in DataProcessing InputFilter/OutputFilter.

``$`` (everything), ``$.key`` / ``$.a.b`` / ``$['a','b']`` (object members), and ``$[2]``, ``$[-1]``,
``$[1:]``, ``$[:3]``, ``$[0,5:]`` (array elements, slices, and lists of both). A CSV record is the
array of its fields; a JSON record is the parsed document."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"\.([A-Za-z_][A-Za-z0-9_\-]*)")
_BRACKET = re.compile(r"\[([^\]]*)\]")
_QUOTED = re.compile(r"""^\s*(['"])(.*?)\1\s*$""")
_INDEX = re.compile(r"^\s*(-?\d+)?\s*(:\s*(-?\d+)?)?\s*$")


class JsonPathError(ValueError):
    """The expression is outside the supported subset, or does not fit the record."""


@dataclass(frozen=True)
class Keys:
    names: tuple[str, ...]


@dataclass(frozen=True)
class Indexes:
    items: tuple[int | slice, ...]

    @property
    def single(self) -> bool:
        return len(self.items) == 1 and isinstance(self.items[0], int)


Step = Keys | Indexes


def parse_path(path: str) -> tuple[Step, ...]:
    text = (path or "$").strip()
    if not text.startswith("$"):
        raise JsonPathError("a JSONPath starts with '$'")
    steps: list[Step] = []
    position = 1
    while position < len(text):
        name = _NAME.match(text, position)
        if name:
            steps.append(Keys((name.group(1),)))
            position = name.end()
            continue
        bracket = _BRACKET.match(text, position)
        if not bracket:
            raise JsonPathError(f"unexpected {text[position:]!r}")
        steps.append(_bracket(bracket.group(1)))
        position = bracket.end()
    return tuple(steps)


def _bracket(inside: str) -> Step:
    parts = [p for p in inside.split(",")]
    if not parts or not any(p.strip() for p in parts):
        raise JsonPathError("empty brackets")
    quoted = [_QUOTED.match(p) for p in parts]
    if all(quoted):
        return Keys(tuple(m.group(2) for m in quoted if m))
    items: list[int | slice] = []
    for part in parts:
        match = _INDEX.match(part)
        if not match or (match.group(1) is None and match.group(2) is None):
            raise JsonPathError(f"{part.strip()!r} is neither an index, a slice nor a quoted name")
        start = int(match.group(1)) if match.group(1) is not None else None
        if match.group(2) is None:
            items.append(int(start))  # type: ignore[arg-type]
        else:
            stop = int(match.group(3)) if match.group(3) is not None else None
            items.append(slice(start, stop))
    return Indexes(tuple(items))


def apply(steps: tuple[Step, ...], value: Any) -> Any:
    for step in steps:
        value = _step(step, value)
    return value


def _step(step: Step, value: Any) -> Any:
    if isinstance(step, Keys):
        if not isinstance(value, dict):
            raise JsonPathError(f"member {step.names[0]!r} selected from a {type(value).__name__}, not an object")
        missing = [n for n in step.names if n not in value]
        if missing:
            raise JsonPathError(f"the record has no member {missing[0]!r}")
        if len(step.names) == 1:
            return value[step.names[0]]
        return {n: value[n] for n in step.names}
    if not isinstance(value, list):
        raise JsonPathError(f"elements selected from a {type(value).__name__}, not an array")
    if step.single:
        index = step.items[0]
        try:
            return value[index]  # type: ignore[index]
        except IndexError:
            raise JsonPathError(f"index {index} is out of range for a record of {len(value)} fields") from None
    picked: list[Any] = []
    for item in step.items:
        if isinstance(item, slice):
            picked.extend(value[item])
        else:
            try:
                picked.append(value[item])
            except IndexError:
                raise JsonPathError(f"index {item} is out of range for a record of {len(value)} fields") from None
    return picked


def is_identity(path: str | None) -> bool:
    return not path or path.strip() == "$"
