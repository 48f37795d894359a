"""Records through the feature store runtime: validation (each invalid record → its error, nothing
changed), newest event wins, soft and hard delete, TTL expiry, batch get / write, list."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.api.featurestore.support import as_dict, create_group, record, unique


@pytest.fixture(scope="module")
def group(sm) -> str:
    name = unique("records")
    create_group(sm, name)
    return name


def _error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def _get(featurestore, group: str, record_id: str, **kwargs) -> dict | None:
    found = featurestore.get_record(FeatureGroupName=group, RecordIdentifierValueAsString=record_id, **kwargs)
    return as_dict(found["Record"]) if "Record" in found else None


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"id": "v", "et": "1", "n": "1.5"}, "type Integral"),
        ({"id": "v", "et": "1", "x": "abc"}, "type Fractional"),
        ({"id": "v", "et": "1", "unknown": "1"}, "not defined in the feature group: unknown"),
        ({"et": "1", "n": "1"}, "missing the record identifier feature 'id'"),
        ({"id": "v", "n": "1"}, "missing the event time feature 'et'"),
        ({"id": "v", "et": "-5"}, "event time feature 'et'"),
    ],
)
def test_invalid_records_are_refused_and_change_nothing(featurestore, group, values, needle):
    featurestore.put_record(FeatureGroupName=group, Record=record(id="v", et="100", n="1"))
    code, message = _error(featurestore.put_record, FeatureGroupName=group, Record=record(**values))
    assert code == "ValidationError" and needle in message
    assert _get(featurestore, group, "v") == {"id": "v", "et": "100", "n": "1"}


def test_iso_event_times_are_validated(sm, featurestore):
    name = unique("iso")
    create_group(sm, name, event_type="String")
    for good in ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.678Z"):
        featurestore.put_record(FeatureGroupName=name, Record=record(id="a", et=good))
        assert _get(featurestore, name, "a")["et"] == good
    for bad in ("2024-01-02 03:04:05", "2024-13-02T03:04:05Z", "1700000000"):
        code, message = _error(featurestore.put_record, FeatureGroupName=name, Record=record(id="a", et=bad))
        assert code == "ValidationError" and "yyyy-MM-dd'T'HH:mm:ssZ" in message
    assert _get(featurestore, name, "a")["et"] == "2024-01-02T03:04:05.678Z"


def test_missing_group_is_resource_not_found(featurestore):
    code, _ = _error(featurestore.put_record, FeatureGroupName=unique("nope"), Record=record(id="a", et="1"))
    assert code == "ResourceNotFound"
    code, _ = _error(featurestore.get_record, FeatureGroupName=unique("nope"), RecordIdentifierValueAsString="a")
    assert code == "ResourceNotFound"


def test_newest_event_wins_and_equal_event_time_latest_write_wins(featurestore, group):
    featurestore.put_record(FeatureGroupName=group, Record=record(id="w", et="200", s="new"))
    featurestore.put_record(FeatureGroupName=group, Record=record(id="w", et="100", s="old"))
    assert _get(featurestore, group, "w") == {"id": "w", "et": "200", "s": "new"}
    featurestore.put_record(FeatureGroupName=group, Record=record(id="w", et="200", s="again", n="3"))
    assert _get(featurestore, group, "w") == {"id": "w", "et": "200", "s": "again", "n": "3"}
    assert _get(featurestore, group, "w", FeatureNames=["s"]) == {"s": "again"}
    assert featurestore.get_record(FeatureGroupName=group, RecordIdentifierValueAsString="absent").get("Record") is None


def test_soft_and_hard_delete(featurestore, group):
    featurestore.put_record(FeatureGroupName=group, Record=record(id="d", et="50", s="x"))
    featurestore.delete_record(FeatureGroupName=group, RecordIdentifierValueAsString="d", EventTime="40")
    assert _get(featurestore, group, "d") == {"id": "d", "et": "50", "s": "x"}  # an older delete is ignored
    featurestore.delete_record(FeatureGroupName=group, RecordIdentifierValueAsString="d", EventTime="60")
    assert _get(featurestore, group, "d") is None
    featurestore.put_record(FeatureGroupName=group, Record=record(id="d", et="55", s="stale"))
    assert _get(featurestore, group, "d") is None  # the soft delete's tombstone keeps older events out
    listed = featurestore.list_records(FeatureGroupName=group, IncludeSoftDeletedRecords=True)["RecordIdentifiers"]
    assert "d" in listed
    assert "d" not in featurestore.list_records(FeatureGroupName=group)["RecordIdentifiers"]
    featurestore.delete_record(
        FeatureGroupName=group, RecordIdentifierValueAsString="d", EventTime="70", DeletionMode="HardDelete"
    )
    assert (
        "d"
        not in featurestore.list_records(FeatureGroupName=group, IncludeSoftDeletedRecords=True)["RecordIdentifiers"]
    )
    featurestore.put_record(FeatureGroupName=group, Record=record(id="d", et="1", s="back"))
    assert _get(featurestore, group, "d") == {"id": "d", "et": "1", "s": "back"}


def test_ttl_expiry_and_expiration_response(sm, featurestore):
    name = unique("ttl")
    create_group(sm, name, online={"EnableOnlineStore": True, "TtlDuration": {"Unit": "Weeks", "Value": 1}})
    now = time.time()
    featurestore.put_record(FeatureGroupName=name, Record=record(id="live", et=f"{now:.3f}"))
    featurestore.put_record(FeatureGroupName=name, Record=record(id="old", et=f"{now - 8 * 86400:.3f}"))
    featurestore.put_record(
        FeatureGroupName=name, Record=record(id="short", et=f"{now:.3f}"), TtlDuration={"Unit": "Seconds", "Value": 1}
    )
    found = featurestore.get_record(
        FeatureGroupName=name, RecordIdentifierValueAsString="live", ExpirationTimeResponse="Enabled"
    )
    assert found["ExpiresAt"].endswith("Z") and found["ExpiresAt"].startswith(
        time.strftime("%Y-%m-%d", time.gmtime(now + 7 * 86400))
    )
    assert _get(featurestore, name, "old") is None
    for _ in range(100):
        if _get(featurestore, name, "short") is None:
            break
        time.sleep(0.05)
    assert _get(featurestore, name, "short") is None


def test_batch_get_over_groups_with_errors(sm, featurestore, group):
    other = unique("other")
    create_group(sm, other)
    featurestore.put_record(FeatureGroupName=group, Record=record(id="b1", et="1", n="1"))
    featurestore.put_record(FeatureGroupName=other, Record=record(id="b2", et="1", n="2"))
    missing = unique("missing")
    found = featurestore.batch_get_record(
        Identifiers=[
            {"FeatureGroupName": group, "RecordIdentifiersValueAsString": ["b1", "zz"]},
            {"FeatureGroupName": other, "RecordIdentifiersValueAsString": ["b2"], "FeatureNames": ["n"]},
            {"FeatureGroupName": missing, "RecordIdentifiersValueAsString": ["q"]},
        ]
    )
    assert [
        (r["FeatureGroupName"], r["RecordIdentifierValueAsString"], as_dict(r["Record"])) for r in found["Records"]
    ] == [(group, "b1", {"id": "b1", "et": "1", "n": "1"}), (other, "b2", {"n": "2"})]
    assert [(e["FeatureGroupName"], e["RecordIdentifierValueAsString"], e["ErrorCode"]) for e in found["Errors"]] == [
        (missing, "q", "ResourceNotFound")
    ]
    assert found["UnprocessedIdentifiers"] == []
    code, _ = _error(
        featurestore.batch_get_record,
        Identifiers=[{"FeatureGroupName": group, "RecordIdentifiersValueAsString": [str(i) for i in range(101)]}],
    )
    assert code == "ValidationError"


def test_batch_write_reports_each_bad_entry(featurestore, group):
    done = featurestore.batch_write_record(
        Entries=[
            {"FeatureGroupName": group, "Record": record(id="bw1", et="5")},
            {"FeatureGroupName": group, "Record": record(id="bw2", et="5", n="x")},
        ]
    )
    assert [e["ErrorCode"] for e in done["Errors"]] == ["ValidationError"]
    assert _get(featurestore, group, "bw1") == {"id": "bw1", "et": "5"}
    assert _get(featurestore, group, "bw2") is None


def test_target_stores_must_be_enabled(featurestore, group):
    code, message = _error(
        featurestore.put_record, FeatureGroupName=group, Record=record(id="t", et="1"), TargetStores=["OfflineStore"]
    )
    assert code == "ValidationError" and "OfflineStore is not enabled" in message
    assert _get(featurestore, group, "t") is None
