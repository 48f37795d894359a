"""Reading the analyzer's dataset (dataset_source in the dataset_format) into named columns.

Every format becomes a pyarrow Table: CSV (with or without a header: columns ``_c0``, ``_c1``… as
SageMaker names them), JSON / JSON Lines (nested objects flattened to dotted names), Parquet, and
endpoint data capture (capture.py). Tables stream from the files one at a time into the profiler,
so memory holds one file's columns plus the sketches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from sagecraft.executors.algorithms.errors import UserError

SKIPPED_NAMES = {"_SUCCESS", ".DS_Store"}


def parse_format(raw: str | None) -> dict[str, Any]:
    """The dataset_format variable: ``{"csv": {"header": true}}``, ``{"json": {"lines": true}}``,
    ``{"parquet": {}}`` or ``{"sagemakerCaptureJson": {...}}``. CSV with a header by default."""
    if not raw:
        return {"csv": {"header": True}}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise UserError(f"dataset_format is not valid JSON: {error}") from None
    if not isinstance(value, dict) or len(value) != 1:
        raise UserError(f"dataset_format must name one format (csv, json, parquet): {raw}")
    kind = next(iter(value))
    if kind not in ("csv", "json", "parquet", "sagemakerCaptureJson"):
        raise UserError(f"dataset_format {kind!r} is not supported: use csv, json or parquet.")
    return {kind: value[kind] or {}}


def data_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise UserError(f"The dataset source {source} does not exist.")
    files = sorted(p for p in source.rglob("*") if p.is_file() and p.name not in SKIPPED_NAMES
                   and not p.name.startswith("."))
    if not files:
        raise UserError(f"The dataset source {source} has no files.")
    return files


def read_tables(source: Path, dataset_format: dict[str, Any]) -> Iterator[pa.Table]:
    """One table per file, columns named consistently across files (the first file's header)."""
    kind, options = next(iter(dataset_format.items()))
    names: list[str] | None = None
    for path in data_files(source):
        if kind == "csv":
            table = _read_csv(path, bool(options.get("header", True)), names)
            names = names or table.column_names
        elif kind == "json":
            table = _read_json(path, options.get("lines", True))
        elif kind == "parquet":
            table = pq.read_table(path)
        else:
            raise UserError("sagemakerCaptureJson is read by the capture reader.")
        if table.num_rows:
            yield table


def _read_csv(path: Path, header: bool, names: list[str] | None) -> pa.Table:
    if path.stat().st_size == 0:
        return pa.table({})
    read = pa_csv.ReadOptions(autogenerate_column_names=not header and names is None,
                              column_names=names if names is not None else None,
                              skip_rows=1 if header and names is not None else 0)
    convert = pa_csv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False)
    try:
        table = pa_csv.read_csv(path, read_options=read, convert_options=convert)
    except pa.ArrowInvalid as error:
        raise UserError(f"Could not read {path.name} as CSV: {error}") from None
    if not header and names is None:
        table = table.rename_columns([f"_c{i}" for i in range(table.num_columns)])
    return table


def _read_json(path: Path, lines: bool) -> pa.Table:
    try:
        if lines:
            table = pa_json.read_json(path)
        else:
            records = json.loads(path.read_text())
            records = records if isinstance(records, list) else [records]
            table = pa.Table.from_pylist([r if isinstance(r, dict) else {"_c0": r} for r in records])
    except (pa.ArrowInvalid, json.JSONDecodeError) as error:
        raise UserError(f"Could not read {path.name} as JSON: {error}") from None
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    return table


def table_from_rows(rows: list[dict[str, Any]]) -> pa.Table:
    """Records (feature name → raw value) as string columns, the shape capture data arrives in."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    columns = {name: pa.array([_text(row.get(name)) for row in rows], pa.string()) for name in names}
    return pa.table(columns)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)
