"""CloudWatch Logs filter patterns for unstructured events.

Supported: terms (``ERROR``; several must all appear), quoted phrases (``"Connection refused"``),
optional terms (``?ERROR ?WARN``: at least one must appear), exclusions (``ERROR -Retrying``)
and regular expressions between percent signs (``%[0-9]{3}%``). Matching is case-sensitive,
as in CloudWatch. JSON (``{ $.x = 1 }``) and space-delimited (``[ip, user, ...]``) patterns are
refused with a clear error until someone needs them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sagecraft.services.logs.errors import InvalidParameterException

Matcher = Callable[[str], bool]


@dataclass
class FilterPattern:
    required: list[Matcher] = field(default_factory=list)
    optional: list[Matcher] = field(default_factory=list)
    excluded: list[Matcher] = field(default_factory=list)

    def matches(self, message: str) -> bool:
        if not all(term(message) for term in self.required):
            return False
        if self.optional and not any(term(message) for term in self.optional):
            return False
        return not any(term(message) for term in self.excluded)

    @property
    def matches_everything(self) -> bool:
        return not (self.required or self.optional or self.excluded)


def parse(pattern: str | None) -> FilterPattern:
    text = (pattern or "").strip()
    parsed = FilterPattern()
    if not text:
        return parsed
    if text[0] in "{[":
        kind = "JSON" if text[0] == "{" else "space-delimited"
        raise InvalidParameterException(
            f"Sagecraft does not support {kind} filter patterns yet; use terms, quoted phrases, "
            "?optional and -excluded terms, or %regular expressions%.")
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        bucket = parsed.required
        if text[index] in "?-" and index + 1 < len(text) and not text[index + 1].isspace():
            bucket = parsed.optional if text[index] == "?" else parsed.excluded
            index += 1
        matcher, index = _term(text, index)
        bucket.append(matcher)
    return parsed


def _term(text: str, index: int) -> tuple[Matcher, int]:
    if text[index] == '"':
        phrase, index = _quoted(text, index + 1)
        return _contains(phrase), index
    closing = text.find("%", index + 1) if text[index] == "%" else -1
    if closing > index + 1:  # %regular expression% (may contain spaces)
        try:
            regex = re.compile(text[index + 1:closing])
        except re.error as error:
            raise InvalidParameterException(f"Invalid regular expression in filter pattern: {error}.") from None
        return (lambda message: regex.search(message) is not None), closing + 1
    end = index
    while end < len(text) and not text[end].isspace():
        end += 1
    return _contains(text[index:end]), end


def _quoted(text: str, index: int) -> tuple[str, int]:
    out: list[str] = []
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(out), index + 1
        out.append(char)
        index += 1
    raise InvalidParameterException("Invalid filter pattern: unterminated quoted term.")


def _contains(needle: str) -> Matcher:
    return lambda message: needle in message
