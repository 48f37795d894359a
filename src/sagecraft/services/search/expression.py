"""Evaluating a Search request's ``SearchExpression`` and ``SortBy`` on plain records (dicts).

Property names are dotted paths into the record (``InferenceSpecification.Containers.Image``);
lists on the way are searched element-wise (a filter matches when any element does). ``Tags.<key>``
reads a tag's value; ``CustomerMetadataProperties.<key>`` and other maps read their keys directly.
Values come as strings: a comparison with a number or a time converts the filter value first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sagecraft.core.errors import ValidationException

OPERATORS = ("Equals", "NotEquals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo",
             "Contains", "Exists", "NotExists", "In")
_MISSING = object()


def values_at(record: Any, path: str) -> Iterator[Any]:
    """Every value found at a dotted path (lists fan out)."""
    yield from _walk(record, path.split("."))


def _walk(node: Any, parts: list[str]) -> Iterator[Any]:
    if isinstance(node, list):
        if parts and node and all(isinstance(item, dict) and set(item) == {"Key", "Value"} for item in node):
            # A tag list: Tags.<key> reads the value of that key.
            for item in node:
                if item["Key"] == parts[0]:
                    yield from _walk(item["Value"], parts[1:])
            return
        for item in node:
            yield from _walk(item, parts)
        return
    if not parts:
        yield node
        return
    if isinstance(node, dict) and parts[0] in node:
        yield from _walk(node[parts[0]], parts[1:])


def _coerce(value: str, like: Any) -> Any:
    try:
        if isinstance(like, bool):
            return value.lower() == "true"
        if isinstance(like, (int, float)):
            return float(value)
        if isinstance(like, dt.datetime):
            try:
                parsed = dt.datetime.fromtimestamp(float(value), dt.timezone.utc)
            except ValueError:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise ValidationException(f"The filter value '{value}' cannot be compared with '{like}'.") from None
    return value


def _compare(found: Any, operator: str, value: str) -> bool:
    if operator == "In":
        return str(found) in [v.strip() for v in value.split(",")]
    if operator == "Contains":
        return isinstance(found, str) and value.lower() in found.lower()
    target = _coerce(value, found)
    if isinstance(found, (int, float)) and not isinstance(found, bool):
        found = float(found)
    elif not isinstance(found, dt.datetime):
        found = str(found) if not isinstance(found, bool) else found
    try:
        return {
            "Equals": lambda: found == target, "NotEquals": lambda: found != target,
            "GreaterThan": lambda: found > target, "GreaterThanOrEqualTo": lambda: found >= target,
            "LessThan": lambda: found < target, "LessThanOrEqualTo": lambda: found <= target,
        }[operator]()
    except TypeError:
        return False


def filter_matches(record: dict, search_filter: dict) -> bool:
    name, operator = search_filter["Name"], search_filter.get("Operator") or "Equals"
    if operator not in OPERATORS:
        raise ValidationException(f"Value '{operator}' at 'operator' failed to satisfy constraint: Member must "
                                  f"satisfy enum value set: [{', '.join(OPERATORS)}]")
    found = list(values_at(record, name))
    if operator == "Exists":
        return bool(found)
    if operator == "NotExists":
        return not found
    value = search_filter.get("Value")
    if value is None:
        raise ValidationException(f"The filter on {name} with operator {operator} needs a Value.")
    if operator == "NotEquals":
        return all(_compare(f, "NotEquals", value) for f in found)
    return any(_compare(f, operator, value) for f in found)


def expression_matches(record: dict, expression: dict | None) -> bool:
    """Filters, NestedFilters and SubExpressions joined by the expression's Operator (And by default)."""
    if not expression:
        return True
    checks: list[bool] = [filter_matches(record, f) for f in expression.get("Filters") or []]
    for nested in expression.get("NestedFilters") or []:
        items = list(values_at(record, nested["NestedPropertyName"]))
        checks.append(any(all(filter_matches(item, f) for f in nested["Filters"]) for item in items
                          if isinstance(item, dict)))
    checks += [expression_matches(record, sub) for sub in expression.get("SubExpressions") or []]
    if not checks:
        return True
    return any(checks) if (expression.get("Operator") or "And") == "Or" else all(checks)


def sort_key(record: dict, path: str) -> tuple:
    """Records without the property sort last (ascending)."""
    found = next(values_at(record, path), _MISSING)
    if found is _MISSING or found is None:
        return (1, "")
    if isinstance(found, dt.datetime):
        return (0, found.timestamp())
    if isinstance(found, (int, float)) and not isinstance(found, bool):
        return (0, float(found))
    return (0, str(found))
