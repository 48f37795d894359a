"""Payload decoding and encoding shared by the inference handlers (text/csv, application/json,
text/libsvm, application/x-npy), as the SageMaker XGBoost and scikit-learn containers accept them."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np


class UnsupportedMediaType(ValueError):
    status = 415


class BadPayload(ValueError):
    status = 400


def media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def decode_csv(body: bytes) -> np.ndarray:
    text = body.decode("utf-8").strip()
    if not text:
        raise BadPayload("Empty payload: expected one or more CSV rows of numbers.")
    rows = [line for line in text.splitlines() if line.strip()]
    try:
        if len(rows) == 1:  # the hot path: one row, no csv machinery
            return _split_rows(rows)
        try:
            return np.loadtxt(io.StringIO("\n".join(rows)), delimiter=",", dtype=np.float32, ndmin=2)
        except ValueError:  # empty fields (missing values) among the rows: parsed field by field
            return _split_rows(rows)
    except ValueError as error:
        raise BadPayload(f"Loading csv data failed with Exception, please ensure data is in csv format: {error}") \
            from None


def _split_rows(rows: list[str]) -> np.ndarray:
    """Rows of numbers where an empty field is a missing value (NaN), as the XGBoost container reads them."""
    return np.array([[float(v) if v.strip() else np.nan for v in row.split(",")] for row in rows], dtype=np.float32)


def decode_json(body: bytes) -> np.ndarray:
    try:
        data = json.loads(body)
    except ValueError as error:
        raise BadPayload(f"Could not parse the JSON payload: {error}") from None
    if isinstance(data, dict):  # {"instances": [{"features": [...]}, ...]} or {"instances": [[...]]}
        data = data.get("instances", data.get("features"))
        if isinstance(data, list):
            data = [row["features"] if isinstance(row, dict) else row for row in data]
    try:
        array = np.asarray(data, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise BadPayload(f"The JSON payload is not a numeric array: {error}") from None
    return array.reshape(1, -1) if array.ndim == 1 else array


def decode_libsvm(body: bytes) -> Any:
    import scipy.sparse

    rows, cols, values = [], [], []
    lines = [line for line in body.decode("utf-8").splitlines() if line.strip()]
    try:
        for index, line in enumerate(lines):
            for item in line.split()[1:]:  # the first token is the label
                column, value = item.split(":", 1)
                rows.append(index)
                cols.append(int(column))
                values.append(float(value))
    except ValueError as error:
        raise BadPayload(f"Could not parse the libsvm payload: {error}") from None
    width = max(cols, default=-1) + 1
    return scipy.sparse.csr_matrix((values, (rows, cols)), shape=(len(lines), width), dtype=np.float32)


def decode_npy(body: bytes) -> np.ndarray:
    return np.load(io.BytesIO(body), allow_pickle=False)


DECODERS = {"text/csv": decode_csv, "application/json": decode_json, "text/libsvm": decode_libsvm,
            "text/x-libsvm": decode_libsvm, "application/x-npy": decode_npy}


def decode(body: bytes, content_type: str | None, default: str = "text/csv") -> Any:
    kind = media_type(content_type) or default
    decoder = DECODERS.get(kind)
    if decoder is None:
        raise UnsupportedMediaType(f"Content type {content_type!r} is not supported: use one of "
                                   f"{', '.join(sorted(DECODERS))}.")
    return decoder(body)


def encode(values: Any, accept: str | None, default: str = "text/csv") -> tuple[bytes, str]:
    """Predictions as ``accept`` asks: CSV (one row per line), JSON, or NPY."""
    kind = media_type(accept)
    if kind in ("", "*/*"):
        kind = default
    array = np.asarray(values)
    if kind == "text/csv":
        if array.ndim <= 1:
            return "\n".join(repr(float(v)) for v in array.ravel()).encode(), "text/csv"
        return "\n".join(",".join(repr(float(v)) for v in row) for row in array).encode(), "text/csv"
    if kind == "application/json":
        return json.dumps(array.tolist()).encode(), "application/json"
    if kind == "application/x-npy":
        buffer = io.BytesIO()
        np.save(buffer, array)
        return buffer.getvalue(), "application/x-npy"
    raise UnsupportedMediaType(f"Accept type {accept!r} is not supported: use text/csv, application/json "
                               "or application/x-npy.")
