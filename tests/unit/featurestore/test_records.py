"""Record validation and event times, without a server."""

from __future__ import annotations

import pytest

from sagecraft.core.errors import ValidationException
from sagecraft.services.featurestore.records import parse_event_time, to_wire, validate

DEFINITIONS = {
    "id": {"FeatureName": "id", "FeatureType": "Integral"},
    "et": {"FeatureName": "et", "FeatureType": "String"},
    "tags": {"FeatureName": "tags", "FeatureType": "String", "CollectionType": "Set"},
    "emb": {
        "FeatureName": "emb",
        "FeatureType": "Fractional",
        "CollectionType": "Vector",
        "CollectionConfig": {"VectorConfig": {"Dimension": 2}},
    },
}


def _record(**values):
    return [
        {"FeatureName": k, "ValueAsStringList" if isinstance(v, list) else "ValueAsString": v}
        for k, v in values.items()
    ]


def test_event_times_in_both_formats():
    assert parse_event_time("1970-01-01T00:01:00Z", "String", "et") == 60.0
    assert parse_event_time("1970-01-01T00:01:00.250Z", "String", "et") == 60.25
    assert parse_event_time("12.5", "Fractional", "et") == 12.5
    for bad, kind in (
        ("1970-01-01T00:01:00", "String"),
        ("1970-02-30T00:00:00Z", "String"),
        ("nan", "Fractional"),
        ("-1", "Fractional"),
        ("1e300", "Fractional"),
    ):
        with pytest.raises(ValidationException):
            parse_event_time(bad, kind, "et")


def test_a_valid_record_with_collections():
    valid = validate(
        DEFINITIONS, "id", "et", _record(id="7", et="2024-01-01T00:00:00Z", tags=["a", "b"], emb=["0.5", "1"])
    )
    assert valid.record_id == "7" and valid.values["tags"] == ["a", "b"]
    assert to_wire(valid.values, ["tags", "id"]) == [
        {"FeatureName": "tags", "ValueAsStringList": ["a", "b"]},
        {"FeatureName": "id", "ValueAsString": "7"},
    ]


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"id": "7.0", "et": "2024-01-01T00:00:00Z"}, "Integral"),
        ({"id": "99999999999999999999", "et": "2024-01-01T00:00:00Z"}, "64-bit integer"),
        ({"id": "7", "et": "2024-01-01T00:00:00Z", "tags": ["a", "a"]}, "unique"),
        ({"id": "7", "et": "2024-01-01T00:00:00Z", "emb": ["1"]}, "dimension 2"),
        ({"id": "7", "et": "2024-01-01T00:00:00Z", "tags": "a"}, "ValueAsStringList"),
        ({"id": ["7"], "et": "2024-01-01T00:00:00Z"}, "ValueAsString"),
        ({"id": "7", "et": "2024-01-01T00:00:00Z", "other": "1"}, "not defined"),
    ],
)
def test_invalid_records(values, needle):
    with pytest.raises(ValidationException) as caught:
        validate(DEFINITIONS, "id", "et", _record(**values))
    assert needle in caught.value.message
