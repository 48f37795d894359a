"""The CloudWatch Logs service against the metadata store, on every backend."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from sagecraft.services.logs import service as service_module
from sagecraft.services.logs.errors import (
    InvalidParameterException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from sagecraft.services.logs.models import LogScope
from sagecraft.services.logs.service import DAY_MS, HOUR_MS, LogsService
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.metadata.schema import log_events
from tests.support.postgres import BACKENDS, database_url

NOW = 1_800_000_000_000
SCOPE = LogScope("000000000000", "us-east-1")
GROUP = "/aws/sagemaker/TrainingJobs"


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        store = MetadataStore.open(url)
        yield store
        store.close()


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def logs(store, clock):
    return LogsService(store, clock=clock)


def stream_with(logs: LogsService, stream: str, count: int, *, start: int = NOW - 1000) -> None:
    if not logs.list_groups(SCOPE, prefix=GROUP)[0]:
        logs.create_group(SCOPE, GROUP)
    logs.create_stream(SCOPE, GROUP, stream)
    logs.put_events(SCOPE, GROUP, stream, [(start + i, f"line {i}") for i in range(count)])


def messages(page) -> list[str]:
    return [e.message for e in page.events]


# --- groups and streams -------------------------------------------------------------------------

def test_groups_and_streams_exist_once(logs):
    logs.create_group(SCOPE, GROUP)
    with pytest.raises(ResourceAlreadyExistsException):
        logs.create_group(SCOPE, GROUP)
    logs.create_stream(SCOPE, GROUP, "job/algo-1")
    with pytest.raises(ResourceAlreadyExistsException):
        logs.create_stream(SCOPE, GROUP, "job/algo-1")
    with pytest.raises(ResourceNotFoundException, match="log group does not exist"):
        logs.create_stream(SCOPE, "/missing", "s")
    with pytest.raises(ResourceNotFoundException, match="log stream does not exist"):
        logs.delete_stream(SCOPE, GROUP, "job/missing")
    logs.delete_stream(SCOPE, GROUP, "job/algo-1")
    logs.delete_group(SCOPE, GROUP)
    with pytest.raises(ResourceNotFoundException):
        logs.delete_group(SCOPE, GROUP)


def test_groups_belong_to_an_account_and_region(logs):
    logs.create_group(SCOPE, GROUP)
    elsewhere = LogScope("000000000000", "eu-west-1")
    logs.create_group(elsewhere, GROUP)  # no clash
    assert [g.name for g in logs.list_groups(elsewhere)[0]] == [GROUP]
    assert logs.list_groups(LogScope("111111111111", "us-east-1"))[0] == []


def test_deleting_a_group_deletes_its_events(logs, store):
    stream_with(logs, "job/algo-1", 3)
    logs.delete_group(SCOPE, GROUP)
    with store.read() as db:
        assert db.execute(select(func.count()).select_from(log_events)).scalar_one() == 0


def test_deletion_protection_blocks_deleting_the_group(logs):
    logs.create_group(SCOPE, GROUP, deletion_protection=True)
    with pytest.raises(InvalidParameterException, match="deletion protection"):
        logs.delete_group(SCOPE, GROUP)


def test_list_groups_pages_by_name_with_a_token_only_when_more_remain(logs):
    names = [f"/test/paging/{i:02d}" for i in range(5)] + ["/other/group"]
    for name in reversed(names):
        logs.create_group(SCOPE, name)
    seen, token = [], None
    pages = 0
    while True:
        groups, token = logs.list_groups(SCOPE, prefix="/test/paging/", limit=2, token=token)
        seen += [g.name for g in groups]
        pages += 1
        if token is None:
            break
    assert seen == names[:5] and pages == 3
    groups, token = logs.list_groups(SCOPE, prefix="/test/paging/", limit=5)
    assert len(groups) == 5 and token is None


def test_list_groups_pattern_is_a_case_insensitive_substring(logs):
    for name in ("/aws/sagemaker/TrainingJobs", "/aws/sagemaker/Endpoints/x", "/custom_group"):
        logs.create_group(SCOPE, name)
    assert [g.name for g in logs.list_groups(SCOPE, pattern="trainingjobs")[0]] == ["/aws/sagemaker/TrainingJobs"]
    assert [g.name for g in logs.list_groups(SCOPE, pattern="m_g")[0]] == ["/custom_group"]  # "_" is literal
    assert [g.name for g in logs.list_groups(SCOPE, prefix="/aws/sagemaker/T")[0]] == ["/aws/sagemaker/TrainingJobs"]
    assert logs.list_groups(SCOPE, prefix="/AWS")[0] == []  # prefixes are case-sensitive


def test_list_streams_like_the_sdk_asks_gets_no_token(logs):
    for i in (2, 1):
        stream_with(logs, f"job-a/algo-{i}-1700000000", 1)
    stream_with(logs, "job-ab/algo-1-1700000000", 1)
    streams, token = logs.list_streams(SCOPE, GROUP, prefix="job-a/", limit=2)
    assert [s.name for s in streams] == ["job-a/algo-1-1700000000", "job-a/algo-2-1700000000"]
    assert token is None
    streams, token = logs.list_streams(SCOPE, GROUP, prefix="job-a/", limit=1)
    assert token is not None
    rest, token = logs.list_streams(SCOPE, GROUP, prefix="job-a/", limit=1, token=token)
    assert [s.name for s in rest] == ["job-a/algo-2-1700000000"] and token is None


def test_list_streams_by_last_event_time(logs, clock):
    logs.create_group(SCOPE, GROUP)
    for name, ts in (("a", NOW - 10), ("b", NOW - 30), ("c", NOW - 20)):
        logs.create_stream(SCOPE, GROUP, name)
        logs.put_events(SCOPE, GROUP, name, [(ts, "x")])
    logs.create_stream(SCOPE, GROUP, "empty")
    streams, _ = logs.list_streams(SCOPE, GROUP, by_last_event=True)
    assert [s.name for s in streams] == ["empty", "b", "c", "a"]
    seen, token = [], None
    while True:
        streams, token = logs.list_streams(SCOPE, GROUP, by_last_event=True, descending=True, limit=1, token=token)
        seen += [s.name for s in streams]
        if token is None:
            break
    assert seen == ["a", "c", "b", "empty"]
    with pytest.raises(InvalidParameterException, match="LastEventTime"):
        logs.list_streams(SCOPE, GROUP, by_last_event=True, prefix="a")


def test_streams_report_their_event_statistics(logs):
    stream_with(logs, "s", 3, start=NOW - 500)
    (stream,), _ = logs.list_streams(SCOPE, GROUP)
    assert (stream.first_event_ms, stream.last_event_ms, stream.last_ingestion_ms) == (NOW - 500, NOW - 498, NOW)
    assert stream.stored_bytes == 3 * len("line 0") and stream.upload_sequence == 1
    (group,), _ = logs.list_groups(SCOPE)
    assert group.stored_bytes == stream.stored_bytes and type(group.stored_bytes) is int  # not a Decimal


# --- putting events -----------------------------------------------------------------------------

def test_put_events_rules(logs):
    stream_with(logs, "s", 0)
    with pytest.raises(InvalidParameterException, match="chronological"):
        logs.put_events(SCOPE, GROUP, "s", [(NOW, "b"), (NOW - 1, "a")])
    with pytest.raises(InvalidParameterException, match="24 hours"):
        logs.put_events(SCOPE, GROUP, "s", [(NOW - DAY_MS - 1, "a"), (NOW, "b")])
    with pytest.raises(ResourceNotFoundException, match="log stream"):
        logs.put_events(SCOPE, GROUP, "missing", [(NOW, "a")])
    first = logs.put_events(SCOPE, GROUP, "s", [(NOW, "a")])
    second = logs.put_events(SCOPE, GROUP, "s", [(NOW, "b")])
    assert int(second.next_sequence_token) == int(first.next_sequence_token) + 1


def test_too_old_and_too_new_events_are_reported_not_stored(logs):
    stream_with(logs, "s", 0)
    result = logs.put_events(SCOPE, GROUP, "s", [(NOW - 14 * DAY_MS - 1, "old"), (NOW - 14 * DAY_MS + 1, "kept")])
    assert (result.too_old_end, result.too_new_start, result.accepted) == (1, None, 1)
    result = logs.put_events(SCOPE, GROUP, "s", [(NOW, "kept"), (NOW + 2 * HOUR_MS + 1, "future")])
    assert (result.too_old_end, result.too_new_start, result.accepted) == (None, 1, 1)
    assert messages(logs.get_events(SCOPE, GROUP, "s", from_head=True)) == ["kept", "kept"]


def test_events_older_than_the_retention_are_expired(logs):
    stream_with(logs, "s", 0)
    logs.put_retention(SCOPE, GROUP, 1)
    result = logs.put_events(SCOPE, GROUP, "s", [(NOW - DAY_MS - 1, "expired"), (NOW - 1000, "kept")])
    assert (result.expired_end, result.too_old_end, result.accepted) == (1, None, 1)
    with pytest.raises(InvalidParameterException, match="retentionInDays"):
        logs.put_retention(SCOPE, GROUP, 2)


# --- reading events -----------------------------------------------------------------------------

def test_forward_paging_ends_with_the_token_it_was_given(logs):
    stream_with(logs, "s", 7)
    page = logs.get_events(SCOPE, GROUP, "s", from_head=True, limit=3)
    seen = messages(page)
    while page.events:
        token = page.forward_token
        page = logs.get_events(SCOPE, GROUP, "s", from_head=True, limit=3, token=token)
        seen += messages(page)
    assert seen == [f"line {i}" for i in range(7)]
    assert page.forward_token == token and page.backward_token
    # New events show up behind the same token: the SDK's tail keeps polling with it.
    logs.put_events(SCOPE, GROUP, "s", [(NOW, "late")])
    assert messages(logs.get_events(SCOPE, GROUP, "s", token=token)) == ["late"]


def test_without_a_token_the_newest_events_come_first_and_backward_tokens_page_back(logs):
    stream_with(logs, "s", 7)
    page = logs.get_events(SCOPE, GROUP, "s", limit=3)
    assert messages(page) == ["line 4", "line 5", "line 6"]
    page = logs.get_events(SCOPE, GROUP, "s", limit=3, token=page.backward_token)
    assert messages(page) == ["line 1", "line 2", "line 3"]
    page = logs.get_events(SCOPE, GROUP, "s", limit=3, token=page.backward_token)
    assert messages(page) == ["line 0"]
    end = logs.get_events(SCOPE, GROUP, "s", limit=3, token=page.backward_token)
    assert end.events == [] and end.backward_token == page.backward_token
    assert messages(logs.get_events(SCOPE, GROUP, "s", limit=2, token=end.forward_token)) == ["line 0", "line 1"]


def test_time_range_and_same_timestamp_order(logs):
    stream_with(logs, "s", 0)
    logs.put_events(SCOPE, GROUP, "s", [(NOW - 10, "a"), (NOW - 10, "b"), (NOW - 5, "c"), (NOW, "d")])
    page = logs.get_events(SCOPE, GROUP, "s", from_head=True, start_ms=NOW - 10, end_ms=NOW)
    assert messages(page) == ["a", "b", "c"]  # start inclusive, end exclusive, ingestion order for ties
    page = logs.get_events(SCOPE, GROUP, "s", from_head=True, start_ms=NOW - 10, limit=1)
    page = logs.get_events(SCOPE, GROUP, "s", start_ms=NOW - 10, token=page.forward_token, limit=1)
    assert messages(page) == ["b"]


def test_an_empty_stream_still_answers_both_tokens(logs):
    for from_head in (True, False):
        stream = f"empty-{from_head}"
        stream_with(logs, stream, 0)
        page = logs.get_events(SCOPE, GROUP, stream, from_head=from_head)
        assert page.events == [] and page.forward_token and page.backward_token
        logs.put_events(SCOPE, GROUP, stream, [(NOW - 1, "arrived")])
        assert messages(logs.get_events(SCOPE, GROUP, stream, token=page.forward_token)) == ["arrived"]


def test_pages_stop_at_a_megabyte(logs):
    stream_with(logs, "s", 0)
    big = "x" * 400_000
    logs.put_events(SCOPE, GROUP, "s", [(NOW, big), (NOW, big)])
    logs.put_events(SCOPE, GROUP, "s", [(NOW, big)])
    page = logs.get_events(SCOPE, GROUP, "s", from_head=True)
    assert len(page.events) == 2
    assert len(logs.get_events(SCOPE, GROUP, "s", token=page.forward_token).events) == 1


def test_missing_group_or_stream(logs):
    with pytest.raises(ResourceNotFoundException, match="log group"):
        logs.get_events(SCOPE, GROUP, "s")
    logs.create_group(SCOPE, GROUP)
    with pytest.raises(ResourceNotFoundException, match="log stream"):
        logs.get_events(SCOPE, GROUP, "s")
    with pytest.raises(ResourceNotFoundException, match="log group"):
        logs.filter_events(SCOPE, "/missing")


# --- filtering ----------------------------------------------------------------------------------

def test_filter_interleaves_streams_in_time_order_and_pages(logs):
    logs.create_group(SCOPE, GROUP)
    for stream, offset in (("job/algo-1", 0), ("job/algo-2", 1), ("other/algo-1", 2)):
        logs.create_stream(SCOPE, GROUP, stream)
        logs.put_events(SCOPE, GROUP, stream, [(NOW - 100 + 3 * i + offset, f"{stream} step {i}") for i in range(4)])
    everything = logs.filter_events(SCOPE, GROUP)
    assert len(everything.events) == 12 and everything.next_token is None
    assert [e.timestamp_ms for e in everything.events] == sorted(e.timestamp_ms for e in everything.events)
    seen, token = [], None
    while True:
        page = logs.filter_events(SCOPE, GROUP, stream_prefix="job/", pattern="step", limit=3, token=token)
        seen += [(e.stream_name, e.message) for e in page.events]
        token = page.next_token
        if token is None:
            break
    assert len(seen) == 8 and all(name.startswith("job/") for name, _ in seen)
    page = logs.filter_events(SCOPE, GROUP, stream_names=["other/algo-1"], pattern='"step 3"')
    assert [e.message for e in page.events] == ["other/algo-1 step 3"]
    page = logs.filter_events(SCOPE, GROUP, start_ms=NOW - 100, end_ms=NOW - 97)
    assert len(page.events) == 3
    with pytest.raises(InvalidParameterException):
        logs.filter_events(SCOPE, GROUP, stream_names=["a"], stream_prefix="b")


def test_filter_answers_with_a_token_when_its_scan_budget_runs_out(logs, monkeypatch):
    monkeypatch.setattr(service_module, "FILTER_SCAN_BUDGET", 4)
    stream_with(logs, "s", 10)
    page = logs.filter_events(SCOPE, GROUP, pattern="line 9")
    assert page.events == [] and page.next_token
    found = []
    while page.next_token:
        page = logs.filter_events(SCOPE, GROUP, pattern="line 9", token=page.next_token)
        found += page.events
    assert [e.message for e in found] == ["line 9"]


# --- the service API for job logs ---------------------------------------------------------------

def test_append_creates_the_group_and_stream_and_batches(logs, monkeypatch):
    monkeypatch.setattr(service_module, "APPEND_BATCH_EVENTS", 4)
    start = dt.datetime.fromtimestamp(NOW / 1000, dt.timezone.utc)
    lines = [(start + dt.timedelta(milliseconds=i), f"epoch {i}") for i in range(10)] + [(NOW + 20, "")]
    assert logs.append(SCOPE, GROUP, "job/algo-1-1700000000", lines) == 11
    assert logs.append(SCOPE, GROUP, "job/algo-1-1700000000", [(NOW + 30, "done")]) == 1
    page = logs.get_events(SCOPE, GROUP, "job/algo-1-1700000000", from_head=True)
    assert messages(page) == [f"epoch {i}" for i in range(10)] + ["", "done"]
    assert page.events[0].timestamp_ms == NOW
    (stream,), _ = logs.list_streams(SCOPE, GROUP)
    assert stream.upload_sequence == 4  # three batches, then one


@pytest.mark.parametrize("value", [
    dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc),
    dt.datetime(2026, 1, 2, 3, 4, 5, 678999),  # naive: UTC; sub-millisecond truncated
])
def test_datetimes_become_exact_milliseconds(value):
    assert service_module.to_ms(value) == 1767323045678
