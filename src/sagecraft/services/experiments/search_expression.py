"""Search's SearchExpression over the experiments' records, with SageMaker's paths for them.

A property name is a dotted path into the record; lists fan out (``Parents.TrialName`` matches if
any parent's does). The keyed lists and maps are looked up by key: ``Tags.<key>`` is the tag's
value, ``Metrics.<name>.<stat>`` a metric summary's statistic, ``Parameters.<name>`` the
parameter's number or string, ``InputArtifacts.<name>.Value`` an artifact's URI. A nested filter's
names start with its NestedPropertyName, and all its filters must hold for one same element."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from sagecraft.core.errors import ValidationException

KEYED_LISTS = {"Tags": "Key", "Metrics": "MetricName"}


def values_at(record: Any, path: str) -> list[Any]:
    """Every value the dotted path reaches in the record (several when it crosses a list)."""
    parts = path.split(".")
    current: list[Any] = [record]
    index = 0
    while index < len(parts):
        part, following, step = parts[index], [], 1
        for item in _flatten(current):
            if not isinstance(item, Mapping) or part not in item:
                continue
            value = item[part]
            if part in KEYED_LISTS and isinstance(value, list) and index + 1 < len(parts):
                key, wanted, step = KEYED_LISTS[part], parts[index + 1], 2  # the next part is the key
                following.extend(v.get("Value") if part == "Tags" else v for v in value if v.get(key) == wanted)
            else:
                following.append(value)
        current = following
        index += step
    return [_scalar(v) for v in _flatten(current) if v is not None]


def _flatten(items: list[Any]) -> Iterator[Any]:
    for item in items:
        if isinstance(item, list):
            yield from item
        else:
            yield item


def _scalar(value: Any) -> Any:
    """A parameter ({NumberValue} / {StringValue}) or artifact ({Value}) compares as its value."""
    if isinstance(value, Mapping):
        for key in ("NumberValue", "StringValue", "Value"):
            if key in value:
                return value[key]
    return value


def matches(record: Mapping[str, Any], expression: Mapping[str, Any] | None) -> bool:
    if not expression:
        return True
    outcomes = (
        [_filter(record, f) for f in expression.get("Filters") or []]
        + [_nested(record, n) for n in expression.get("NestedFilters") or []]
        + [matches(record, s) for s in expression.get("SubExpressions") or []]
    )
    if (expression.get("Operator") or "And") == "Or":
        return any(outcomes)
    return all(outcomes)


def _nested(record: Mapping[str, Any], nested: Mapping[str, Any]) -> bool:
    prefix = nested["NestedPropertyName"]
    elements: list[Any] = [record]
    for part in prefix.split("."):
        elements = [e[part] for e in _flatten(elements) if isinstance(e, Mapping) and part in e]
    filters = []
    for item in nested.get("Filters") or []:
        if not item["Name"].startswith(prefix + "."):
            raise ValidationException(f"The nested filter {item['Name']} must start with {prefix}.")
        filters.append({**item, "Name": item["Name"][len(prefix) + 1 :]})
    return any(all(_filter(e, f) for f in filters) for e in _flatten(elements) if isinstance(e, Mapping))


def _filter(record: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    operator = item.get("Operator") or "Equals"
    found = values_at(record, item["Name"])
    if operator == "Exists":
        return bool(found)
    if operator == "NotExists":
        return not found
    if item.get("Value") is None:
        raise ValidationException(f"The filter on {item['Name']} with operator {operator} needs a Value.")
    wanted = item["Value"]
    if operator == "NotEquals":
        return bool(found) and not any(_holds(v, "Equals", wanted) for v in found)
    return any(_holds(v, operator, wanted) for v in found)


def _holds(value: Any, operator: str, wanted: str) -> bool:
    if operator == "Contains":
        return isinstance(value, str) and wanted.lower() in value.lower()
    if operator == "In":
        return any(_holds(value, "Equals", option.strip()) for option in wanted.split(","))
    left, right = _comparable(value, wanted)
    if left is None:
        return False
    return {
        "Equals": left == right,
        "GreaterThan": left > right,
        "GreaterThanOrEqualTo": left >= right,
        "LessThan": left < right,
        "LessThanOrEqualTo": left <= right,
    }[operator]


def _comparable(value: Any, wanted: str) -> tuple[Any, Any]:
    """Both sides in the record value's type: numbers as numbers, times as times, else text."""
    try:
        if isinstance(value, bool):
            return value, wanted.lower() == "true"
        if isinstance(value, (int, float)):
            return float(value), float(wanted)
        if isinstance(value, dt.datetime):
            return value, _time(wanted)
    except ValueError:
        raise ValidationException(f"The filter value '{wanted}' cannot be compared with '{value}'.") from None
    return str(value), wanted


def _time(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(float(text), dt.timezone.utc)
    except ValueError:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def sort_key(record: Mapping[str, Any], path: str) -> tuple[int, float, str]:
    """Records without the property sort after those with it."""
    found = values_at(record, path)
    if not found:
        return (2, 0.0, "")
    value = found[0]
    if isinstance(value, dt.datetime):
        return (0, value.timestamp(), "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))
