from __future__ import annotations

import pytest

from sagecraft.services.logs.errors import InvalidParameterException
from sagecraft.services.logs.filter_pattern import parse


def matching(pattern: str, messages: list[str]) -> list[str]:
    parsed = parse(pattern)
    return [m for m in messages if parsed.matches(m)]


MESSAGES = [
    "INFO starting training",
    "ERROR Connection refused by host",
    "ERROR retrying connection",
    "WARN disk almost full",
    "error lower case",
    'said "hello" twice',
]


@pytest.mark.parametrize("pattern", ["", "   ", None])
def test_an_empty_pattern_matches_everything(pattern):
    assert parse(pattern).matches_everything
    assert matching(pattern or "", MESSAGES) == MESSAGES


def test_terms_are_case_sensitive_and_all_required():
    assert matching("ERROR", MESSAGES) == MESSAGES[1:3]
    assert matching("ERROR host", MESSAGES) == [MESSAGES[1]]


def test_quoted_phrases_match_verbatim():
    assert matching('"Connection refused"', MESSAGES) == [MESSAGES[1]]
    assert matching('"refused Connection"', MESSAGES) == []
    assert matching(r'"said \"hello\""', MESSAGES) == [MESSAGES[5]]


def test_optional_and_excluded_terms():
    assert matching("?WARN ?INFO", MESSAGES) == [MESSAGES[0], MESSAGES[3]]
    assert matching("ERROR -retrying", MESSAGES) == [MESSAGES[1]]
    assert matching('ERROR -"Connection refused"', MESSAGES) == [MESSAGES[2]]


def test_regular_expressions_between_percent_signs():
    assert matching("%^(ERROR|WARN) %", MESSAGES) == MESSAGES[1:4]


@pytest.mark.parametrize("pattern", ['{ $.level = "error" }', "[ip, user, status]", '"unterminated', "%(%"])
def test_unsupported_or_malformed_patterns_are_refused(pattern):
    with pytest.raises(InvalidParameterException):
        parse(pattern)
