"""Asynchronous inference (InvokeEndpointAsync): each request is queued durably (one JSON file under the
server's home, written and fsynced before the 202 answer), then a dispatcher thread with its own event
loop reads the input from S3, invokes the endpoint as InvokeEndpoint does, and writes the answer to
``<S3OutputPath>/<uuid>.out`` or the error to ``<S3FailurePath>/<uuid>-error.out``. A request leaves the
queue only once its result is written, so a restart (or a crash) finishes what was queued."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sagecraft.core.context import Principal, RequestContext
from sagecraft.core.errors import AwsError
from sagecraft.storage.objects.base import ObjectMeta, ObjectStore, StoreError

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 6 * 3600  # SageMaker's default RequestTTLSeconds
DEFAULT_INVOCATION_TIMEOUT_SECONDS = 900
DEFAULT_CONCURRENCY_PER_INSTANCE = 4  # SageMaker's default MaxConcurrentInvocationsPerInstance
POLL_SECONDS = 0.2
RETRY_SECONDS = 5  # after an unexpected failure (the request stays queued)
SHUTDOWN_GRACE_SECONDS = 3  # requests in the model then; unfinished ones stay queued


@dataclass
class AsyncRequest:
    id: str  # the <uuid> of the output object's name
    account_id: str
    region: str
    endpoint: str
    input_location: str | None
    body: str | None  # an inline Body (latin-1 text of its bytes)
    content_type: str | None
    accept: str | None
    custom_attributes: str | None
    inference_id: str
    output_location: str
    failure_location: str
    enqueued_at: float
    ttl_seconds: int
    timeout_seconds: int


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


class AsyncQueue:
    """The durable queue: a file per request; the file goes once the request's result is in S3."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, request: AsyncRequest) -> None:
        path = self.root / f"{request.id}.json"
        staging = path.with_suffix(".tmp")
        with open(staging, "w", encoding="utf-8") as out:
            json.dump(asdict(request), out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(staging, path)

    def pending(self) -> list[AsyncRequest]:
        found = []
        for path in self.root.glob("*.json"):
            try:
                found.append(AsyncRequest(**json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError):
                continue  # removed meanwhile, or not ours
        return sorted(found, key=lambda r: r.enqueued_at)

    def remove(self, request_id: str) -> None:
        (self.root / f"{request_id}.json").unlink(missing_ok=True)

    def backlog(self) -> dict[tuple[str, str, str], int]:
        counts: dict[tuple[str, str, str], int] = {}
        for request in self.pending():
            key = (request.account_id, request.region, request.endpoint.lower())
            counts[key] = counts.get(key, 0) + 1
        return counts


# Invokes the endpoint like InvokeEndpoint (params with a Body), answering {"Body", "ContentType"}.
Invoke = Callable[[RequestContext, dict], Awaitable[dict]]
# Where a queued request may go: None (endpoint gone), 0 (not serving yet: wait) or its concurrency.
Capacity = Callable[[AsyncRequest], int | None]
# Writes the backlog per endpoint: {(account, region, endpoint): count}.
BacklogSink = Callable[[dict[tuple[str, str, str], int]], None]


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self) -> bytes:
        return self._data


class AsyncDispatcher:
    """One thread, its own event loop: up to each endpoint's concurrency of queued requests at a time."""

    def __init__(self, queue: AsyncQueue, objects: ObjectStore, invoke_factory: Callable[[], Invoke],
                 capacity: Capacity, backlog_sink: BacklogSink | None = None) -> None:
        self.queue = queue
        self.objects = objects
        self.invoke_factory = invoke_factory
        self.capacity = capacity
        self.backlog_sink = backlog_sink
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hosting-async", daemon=True)
        self._running: dict[str, str] = {}  # request id -> endpoint key, touched on the dispatcher's loop only
        self._retry_after: dict[str, float] = {}  # request id -> monotonic time of its next attempt

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(15)

    def _run(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        invoke = self.invoke_factory()  # its worker connections belong to this loop
        tasks: set[asyncio.Task] = set()
        last_backlog = 0.0
        while not self._stop.is_set():
            try:
                self._dispatch(invoke, tasks)
                if self.backlog_sink is not None and time.monotonic() - last_backlog >= 1.0:
                    last_backlog = time.monotonic()
                    self.backlog_sink(self.queue.backlog())
            except Exception:
                log.exception("the async inference dispatcher failed a round")
            await asyncio.to_thread(self._wake.wait, POLL_SECONDS)
            self._wake.clear()
        if tasks:  # requests in flight finish (or stay queued for the next start)
            await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)

    def _dispatch(self, invoke: Invoke, tasks: set[asyncio.Task]) -> None:
        busy: dict[str, int] = {}
        for key in self._running.values():
            busy[key] = busy.get(key, 0) + 1
        for request in self.queue.pending():
            if request.id in self._running or self._retry_after.get(request.id, 0) > time.monotonic():
                continue
            key = f"{request.account_id}/{request.region}/{request.endpoint.lower()}"
            if time.time() - request.enqueued_at > request.ttl_seconds:
                expired = (f"Request expired: it waited in the queue longer than its RequestTTLSeconds "
                           f"({request.ttl_seconds}).")
                self._start(tasks, request, key, self._fail(request, expired))
                continue
            limit = self.capacity(request)
            if limit is None:
                self._start(tasks, request, key, self._fail(request, f"Endpoint {request.endpoint} was deleted "
                                                            "before the request was processed."))
            elif busy.get(key, 0) < limit:
                busy[key] = busy.get(key, 0) + 1
                self._start(tasks, request, key, self._process(invoke, request))

    def _start(self, tasks: set[asyncio.Task], request: AsyncRequest, key: str, work: Awaitable[None]) -> None:
        self._running[request.id] = key

        async def run() -> None:
            try:
                await work
                self.queue.remove(request.id)
            except StoreError as error:  # the output bucket is gone: nowhere to put the result, ever
                log.warning("async inference request %s of endpoint %s: its result could not be written (%s); "
                            "dropped", request.id, request.endpoint, error)
                self.queue.remove(request.id)
            except Exception:
                log.exception("async inference request %s failed; retried in %d s", request.id, RETRY_SECONDS)
                self._retry_after[request.id] = time.monotonic() + RETRY_SECONDS
            finally:
                self._running.pop(request.id, None)
                self._wake.set()

        task = asyncio.get_running_loop().create_task(run())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def _process(self, invoke: Invoke, request: AsyncRequest) -> None:
        if request.body is not None:
            payload = request.body.encode("latin-1")
        else:
            try:
                payload = await asyncio.to_thread(self._read, request.input_location or "")
            except (StoreError, AwsError, OSError) as error:  # a missing object or bucket: the request fails
                await self._fail(request, f"Could not read the input {request.input_location}: {error}")
                return
        context = RequestContext(Principal("sagecraft", f"arn:aws:iam::{request.account_id}:root", "sagecraft",
                                           request.account_id), request.region, request.account_id)
        params: dict[str, Any] = {"EndpointName": request.endpoint, "Body": _Body(payload),
                                  "ContentType": request.content_type, "Accept": request.accept,
                                  "CustomAttributes": request.custom_attributes, "InferenceId": request.inference_id}
        try:
            answer = await asyncio.wait_for(invoke(context, {k: v for k, v in params.items() if v is not None}),
                                            request.timeout_seconds)
        except TimeoutError:
            await self._fail(request, f"The invocation timed out after its InvocationTimeoutSeconds "
                                      f"({request.timeout_seconds}).")
            return
        except AwsError as error:
            await self._fail(request, error.fields.get("OriginalMessage") or error.message)
            return
        bucket, key = split_s3(request.output_location)
        await asyncio.to_thread(self.objects.put_object, bucket, key, answer["Body"],
                                ObjectMeta(content_type=answer.get("ContentType") or "application/octet-stream"))

    async def _fail(self, request: AsyncRequest, message: str) -> None:
        bucket, key = split_s3(request.failure_location)
        log.info("async inference request %s of endpoint %s failed: %s", request.id, request.endpoint, message)
        await asyncio.to_thread(self.objects.put_object, bucket, key, message.encode(),
                                ObjectMeta(content_type="text/plain"))

    def _read(self, uri: str) -> bytes:
        bucket, key = split_s3(uri)
        _, chunks = self.objects.open_object(bucket, key)
        return b"".join(chunks)


def new_request(account_id: str, region: str, endpoint: str, config: dict[str, Any], params: dict) -> AsyncRequest:
    """The queued request and where its answer goes (the endpoint's AsyncInferenceConfig OutputConfig)."""
    output = config.get("OutputConfig") or {}
    request_id = str(uuid.uuid4())
    base = output["S3OutputPath"].rstrip("/")
    extension = (params.get("S3OutputPathExtension") or "").strip("/")
    folder = f"{base}/{extension}" if extension else base
    failure_base = (output.get("S3FailurePath") or base).rstrip("/")
    body = params.get("Body")
    return AsyncRequest(
        id=request_id, account_id=account_id, region=region, endpoint=endpoint,
        input_location=params.get("InputLocation"),
        body=body.read().decode("latin-1") if body is not None else None,
        content_type=params.get("ContentType"), accept=params.get("Accept"),
        custom_attributes=params.get("CustomAttributes"),
        inference_id=params.get("InferenceId") or str(uuid.uuid4()),
        output_location=f"{folder}/{params.get('Filename') or request_id + '.out'}",
        failure_location=f"{failure_base}/{request_id}-error.out",
        enqueued_at=time.time(),
        ttl_seconds=int(params.get("RequestTTLSeconds") or DEFAULT_TTL_SECONDS),
        timeout_seconds=int(params.get("InvocationTimeoutSeconds") or DEFAULT_INVOCATION_TIMEOUT_SECONDS))
