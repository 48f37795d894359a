"""The async inference queue: durable files, oldest first, backlog per endpoint; where results go."""

from __future__ import annotations

import asyncio

from sagecraft.services.hosting.async_inference import AsyncDispatcher, AsyncQueue, new_request
from sagecraft.storage.objects.base import ObjectMeta

CONFIG = {"OutputConfig": {"S3OutputPath": "s3://b/out/", "S3FailurePath": "s3://b/failed"}}


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


def test_locations_and_options():
    request = new_request("1", "us-east-1", "ep", CONFIG, {"InputLocation": "s3://b/in.csv"})
    assert request.output_location == f"s3://b/out/{request.id}.out"
    assert request.failure_location == f"s3://b/failed/{request.id}-error.out"
    assert request.inference_id and request.ttl_seconds == 6 * 3600 and request.timeout_seconds == 900
    named = new_request("1", "us-east-1", "ep", {"OutputConfig": {"S3OutputPath": "s3://b/out"}},
                        {"Body": _Body(b"1,2"), "S3OutputPathExtension": "/day/", "Filename": "r.json",
                         "InferenceId": "x", "RequestTTLSeconds": 60})
    assert named.output_location == "s3://b/out/day/r.json"
    assert named.failure_location == f"s3://b/out/{named.id}-error.out"  # no failure path: the output path
    assert (named.body, named.inference_id, named.ttl_seconds) == ("1,2", "x", 60)


def test_queue_is_durable_ordered_and_counted(tmp_path):
    queue = AsyncQueue(tmp_path / "q")
    first = new_request("1", "us-east-1", "EP", CONFIG, {"InputLocation": "s3://b/1"})
    second = new_request("1", "us-east-1", "ep", CONFIG, {"InputLocation": "s3://b/2"})
    second.enqueued_at = first.enqueued_at + 1
    queue.put(second)
    queue.put(first)
    reopened = AsyncQueue(tmp_path / "q")  # another process (a restart) sees the same requests
    assert [r.id for r in reopened.pending()] == [first.id, second.id]
    assert reopened.backlog() == {("1", "us-east-1", "ep"): 2}
    reopened.remove(first.id)
    assert [r.id for r in queue.pending()] == [second.id]
    assert not list((tmp_path / "q").glob("*.tmp"))


class _Objects:
    def __init__(self) -> None:
        self.written: dict[tuple[str, str], tuple[bytes, str]] = {}

    def put_object(self, bucket: str, key: str, body: bytes, meta: ObjectMeta) -> None:
        self.written[(bucket, key)] = (body, meta.content_type)


def test_expired_and_orphaned_requests_fail_to_the_failure_path(tmp_path):
    queue, objects = AsyncQueue(tmp_path / "q"), _Objects()
    expired = new_request("1", "us-east-1", "ep", CONFIG, {"Body": _Body(b"1"), "RequestTTLSeconds": 1})
    expired.enqueued_at -= 10
    orphan = new_request("1", "us-east-1", "gone", CONFIG, {"Body": _Body(b"1")})
    for request in (expired, orphan):
        queue.put(request)
    dispatcher = AsyncDispatcher(queue, objects, lambda: None, lambda r: None if r.endpoint == "gone" else 1)

    async def one_round() -> None:
        tasks: set = set()
        dispatcher._dispatch(None, tasks)
        await asyncio.gather(*tasks)

    asyncio.run(one_round())
    assert b"RequestTTLSeconds" in objects.written[("b", f"failed/{expired.id}-error.out")][0]
    assert b"deleted" in objects.written[("b", f"failed/{orphan.id}-error.out")][0]
    assert queue.pending() == []


def test_a_result_with_nowhere_to_go_is_dropped_not_retried_forever(tmp_path):
    from sagecraft.storage.objects.base import BucketNotFound

    class _NoBucket(_Objects):
        def put_object(self, bucket: str, key: str, body: bytes, meta: ObjectMeta) -> None:
            raise BucketNotFound(bucket)

    queue = AsyncQueue(tmp_path / "q")
    orphan = new_request("1", "us-east-1", "gone", CONFIG, {"Body": _Body(b"1")})
    queue.put(orphan)
    dispatcher = AsyncDispatcher(queue, _NoBucket(), lambda: None, lambda r: None)

    async def one_round() -> None:
        tasks: set = set()
        dispatcher._dispatch(None, tasks)
        await asyncio.gather(*tasks)

    asyncio.run(one_round())
    assert queue.pending() == []
