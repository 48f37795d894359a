"""The Condition element, as AWS's condition operators reference describes it.

A statement's conditions are ANDed: every operator, every key under it. The values listed for one key
are ORed for positive operators and ANDed for negated ones (``StringNotEquals`` with two values means
"neither"). A key absent from the request makes a positive operator false and a negated one true;
``…IfExists`` makes an absent key true; ``Null`` tests presence. ``ForAnyValue:`` / ``ForAllValues:``
apply the operator to each value of a multi-valued key (an absent or empty key: ForAllValues is true,
ForAnyValue false)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from sagecraft.security.policy.patterns import Context, arn_matches, expand, matches


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(float(text), dt.timezone.utc)
    except ValueError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _compare(parse: Callable[[str], object], test: Callable[[object, object], bool]):
    def compare(request_value: str, policy_value: str, _variables: Context | None) -> bool:
        left, right = parse(request_value), parse(policy_value)
        return left is not None and right is not None and test(left, right)

    return compare


def _ip(request_value: str, policy_value: str, _variables: Context | None) -> bool:
    try:
        return ipaddress.ip_address(request_value) in ipaddress.ip_network(policy_value, strict=False)
    except ValueError:
        return False


def _binary(request_value: str, policy_value: str, _variables: Context | None) -> bool:
    try:
        return base64.b64decode(request_value, validate=True) == base64.b64decode(policy_value, validate=True)
    except (binascii.Error, ValueError):
        return False


def _string_equals(request_value: str, policy_value: str, variables: Context | None) -> bool:
    return request_value == expand(policy_value, variables)


def _string_equals_ignore_case(request_value: str, policy_value: str, variables: Context | None) -> bool:
    expanded = expand(policy_value, variables)
    return expanded is not None and request_value.lower() == expanded.lower()


def _string_like(request_value: str, policy_value: str, variables: Context | None) -> bool:
    return matches(policy_value, request_value, variables)


def _arn(request_value: str, policy_value: str, variables: Context | None) -> bool:
    return arn_matches(policy_value, request_value, variables)


def _bool(request_value: str, policy_value: str, _variables: Context | None) -> bool:
    return request_value.lower() == policy_value.lower()


_lt, _le = (lambda a, b: a < b), (lambda a, b: a <= b)
_gt, _ge = (lambda a, b: a > b), (lambda a, b: a >= b)
_eq = lambda a, b: a == b  # noqa: E731

# Positive base operators → how one request value compares with one policy value; the negated
# operators are listed in _NEGATIONS.
_COMPARATORS: dict[str, Callable[[str, str, Context | None], bool]] = {
    "stringequals": _string_equals,
    "stringequalsignorecase": _string_equals_ignore_case,
    "stringlike": _string_like,
    "numericequals": _compare(_number, _eq),
    "numericlessthan": _compare(_number, _lt),
    "numericlessthanequals": _compare(_number, _le),
    "numericgreaterthan": _compare(_number, _gt),
    "numericgreaterthanequals": _compare(_number, _ge),
    "dateequals": _compare(_date, _eq),
    "datelessthan": _compare(_date, _lt),
    "datelessthanequals": _compare(_date, _le),
    "dategreaterthan": _compare(_date, _gt),
    "dategreaterthanequals": _compare(_date, _ge),
    "bool": _bool,
    "binaryequals": _binary,
    "ipaddress": _ip,
    "arnequals": _arn,
    "arnlike": _arn,
}
_NEGATIONS = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}


@dataclass(frozen=True)
class Operator:
    name: str  # as written in the policy
    base: str  # lower-cased positive operator, or "null"
    negated: bool
    if_exists: bool
    qualifier: str | None  # "forallvalues" | "foranyvalue" | None


@dataclass(frozen=True)
class Condition:
    operator: Operator
    key: str  # lower-cased: condition keys are case-insensitive
    values: tuple[str, ...]


def parse_operator(name: str) -> Operator | None:
    """The operator for a Condition element name, or None when IAM would reject it."""
    rest = name.lower()
    qualifier = None
    for prefix in ("forallvalues:", "foranyvalue:"):
        if rest.startswith(prefix):
            qualifier, rest = prefix[:-1], rest[len(prefix):]
    if_exists = rest.endswith("ifexists") and rest != "ifexists"
    if if_exists:
        rest = rest[: -len("ifexists")]
    if rest == "null":
        return None if if_exists or qualifier else Operator(name, "null", False, False, None)
    if rest in _NEGATIONS:
        return Operator(name, _NEGATIONS[rest], True, if_exists, qualifier)
    if rest in _COMPARATORS:
        return Operator(name, rest, False, if_exists, qualifier)
    return None


def _one_value_matches(condition: Condition, request_value: str, variables: Context | None) -> bool:
    compare = _COMPARATORS[condition.operator.base]
    hit = any(compare(request_value, policy_value, variables) for policy_value in condition.values)
    return not hit if condition.operator.negated else hit


def condition_holds(condition: Condition, context: Context, variables: Context | None) -> bool:
    """``context`` holds the request's keys; ``variables`` is the same context when the policy's
    version expands ${…} variables, else None."""
    operator = condition.operator
    present = context.get(condition.key)
    if operator.base == "null":
        expected = "true" if not present else "false"  # Null: true = the key is absent
        return any(value.lower() == expected for value in condition.values)
    if operator.qualifier == "forallvalues":
        if not present:
            return True
        return all(_one_value_matches(condition, value, variables) for value in present)
    if operator.qualifier == "foranyvalue":
        if not present:
            return operator.if_exists
        return any(_one_value_matches(condition, value, variables) for value in present)
    if not present:
        return operator.if_exists or operator.negated
    if operator.negated:  # no request value may match any policy value
        return all(_one_value_matches(condition, value, variables) for value in present)
    return any(_one_value_matches(condition, value, variables) for value in present)


def conditions_hold(conditions: tuple[Condition, ...], context: Context, variables: Context | None) -> bool:
    return all(condition_holds(condition, context, variables) for condition in conditions)
