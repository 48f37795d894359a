"""CloudWatch Logs through boto3 against a real server, including the SageMaker SDK's own tail loop."""

from __future__ import annotations

import contextlib
import io
import time
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"
GROUP = "/aws/sagemaker/TrainingJobs"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture(scope="module")
def training_group(logs):
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=GROUP)
    return GROUP


def put(logs, group: str, stream: str, messages: list[str], start: int | None = None) -> dict:
    start = start or now_ms()
    return logs.put_log_events(logGroupName=group, logStreamName=stream,
                               logEvents=[{"timestamp": start + i, "message": m} for i, m in enumerate(messages)])


def tamper(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]


def error_code(info) -> str:
    return info.value.response["Error"]["Code"]


class GuardedClient:
    """The logs client, failing loudly instead of looping forever if DescribeLogStreams misbehaves."""

    def __init__(self, client, max_describe_calls: int = 10) -> None:
        self._client = client
        self.describe_calls = 0
        self._max = max_describe_calls

    def describe_log_streams(self, **kwargs):
        self.describe_calls += 1
        assert self.describe_calls <= self._max, "DescribeLogStreams is being re-asked: nextToken leaked"
        return self._client.describe_log_streams(**kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


# --- the SageMaker SDK's tail -------------------------------------------------------------------

def test_the_sdk_tails_a_training_jobs_logs(logs, training_group):
    from sagemaker.session import _flush_log_streams  # the SDK's own tail loop

    job = unique("sdk-tail")
    stream = f"{job}/algo-1-1700000000"
    logs.create_log_stream(logGroupName=training_group, logStreamName=stream)
    base = now_ms()
    put(logs, training_group, stream, [f"epoch {i}" for i in range(5)], start=base)
    # Another job whose name extends this one's must stay out of the prefix listing.
    logs.create_log_stream(logGroupName=training_group, logStreamName=f"{job}x/algo-1-1700000000")

    printed: list[str] = []
    client = GuardedClient(logs)
    positions: dict = {}

    def flush() -> list[str]:
        # As in Session.logs_for_job: the SDK passes the same empty stream list on every poll.
        before = len(printed)
        with contextlib.redirect_stdout(io.StringIO()):
            _flush_log_streams([], 1, client, training_group, job, positions, False,
                               lambda _idx, message: printed.append(message))
        return printed[before:]

    assert flush() == [f"epoch {i}" for i in range(5)]
    put(logs, training_group, stream, ["epoch 5", "epoch 6"], start=base + 100)
    assert flush() == ["epoch 5", "epoch 6"]  # only what is new
    assert flush() == []
    assert client.describe_calls == 3  # one per poll: no nextToken loop


def test_describe_log_streams_as_the_sdk_asks_has_no_next_token(logs, training_group):
    job = unique("streams")
    for i in (1, 2):
        logs.create_log_stream(logGroupName=training_group, logStreamName=f"{job}/algo-{i}-1700000000")
    asked = {"logGroupName": training_group, "logStreamNamePrefix": f"{job}/", "orderBy": "LogStreamName"}
    reply = logs.describe_log_streams(**asked, limit=2)
    assert [s["logStreamName"] for s in reply["logStreams"]] == [f"{job}/algo-1-1700000000", f"{job}/algo-2-1700000000"]
    assert "nextToken" not in reply
    reply = logs.describe_log_streams(**asked, limit=1)
    assert "nextToken" in reply  # one more stream remains
    rest = logs.describe_log_streams(**asked, limit=1, nextToken=reply["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == [f"{job}/algo-2-1700000000"]
    assert "nextToken" not in rest


def test_get_log_events_pages_from_head_until_an_empty_page_with_a_stable_token(logs, training_group):
    stream = unique("paging") + "/algo-1"
    logs.create_log_stream(logGroupName=training_group, logStreamName=stream)
    put(logs, training_group, stream, [f"line {i}" for i in range(10)])
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"nextToken": token} if token else {}
        reply = logs.get_log_events(logGroupName=training_group, logStreamName=stream, startTime=0,
                                    startFromHead=True, limit=4, **kwargs)
        assert reply["nextForwardToken"] and reply["nextBackwardToken"]
        pages += 1
        if not reply["events"]:
            assert reply["nextForwardToken"] == token  # the end: the same token comes back
            break
        seen += [e["message"] for e in reply["events"]]
        token = reply["nextForwardToken"]
    assert seen == [f"line {i}" for i in range(10)] and pages == 4
    latest = logs.get_log_events(logGroupName=training_group, logStreamName=stream, limit=3)
    assert [e["message"] for e in latest["events"]] == ["line 7", "line 8", "line 9"]
    earlier = logs.get_log_events(logGroupName=training_group, logStreamName=stream, limit=3,
                                  nextToken=latest["nextBackwardToken"])
    assert [e["message"] for e in earlier["events"]] == ["line 4", "line 5", "line 6"]


def test_put_log_events_reports_rejected_events(logs, training_group):
    stream = unique("rejected")
    logs.create_log_stream(logGroupName=training_group, logStreamName=stream)
    now = now_ms()
    reply = logs.put_log_events(logGroupName=training_group, logStreamName=stream, logEvents=[
        {"timestamp": now - 15 * 86_400_000 + 3_600_000, "message": "too old"},
        {"timestamp": now - 15 * 86_400_000 + 3_600_001, "message": "too old too"},
    ])
    assert reply["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2}
    reply = logs.put_log_events(logGroupName=training_group, logStreamName=stream, logEvents=[
        {"timestamp": now, "message": "fine"},
        {"timestamp": now + 3 * 3_600_000, "message": "too new"},
    ])
    assert reply["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    assert reply["nextSequenceToken"]
    events = logs.get_log_events(logGroupName=training_group, logStreamName=stream, startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["fine"]
    with pytest.raises(ClientError) as info:
        logs.put_log_events(logGroupName=training_group, logStreamName=stream, logEvents=[
            {"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}])
    assert error_code(info) == "InvalidParameterException"
    assert "chronological" in info.value.response["Error"]["Message"]


# --- listing ------------------------------------------------------------------------------------

def test_describe_log_groups_paginates(logs):
    prefix = f"/{unique('groups')}/"
    names = [f"{prefix}{i:02d}" for i in range(7)]
    for name in names:
        logs.create_log_group(logGroupName=name)
    pages = list(logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix,
                                                                   PaginationConfig={"PageSize": 3}))
    assert [len(p["logGroups"]) for p in pages] == [3, 3, 1]
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == names
    assert "nextToken" not in pages[-1]
    group = pages[0]["logGroups"][0]
    assert group["arn"] == f"arn:aws:logs:{REGION}:000000000000:log-group:{names[0]}:*"
    assert group["logGroupArn"] == group["arn"][:-2] and group["creationTime"] > 0
    by_pattern = logs.describe_log_groups(logGroupNamePattern=prefix.strip("/").upper())["logGroups"]
    assert len(by_pattern) == 7


def test_filter_log_events_paginates_and_matches_terms(logs, training_group):
    job = unique("filter")
    for n in (1, 2):
        stream = f"{job}/algo-{n}"
        logs.create_log_stream(logGroupName=training_group, logStreamName=stream)
        put(logs, training_group, stream, [f"[{i}] train-loss={n}.{i} host=algo-{n}" for i in range(6)]
                                          + ["Connection refused by peer"])
    pages = list(logs.get_paginator("filter_log_events").paginate(
        logGroupName=training_group, logStreamNamePrefix=f"{job}/", filterPattern="train-loss",
        PaginationConfig={"PageSize": 5}))
    events = [e for p in pages for e in p["events"]]
    assert len(events) == 12 and len(pages) == 3
    assert {e["logStreamName"] for e in events} == {f"{job}/algo-1", f"{job}/algo-2"}
    assert len({e["eventId"] for e in events}) == 12
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    phrase = logs.filter_log_events(logGroupName=training_group, logStreamNames=[f"{job}/algo-2"],
                                    filterPattern='"Connection refused"')
    assert [e["message"] for e in phrase["events"]] == ["Connection refused by peer"]
    assert "nextToken" not in phrase
    both = logs.filter_log_events(logGroupName=training_group, logStreamNamePrefix=f"{job}/",
                                  filterPattern="host=algo-1 [5]")
    assert [e["message"] for e in both["events"]] == ["[5] train-loss=1.5 host=algo-1"]


# --- errors -------------------------------------------------------------------------------------

def test_missing_resources_are_resource_not_found(logs, training_group):
    missing = f"/{unique('missing')}"
    calls = [
        lambda: logs.create_log_stream(logGroupName=missing, logStreamName="s"),
        lambda: logs.describe_log_streams(logGroupName=missing),
        lambda: logs.get_log_events(logGroupName=missing, logStreamName="s"),
        lambda: logs.filter_log_events(logGroupName=missing),
        lambda: logs.delete_log_group(logGroupName=missing),
        lambda: logs.get_log_events(logGroupName=training_group, logStreamName=unique("missing")),
        lambda: put(logs, training_group, unique("missing"), ["x"]),
    ]
    for call in calls:
        with pytest.raises(logs.exceptions.ResourceNotFoundException):
            call()


def test_duplicates_are_resource_already_exists(logs):
    group = f"/{unique('dup')}"
    logs.create_log_group(logGroupName=group)
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.delete_log_stream(logGroupName=group, logStreamName="s")
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []


def test_log_group_arns_work_as_identifiers(logs, training_group):
    stream = unique("by-arn")
    logs.create_log_stream(logGroupName=training_group, logStreamName=stream)
    put(logs, training_group, stream, ["hello"])
    arn = f"arn:aws:logs:{REGION}:000000000000:log-group:{training_group}"
    reply = logs.get_log_events(logGroupIdentifier=arn, logStreamName=stream, startFromHead=True)
    assert [e["message"] for e in reply["events"]] == ["hello"]
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.describe_log_streams(logGroupIdentifier=f"arn:aws:logs:{REGION}:111111111111:log-group:{training_group}")
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.describe_log_streams(logGroupName=training_group, logGroupIdentifier=arn)


def test_assumed_role_credentials_reach_logs_and_a_tampered_token_does_not(server, logs, training_group):
    creds = server.client("sts").assume_role(RoleArn="arn:aws:iam::000000000000:role/LogsReader",
                                             RoleSessionName="reader")["Credentials"]

    def client(token: str):
        return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                             aws_session_token=token, region_name=REGION).client("logs",
                                                                                 endpoint_url=server.endpoint_url)

    assert client(creds["SessionToken"]).describe_log_groups(logGroupNamePrefix=training_group)["logGroups"]
    with pytest.raises(ClientError) as info:
        client(tamper(creds["SessionToken"])).describe_log_groups()
    assert error_code(info) == "UnrecognizedClientException"


def test_concurrent_writers_lose_nothing(server, training_group):
    """The gateway's worker threads write to one stream and to new groups at once."""
    from concurrent.futures import ThreadPoolExecutor

    stream = unique("concurrent")
    main = server.client("logs")
    main.create_log_stream(logGroupName=training_group, logStreamName=stream)
    start = now_ms()

    def writer(n: int) -> None:
        client = server.client("logs")  # boto3 clients are not shared across threads
        for batch in range(10):
            put(client, training_group, stream, [f"w{n} b{batch} e{i}" for i in range(5)], start=start)
        client.create_log_group(logGroupName=f"/{stream}/{n}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(writer, range(8)))
    events = [e for page in main.get_paginator("filter_log_events").paginate(
        logGroupName=training_group, logStreamNames=[stream]) for e in page["events"]]
    assert len(events) == 8 * 10 * 5
    assert len(main.describe_log_groups(logGroupNamePrefix=f"/{stream}/")["logGroups"]) == 8
