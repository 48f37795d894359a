"""Model-quality inputs: (ground truth, prediction, score) triples from a baseline dataset, or from
captured inferences merged with ground truth labels.

Ground truth is JSON Lines in AWS's documented format, one label per inference::

    {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "…"}, "eventVersion": "0"}

joined on the capture record's ``inferenceId`` when it has one, else its ``eventId``. The attributes
(inference_attribute, probability_attribute, ground_truth_attribute) are column names of a dataset
or, for a headerless one, column indices; in a CSV endpoint output an index; in a JSON one a path
such as ``predictions[0].score`` or ``$.label``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sagecraft.executors.algorithms.errors import UserError
from sagecraft.executors.algorithms.model_monitor import capture
from sagecraft.executors.algorithms.model_monitor.datasets import data_files
from sagecraft.executors.algorithms.model_monitor.model_quality import normalize_labels

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass
class Attributes:
    inference: str | None
    probability: str | None
    threshold: float | None
    ground_truth: str | None


@dataclass
class Triples:
    truth: np.ndarray
    predicted: np.ndarray
    scores: np.ndarray | None


def _column(table: pa.Table, attribute: str) -> list[Any]:
    if attribute in table.column_names:
        return table.column(attribute).to_pylist()
    if attribute.isdigit() and int(attribute) < table.num_columns:
        return table.column(int(attribute)).to_pylist()
    if f"_c{attribute}" in table.column_names:
        return table.column(f"_c{attribute}").to_pylist()
    raise UserError(f"The attribute {attribute!r} is not a column of the dataset "
                    f"(columns: {', '.join(table.column_names)}).")


def _predictions(predicted: list[Any] | None, scores: list[Any] | None, attributes: Attributes) \
        -> tuple[np.ndarray, np.ndarray | None]:
    score_array = np.array([float(s) for s in scores], dtype=np.float64) if scores is not None else None
    if predicted is None:
        if score_array is None:
            raise UserError("Model quality needs inference_attribute or probability_attribute.")
        threshold = 0.5 if attributes.threshold is None else attributes.threshold
        return (score_array >= threshold).astype(np.float64), score_array
    return normalize_labels(predicted), score_array


def from_tables(tables: Iterable[pa.Table], attributes: Attributes) -> Triples:
    table = pa.concat_tables(list(tables), promote_options="permissive")
    if not attributes.ground_truth:
        raise UserError("ground_truth_attribute is required to baseline model quality.")
    truth = normalize_labels(_column(table, attributes.ground_truth))
    predicted = _column(table, attributes.inference) if attributes.inference else None
    scores = _column(table, attributes.probability) if attributes.probability else None
    keep = [i for i, t in enumerate(truth.tolist()) if t is not None and t == t]
    guess, score_array = _predictions(predicted, scores, attributes)
    return Triples(truth[keep], guess[keep], score_array[keep] if score_array is not None else None)


def lookup(payload: capture.CapturedPayload | None, attribute: str | None) -> Any:
    """One value of an endpoint output: a CSV column index or a JSON path (first record)."""
    rows = capture.rows_of(payload)
    if not rows:
        return None
    row: Any = rows[0]
    if isinstance(row, list) and len(row) == 1 and isinstance(row[0], (dict, list)):
        row = row[0]
    if attribute is None:
        return row[0] if isinstance(row, list) and len(row) == 1 else None
    if isinstance(row, list) and attribute.isdigit():
        return row[int(attribute)] if int(attribute) < len(row) else None
    value: Any = json.loads(payload.data) if payload is not None and capture.is_json(payload) else row
    for name, index in _PATH_PART.findall(attribute.removeprefix("$").lstrip(".")):
        try:
            value = value[int(index)] if index else value[name]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def read_ground_truth(source: Path) -> dict[str, Any]:
    labels: dict[str, Any] = {}
    for path in data_files(source):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                data = record["groundTruthData"]
                event_id = str(record["eventMetadata"]["eventId"])
            except (ValueError, KeyError, TypeError) as error:
                raise UserError(f"{path.name}, line {number}: not a ground truth record ({error}).") from None
            text = str(data.get("data", "")).strip()
            if str(data.get("encoding", "CSV")).upper() == "JSON":
                value = json.loads(text)
                text = value if not isinstance(value, list) else value[0]
            labels[event_id] = text
    return labels


def from_capture(records: Iterable[capture.InferenceRecord], ground_truth: dict[str, Any],
                 attributes: Attributes) -> Triples:
    truths: list[Any] = []
    predicted: list[Any] = []
    scores: list[Any] = []
    for record in records:
        meta = record.event_metadata
        key = meta.inference_id or meta.event_id
        if key not in ground_truth:
            continue
        label = lookup(record.endpoint_output, attributes.inference) if attributes.inference or \
            not attributes.probability else None
        score = lookup(record.endpoint_output, attributes.probability) if attributes.probability else None
        if (label is None and score is None) or ground_truth[key] in (None, ""):
            continue
        truths.append(ground_truth[key])
        predicted.append(label)
        scores.append(score)
    if not truths:
        raise UserError("No captured inference has a ground truth label: upload ground truth records whose "
                        "eventMetadata.eventId is the inference's inferenceId (or eventId).")
    guess, score_array = _predictions(predicted if attributes.inference or not attributes.probability else None,
                                      scores if attributes.probability else None, attributes)
    return Triples(normalize_labels(truths), guess, score_array)
