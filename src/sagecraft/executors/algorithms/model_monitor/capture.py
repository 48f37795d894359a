"""Endpoint data capture (AWS's documented JSON Lines format) as analyzer records.

A capture line::

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "1.0,2.0", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                        "data": "0.7", "encoding": "CSV"}},
     "eventMetadata": {"eventId": "…", "inferenceId": "…", "inferenceTime": "2024-01-01T10:00:00Z"},
     "eventVersion": "0"}

``data`` is text for the CSV and JSON encodings and base64 for BASE64. A CSV payload of several
lines is several records; a JSON payload is an object (named features), a list of numbers (one
record), a list of lists or ``{"instances": […]}`` (several records)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagecraft.executors.algorithms.errors import UserError
from sagecraft.executors.algorithms.model_monitor.datasets import data_files

log = logging.getLogger("model_monitor")


@dataclass(frozen=True)
class CapturedPayload:
    """One side of a capture record, with the attribute names SageMaker's preprocessor sees."""

    data: str
    encoding: str
    observed_content_type: str
    mode: str


@dataclass(frozen=True)
class EventMetadata:
    event_id: str
    inference_id: str | None
    inference_time: str | None


@dataclass(frozen=True)
class InferenceRecord:
    endpoint_input: CapturedPayload | None
    endpoint_output: CapturedPayload | None
    event_metadata: EventMetadata
    event_version: str


def parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def read_records(source: Path, start: dt.datetime | None = None, end: dt.datetime | None = None) \
        -> Iterator[InferenceRecord]:
    """Capture records whose inferenceTime is in [start, end) (all of them without a window)."""
    for path in data_files(source):
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    raw = json.loads(line)
                    record = _record(raw)
                except (ValueError, KeyError, TypeError) as error:
                    raise UserError(f"{path.name}, line {number}: not a data capture record ({error}).") from None
                when = parse_time(record.event_metadata.inference_time)
                if when is not None and ((start and when < start) or (end and when >= end)):
                    continue
                yield record


def _payload(raw: dict[str, Any] | None) -> CapturedPayload | None:
    if not raw:
        return None
    encoding = str(raw.get("encoding") or "CSV").upper()
    data = raw.get("data") or ""
    if encoding == "BASE64":
        data = base64.b64decode(data).decode("utf-8")
    return CapturedPayload(data, encoding, str(raw.get("observedContentType") or ""), str(raw.get("mode") or ""))


def _record(raw: dict[str, Any]) -> InferenceRecord:
    capture = raw["captureData"]
    meta = raw.get("eventMetadata") or {}
    return InferenceRecord(_payload(capture.get("endpointInput")), _payload(capture.get("endpointOutput")),
                           EventMetadata(str(meta.get("eventId") or ""), meta.get("inferenceId"),
                                         meta.get("inferenceTime")),
                           str(raw.get("eventVersion") or "0"))


def is_json(payload: CapturedPayload) -> bool:
    return payload.encoding == "JSON" or "json" in payload.observed_content_type.lower()


def rows_of(payload: CapturedPayload | None) -> list[list[Any] | dict[str, Any]]:
    """A payload as records: lists of values (positional) or dicts (named features)."""
    if payload is None or not payload.data.strip():
        return []
    if is_json(payload):
        value = json.loads(payload.data)
        if isinstance(value, dict) and "instances" in value:
            value = value["instances"]
        if isinstance(value, dict):
            return [value]
        if isinstance(value, list) and value and all(isinstance(v, (list, dict)) for v in value):
            return [v for v in value]
        return [value if isinstance(value, list) else [value]]
    return [row for row in csv.reader(io.StringIO(payload.data)) if row]


def named_rows(records: Iterator[InferenceRecord], names: list[str], output_position: str,
               preprocess: Callable[[InferenceRecord], Any] | None) -> list[dict[str, Any]]:
    """Records as feature dicts. Positional inputs take the baseline's feature names by position;
    when the baseline has more features than an input has values, the endpoint's output values
    fill the difference at the START (SageMaker's default) or the END, as in a training set whose
    label column precedes the features. Without a baseline: ``_c0``, ``_c1``…"""
    out: list[dict[str, Any]] = []
    for record in records:
        if preprocess is not None:
            produced = preprocess(record)
            out.extend(produced if isinstance(produced, list) else [produced] if produced else [])
            continue
        inputs, outputs = rows_of(record.endpoint_input), rows_of(record.endpoint_output)
        for index, row in enumerate(inputs):
            if isinstance(row, dict):
                out.append(_flatten(row))
                continue
            values = list(row)
            extra = len(names) - len(values)
            if extra > 0 and index < len(outputs) and isinstance(outputs[index], list):
                predicted = list(outputs[index])[:extra]
                values = predicted + values if output_position.upper() == "START" else values + predicted
            out.append({(names[i] if i < len(names) else f"_c{i}"): v for i, v in enumerate(values)})
    return out


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            flat.update(_flatten(item, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = item
    return flat
