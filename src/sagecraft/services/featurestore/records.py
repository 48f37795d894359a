"""Records against a feature group's definitions: validation with SageMaker's messages, event times."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagecraft.core.errors import ValidationException

INTEGRAL = re.compile(r"^[+-]?\d+$")
ISO_EVENT_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?Z$")
INT64 = (-(2**63), 2**63 - 1)
MAX_EVENT_TIME = 253402300799.999  # 9999-12-31T23:59:59.999Z


@dataclass
class ValidRecord:
    """A record that passed validation: its identifier, its event time as epoch seconds, and the
    feature values as sent (strings, or string lists for collections)."""

    record_id: str
    event_time: float
    values: dict[str, Any]


def parse_event_time(text: str, feature_type: str, name: str) -> float:
    if feature_type == "Fractional":
        try:
            value = float(text)
        except ValueError:
            raise _invalid_event_time(name, text) from None
        if not math.isfinite(value) or not 0 <= value <= MAX_EVENT_TIME:
            raise _invalid_event_time(name, text)
        return value
    match = ISO_EVENT_TIME.match(text)
    if match is None:
        raise _invalid_event_time(name, text)
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:
        moment = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.timezone.utc)
    except ValueError:
        raise _invalid_event_time(name, text) from None
    fraction = float(match.group(7)) if match.group(7) else 0.0
    return moment.timestamp() + fraction


def _invalid_event_time(name: str, value: str) -> ValidationException:
    return ValidationException(
        f"Invalid value '{value}' for the event time feature '{name}': it must be a fractional number of seconds "
        "since the epoch or an ISO-8601 string in the format yyyy-MM-dd'T'HH:mm:ssZ or yyyy-MM-dd'T'HH:mm:ss.SSSZ, "
        "between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z."
    )


def check_scalar(name: str, feature_type: str, text: Any) -> None:
    if not isinstance(text, str):
        raise ValidationException(f"Feature '{name}' must be given as a string value.")
    if feature_type == "Integral":
        if not INTEGRAL.match(text) or not INT64[0] <= int(text) <= INT64[1]:
            raise ValidationException(
                f"Invalid value '{text}' for feature '{name}' of type Integral: it must be a 64-bit integer."
            )
    elif feature_type == "Fractional":
        try:
            float(text)
        except ValueError:
            raise ValidationException(
                f"Invalid value '{text}' for feature '{name}' of type Fractional: it must be "
                "a 64-bit floating point number."
            ) from None


def _check_feature(definition: Mapping[str, Any], entry: Mapping[str, Any]) -> Any:
    name, feature_type = definition["FeatureName"], definition["FeatureType"]
    collection = definition.get("CollectionType")
    scalar, listed = entry.get("ValueAsString"), entry.get("ValueAsStringList")
    if (scalar is None) == (listed is None):
        raise ValidationException(f"Feature '{name}' must have exactly one of ValueAsString and ValueAsStringList.")
    if collection is None:
        if listed is not None:
            raise ValidationException(f"Feature '{name}' is not a collection: use ValueAsString.")
        check_scalar(name, feature_type, scalar)
        return scalar
    if scalar is not None:
        raise ValidationException(f"Feature '{name}' is a {collection} collection: use ValueAsStringList.")
    for item in listed:
        check_scalar(name, feature_type, item)
    if collection == "Set" and len(set(listed)) != len(listed):
        raise ValidationException(f"Feature '{name}' is a Set: its values must be unique.")
    if collection == "Vector":
        dimension = definition["CollectionConfig"]["VectorConfig"]["Dimension"]
        if len(listed) != dimension:
            raise ValidationException(
                f"Feature '{name}' is a Vector of dimension {dimension}: got {len(listed)} values."
            )
    return list(listed)


def validate(
    definitions: Mapping[str, Mapping[str, Any]],
    record_id_name: str,
    event_time_name: str,
    record: list[Mapping[str, Any]],
) -> ValidRecord:
    """The record checked feature by feature; raises before anything is stored."""
    values: dict[str, Any] = {}
    unknown = []
    for entry in record:
        name = entry.get("FeatureName")
        definition = definitions.get(name)
        if definition is None:
            unknown.append(name)
            continue
        if name in values:
            raise ValidationException(f"Feature '{name}' appears more than once in the record.")
        values[name] = _check_feature(definition, entry)
    if unknown:
        raise ValidationException(
            f"The following feature(s) are not defined in the feature group: {', '.join(map(str, unknown))}."
        )
    if record_id_name not in values:
        raise ValidationException(f"The record is missing the record identifier feature '{record_id_name}'.")
    if event_time_name not in values:
        raise ValidationException(f"The record is missing the event time feature '{event_time_name}'.")
    event_type = definitions[event_time_name]["FeatureType"]
    event_time = parse_event_time(values[event_time_name], event_type, event_time_name)
    return ValidRecord(values[record_id_name], event_time, values)


def to_wire(values: Mapping[str, Any], names: list[str] | None = None) -> list[dict[str, Any]]:
    chosen = values if names is None else {n: values[n] for n in names if n in values}
    return [
        {"FeatureName": n, "ValueAsStringList": list(v)}
        if isinstance(v, list)
        else {"FeatureName": n, "ValueAsString": v}
        for n, v in chosen.items()
    ]
