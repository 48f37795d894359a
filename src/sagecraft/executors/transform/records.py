"""Record-level steps around the model call: InputFilter on each input record, splitting the model's
answer into one output per record, JoinSource Input, OutputFilter (see SageMaker's "associate
prediction results with input records"). CSV records are arrays of fields; JSON records documents."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sagecraft.executors.serving.codecs import media_type
from sagecraft.executors.transform.filters import JsonPathError, Step, apply

JSON_TYPES = ("application/json", "application/jsonlines", "application/x-jsonlines")
OUTPUT_KEY = "SageMakerOutput"
INPUT_KEY = "SageMakerInput"


class RecordError(ValueError):
    """A record does not fit the DataProcessing settings; the job fails with this message."""


def kind_of(content_type: str | None) -> str:
    """'csv', 'json' or 'other' (filters and joins need one of the first two)."""
    kind = media_type(content_type)
    if kind in ("", "text/csv"):
        return "csv"
    if kind in JSON_TYPES:
        return "json"
    return "other"


def fields(record: bytes) -> list[str]:
    text = record.decode("utf-8")
    if '"' not in text:  # the usual case: no quoting, no csv machinery
        return text.split(",")
    return next(csv.reader(io.StringIO(text)), [])


def csv_line(values: Any) -> bytes:
    if not isinstance(values, list):
        values = [values]
    if not any(isinstance(v, str) and ('"' in v or "\n" in v) for v in values):
        return ",".join(_text(v) for v in values).encode()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue().encode()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def select(steps: tuple[Step, ...], record: bytes, kind: str) -> bytes:
    try:
        if kind == "csv":
            return csv_line(apply(steps, fields(record)))
        return json.dumps(apply(steps, json.loads(record)), separators=(",", ":")).encode()
    except JsonPathError as error:
        raise RecordError(f"The filter does not fit the record {record[:200]!r}: {error}") from None
    except ValueError as error:
        raise RecordError(f"The record {record[:200]!r} is not valid {kind.upper()}: {error}") from None


def split_outputs(body: bytes, count: int, accept_kind: str) -> list[bytes]:
    """One output per input record: lines, or the elements of a JSON array (also under "predictions")."""
    lines = [line.rstrip(b"\r") for line in body.split(b"\n") if line.strip()]
    if len(lines) == count:
        return lines
    if accept_kind == "json" or body.lstrip()[:1] in (b"[", b"{"):
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if isinstance(document, dict) and len(document) == 1:
            document = next(iter(document.values()))
        if isinstance(document, list) and len(document) == count:
            return [json.dumps(item, separators=(",", ":")).encode() for item in document]
    raise RecordError(
        f"The model returned {len(lines)} output lines for {count} input records: joining inputs "
        "with outputs, or an OutputFilter, needs one output per record (use AssembleWith Line and "
        "an Accept type with one record per line)."
    )


def join(record: bytes, output: bytes, kind: str) -> bytes:
    if kind == "csv":
        return record + b"," + output
    try:
        document = json.loads(record)
    except ValueError as error:
        raise RecordError(f"The record {record[:200]!r} is not valid JSON: {error}") from None
    try:
        result: Any = json.loads(output)
    except ValueError:
        result = output.decode("utf-8", errors="replace")
    if isinstance(document, dict):
        document[OUTPUT_KEY] = result
    else:
        document = {INPUT_KEY: document, OUTPUT_KEY: result}
    return json.dumps(document, separators=(",", ":")).encode()
