"""Wildcards and policy variables, compiled once into regular expressions.

In Resource elements and String/Arn condition values, ``*`` matches any run of characters and ``?``
one character; ``${key}`` is replaced by the request's value of a single-valued context key,
``${key, 'default'}`` falls back to a default, and ``${*}``, ``${?}``, ``${$}`` stand for the literal
characters. A variable whose key is absent (and has no default) makes the pattern match nothing,
as IAM does."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

_TOKEN = re.compile(r"\$\{([^}]*)\}|[*?]")
_LITERAL_VARIABLES = {"*": "*", "?": "?", "$": "$"}
_DEFAULT = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")

Context = Mapping[str, Sequence[str]]  # condition key (lower case) → its values


def has_variables(pattern: str) -> bool:
    return "${" in pattern


def _variable_value(name: str, context: Context) -> str | None:
    if name in _LITERAL_VARIABLES:
        return _LITERAL_VARIABLES[name]
    default = None
    with_default = _DEFAULT.match(name)
    if with_default:
        name, default = with_default.group(1), with_default.group(2)
    values = context.get(name.strip().lower())
    if values is None or len(values) != 1:  # multi-valued keys cannot be variables
        return default
    return values[0]


def _translate(pattern: str, context: Context | None, wildcards: bool) -> str | None:
    parts: list[str] = []
    position = 0
    for token in _TOKEN.finditer(pattern):
        parts.append(re.escape(pattern[position:token.start()]))
        position = token.end()
        text = token.group(0)
        if token.group(1) is not None:
            if context is None:  # no request: a variable is literal text (e.g. validation)
                parts.append(re.escape(text))
                continue
            value = _variable_value(token.group(1), context)
            if value is None:
                return None
            parts.append(re.escape(value))
        elif wildcards:
            parts.append(".*" if text == "*" else ".")
        else:
            parts.append(re.escape(text))
    parts.append(re.escape(pattern[position:]))
    return "".join(parts)


@functools.lru_cache(maxsize=4096)
def _compiled(expression: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(expression, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


@functools.lru_cache(maxsize=16384)
def _fixed(pattern: str, wildcards: bool, ignore_case: bool) -> re.Pattern[str]:
    """A pattern without variables compiles once (policies are evaluated on every request)."""
    return _compiled(_translate(pattern, None, wildcards) or "", ignore_case)


def matches(pattern: str, value: str, context: Context | None = None, *, wildcards: bool = True,
            ignore_case: bool = False) -> bool:
    """Does ``value`` match ``pattern`` (wildcards and, given a request context, variables)?"""
    if pattern == "*" and wildcards:
        return True
    if not has_variables(pattern) or context is None:
        if not wildcards:
            return pattern.lower() == value.lower() if ignore_case else pattern == value
        return _fixed(pattern, wildcards, ignore_case).fullmatch(value) is not None
    expression = _translate(pattern, context, wildcards)
    if expression is None:
        return False
    return _compiled(expression, ignore_case).fullmatch(value) is not None


def expand(pattern: str, context: Context | None) -> str | None:
    """The pattern with its variables replaced (wildcards kept), or None when one is absent; with no
    context (a 2008-10-17 policy) variables are literal text."""
    if context is None or not has_variables(pattern):
        return pattern
    out: list[str] = []
    position = 0
    for token in re.finditer(r"\$\{([^}]*)\}", pattern):
        out.append(pattern[position:token.start()])
        value = _variable_value(token.group(1), context)
        if value is None:
            return None
        out.append(value)
        position = token.end()
    out.append(pattern[position:])
    return "".join(out)


def action_matches(pattern: str, action: str) -> bool:
    """Actions are ``service:Name``; matching is case-insensitive with wildcards, no variables."""
    if pattern == "*":
        return True
    return _fixed(pattern, True, True).fullmatch(action) is not None


def arn_matches(pattern: str, arn: str, context: Context | None = None) -> bool:
    """ARN patterns match component by component: the first five colon-separated parts separately
    (a wildcard never spans a colon there), the resource part as a whole (it may hold colons)."""
    if pattern == "*":
        return True
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) < len(arn_parts):
        # Fewer components: only a trailing "*" component ("arn:*", "arn:aws:s3:*") takes the rest.
        if pattern_parts[-1] != "*":
            return False
        arn_parts = [*arn_parts[:len(pattern_parts) - 1], "*"]
    if len(pattern_parts) != len(arn_parts):
        return False
    return all(matches(p, a, context) for p, a in zip(pattern_parts, arn_parts, strict=True))
