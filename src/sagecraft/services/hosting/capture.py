"""Data capture: sampled request/response pairs of an endpoint as JSON Lines in SageMaker's capture
format, under ``<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm-uuid>.jsonl``.

The request path only draws the sample and puts a tuple on a queue; a writer thread formats the
records and writes one object per (endpoint, variant, hour) every ``SAGECRAFT_CAPTURE_FLUSH_SECONDS``.
Closing drains the queue and writes everything: nothing acknowledged is lost on shutdown (a crash
loses at most the last interval's buffer)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import queue
import random
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sagecraft.storage.objects.base import ObjectMeta, ObjectStore

log = logging.getLogger("sagecraft.hosting.capture")

FLUSH_SECONDS = float(os.environ.get("SAGECRAFT_CAPTURE_FLUSH_SECONDS", "1"))
MAX_BUFFERED = 10_000  # records held before an early flush


@dataclass(frozen=True)
class CaptureSettings:
    """A DataCaptureConfig as the runtime applies it."""

    percentage: float
    bucket: str
    prefix: str
    capture_input: bool
    capture_output: bool
    csv_types: frozenset[str]
    json_types: frozenset[str]
    kms_key_id: str | None = None  # capture files are written SSE-KMS with it

    @classmethod
    def of(cls, config: dict[str, Any] | None) -> CaptureSettings | None:
        """None when capture is off (no config, or EnableCapture false)."""
        if not config or not config.get("EnableCapture", True):
            return None
        bucket, _, prefix = config["DestinationS3Uri"][len("s3://"):].partition("/")
        modes = {o.get("CaptureMode") for o in config.get("CaptureOptions") or []} or {"Input", "Output"}
        header = config.get("CaptureContentTypeHeader") or {}
        return cls(float(config.get("InitialSamplingPercentage", 100)), bucket, prefix.strip("/"),
                   "Input" in modes, "Output" in modes,
                   frozenset(t.lower() for t in header.get("CsvContentTypes") or ()),
                   frozenset(t.lower() for t in header.get("JsonContentTypes") or ()), config.get("KmsKeyId") or None)

    def sampled(self) -> bool:
        return self.percentage >= 100 or random.random() * 100 < self.percentage

    def encode(self, content_type: str | None, data: bytes) -> tuple[str, str]:
        """(data, encoding): text for the listed CSV/JSON types, else base64 (SageMaker's default)."""
        kind = (content_type or "").split(";", 1)[0].strip().lower()
        encoding = "CSV" if kind in self.csv_types else "JSON" if kind in self.json_types else "BASE64"
        if encoding != "BASE64":
            try:
                return data.decode("utf-8"), encoding
            except UnicodeDecodeError:
                pass
        return base64.b64encode(data).decode("ascii"), "BASE64"


@dataclass(frozen=True)
class Capture:
    """One invocation to capture, as the request path hands it over (formatting happens later)."""

    settings: CaptureSettings
    endpoint: str
    variant: str
    when: float  # epoch seconds
    inference_id: str | None
    input_type: str | None
    input_data: bytes
    output_type: str | None
    output_data: bytes


def record(capture: Capture) -> str:
    """The JSON line of one captured invocation, in SageMaker's format."""
    settings = capture.settings
    data: dict[str, Any] = {}
    if settings.capture_input:
        text, encoding = settings.encode(capture.input_type, capture.input_data)
        data["endpointInput"] = {"observedContentType": capture.input_type or "", "mode": "INPUT", "data": text,
                                 "encoding": encoding}
    if settings.capture_output:
        text, encoding = settings.encode(capture.output_type, capture.output_data)
        data["endpointOutput"] = {"observedContentType": capture.output_type or "", "mode": "OUTPUT",
                                  "data": text, "encoding": encoding}
    when = dt.datetime.fromtimestamp(capture.when, dt.timezone.utc)
    metadata = {"eventId": str(uuid.uuid4())}
    if capture.inference_id:
        metadata["inferenceId"] = capture.inference_id
    metadata["inferenceTime"] = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return json.dumps({"captureData": data, "eventMetadata": metadata, "eventVersion": "0"},
                      separators=(",", ":"))


def object_key(prefix: str, endpoint: str, variant: str, when: float) -> str:
    """SageMaker's layout: the hour's folder, the file named by minute-second-millis and a uuid."""
    moment = dt.datetime.fromtimestamp(when, dt.timezone.utc)
    name = f"{moment:%M-%S}-{moment.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
    return "/".join(p for p in (prefix, endpoint, variant, f"{moment:%Y/%m/%d/%H}", name) if p)


class CaptureWriter:
    """The writer thread: batches captures per (destination, endpoint, variant, hour) into objects."""

    def __init__(self, objects: ObjectStore, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.objects = objects
        self.flush_seconds = flush_seconds
        self._queue: queue.SimpleQueue[Capture | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="hosting-capture", daemon=True)
        self._closed = False

    def start(self) -> None:
        self._thread.start()

    def submit(self, capture: Capture) -> None:
        """Called on the request path: a queue put, nothing more."""
        self._queue.put(capture)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(30)

    def _run(self) -> None:
        batches: dict[tuple[str, str, str, str, str, str | None], list[tuple[float, str]]] = defaultdict(list)
        buffered = 0
        deadline = time.monotonic() + self.flush_seconds
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                item = ...
            if item is None:
                self._flush(batches)
                return
            if isinstance(item, Capture):
                hour = time.strftime("%Y%m%d%H", time.gmtime(item.when))
                key = (item.settings.bucket, item.settings.prefix, item.endpoint, item.variant, hour,
                       item.settings.kms_key_id)
                try:
                    batches[key].append((item.when, record(item)))
                    buffered += 1
                except Exception:
                    log.exception("could not format a capture record of endpoint %s", item.endpoint)
            if buffered >= MAX_BUFFERED or time.monotonic() >= deadline:
                self._flush(batches)
                buffered = 0
                deadline = time.monotonic() + self.flush_seconds

    def _flush(self, batches: dict[tuple[str, str, str, str, str, str | None], list[tuple[float, str]]]) -> None:
        for (bucket, prefix, endpoint, variant, _, kms_key_id), lines in batches.items():
            if not lines:
                continue
            key = object_key(prefix, endpoint, variant, lines[0][0])
            body = ("\n".join(line for _, line in lines) + "\n").encode()
            try:
                sse = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
                self.objects.put_object(bucket, key, body, ObjectMeta(content_type="application/jsonlines", sse=sse))
            except Exception as error:
                log.warning("could not write %d capture records of endpoint %s to s3://%s/%s: %s", len(lines),
                            endpoint, bucket, key, error)
        batches.clear()
