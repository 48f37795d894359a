"""Reading a channel for the built-in XGBoost algorithm: CSV, LIBSVM or Parquet, label first.

As the SageMaker XGBoost container reads them: every file of the channel's folder (recursively,
skipping names starting with ``.`` or ``_``), ContentType from inputdataconfig.json (``text/csv``
or ``csv``, with an optional ``label_size=1``; ``text/libsvm``, ``text/x-libsvm`` or ``libsvm``, the
default; ``application/x-parquet`` or ``parquet``). CSV has no header, the label in the first
column (and instance weights in the second with ``csv_weights=1``), its delimiter sniffed from the
first line. LIBSVM feature indices are used as written (as xgboost's own parser does); ``qid:``
groups rows for ranking objectives.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sagecraft.executors.algorithms.errors import UserError

CSV, LIBSVM, PARQUET = "csv", "libsvm", "parquet"
_CONTENT_TYPES = {
    "text/csv": CSV, "csv": CSV,
    "text/libsvm": LIBSVM, "text/x-libsvm": LIBSVM, "libsvm": LIBSVM,
    "application/x-parquet": PARQUET, "parquet": PARQUET,
}
VALID_CONTENT_TYPES = ("text/csv", "csv", "text/libsvm", "text/x-libsvm", "libsvm", "application/x-parquet",
                       "parquet")


@dataclass
class Dataset:
    """A channel's rows: features (dense array or scipy CSR), labels, optional weights and groups."""

    features: Any
    labels: np.ndarray
    weights: np.ndarray | None = None
    qid: np.ndarray | None = None

    @property
    def rows(self) -> int:
        return int(self.features.shape[0])

    @property
    def columns(self) -> int:
        return int(self.features.shape[1])


def content_format(content_type: str | None) -> str:
    """csv | libsvm | parquet from a channel's ContentType (None: libsvm, the algorithm's default)."""
    if not content_type:
        return LIBSVM
    media, *params = (part.strip() for part in content_type.lower().split(";"))
    fmt = _CONTENT_TYPES.get(media)
    if fmt is None:
        if media in ("application/x-recordio-protobuf", "recordio-protobuf"):
            raise UserError(f"{content_type} is not supported by Sagecraft's built-in XGBoost: use text/csv, "
                            "text/libsvm or application/x-parquet.")
        raise UserError(f"{content_type} is not an accepted ContentType: {', '.join(VALID_CONTENT_TYPES)}.")
    for param in params:
        key, _, value = param.partition("=")
        if fmt == CSV and key.strip() == "label_size" and value.strip() != "1":
            raise UserError(f"{content_type} is not an accepted csv ContentType. Optional parameter label_size must "
                            "be equal to 1")
    return fmt


def data_files(path: Path) -> list[Path]:
    """The channel's data files in name order (a single file may be the channel itself)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    files = []
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        files += [Path(root, n) for n in sorted(names) if not n.startswith((".", "_"))]
    return [f for f in files if f.is_file() and f.stat().st_size > 0]


def read_channel(path: Path, content_type: str | None, *, csv_weights: bool = False) -> Dataset | None:
    """The channel's rows, or None when it holds no data."""
    fmt = content_format(content_type)
    files = data_files(path)
    if not files:
        return None
    if fmt == CSV:
        return _read_csv(files, csv_weights)
    if fmt == LIBSVM:
        return _read_libsvm(files)
    return _read_parquet(files)


def _delimiter(first_line: str) -> str:
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",\t;| ").delimiter
    except csv.Error:
        return ","  # one column (or nothing to tell): a comma loses nothing


def _read_csv(files: list[Path], csv_weights: bool) -> Dataset:
    import pandas as pd  # the algorithm's process only: keeps this module cheap to import in tests

    frames = []
    for file in files:
        with open(file, encoding="utf-8", errors="replace") as f:
            first = f.readline()
        try:
            frame = pd.read_csv(file, header=None, sep=_delimiter(first), dtype=np.float32, skipinitialspace=True)
        except (ValueError, pd.errors.ParserError) as error:
            raise UserError(f"Failed to load csv data with exception:\n{_first_line(error)} (file {file.name}). "
                            "The CSV must have no header and only numbers, the label in the first column.") from None
        frames.append(frame.to_numpy())
    return _split_dense(_stack(frames, "csv"), csv_weights)


def _read_parquet(files: list[Path]) -> Dataset:
    import pandas as pd

    frames = []
    for file in files:
        try:
            frames.append(pd.read_parquet(file).to_numpy(dtype=np.float32))
        except ImportError as error:
            raise UserError(f"Reading Parquet needs pyarrow in the job's Python environment: {error}") from None
        except Exception as error:  # pyarrow raises its own types for corrupt files
            raise UserError(f"Failed to load parquet data with exception:\n{_first_line(error)} "
                            f"(file {file.name})") from None
    return _split_dense(_stack(frames, "parquet"), False)


def _read_libsvm(files: list[Path]) -> Dataset:
    import scipy.sparse as sp
    from sklearn.datasets import load_svmlight_file

    parts = []
    for file in files:
        try:
            x, y, qid = load_svmlight_file(str(file), dtype=np.float32, zero_based=True, query_id=True)
        except (ValueError, OSError) as error:
            raise UserError(f"Failed to load libsvm data with exception:\n{_first_line(error)} (file {file.name}). "
                            "Each line must read '<label> <index>:<value> ...'.") from None
        parts.append((x, y, qid))
    width = max(x.shape[1] for x, _, _ in parts)
    features = sp.vstack([_widen(x, width) for x, _, _ in parts], format="csr")
    qid = np.concatenate([q for _, _, q in parts])
    return Dataset(features, np.concatenate([y for _, y, _ in parts]).astype(np.float32),
                   qid=qid if qid.any() else None)


def _widen(matrix: Any, width: int) -> Any:
    matrix = matrix.tocsr()
    if matrix.shape[1] < width:
        matrix.resize((matrix.shape[0], width))
    return matrix


def align_columns(datasets: list[Dataset]) -> None:
    """Give sparse (LIBSVM) datasets one width: a validation file may not mention the last features."""
    sparse = [d for d in datasets if hasattr(d.features, "tocsr")]
    if sparse:
        width = max(d.columns for d in sparse)
        for d in sparse:
            d.features = _widen(d.features, width)


def _stack(frames: list[np.ndarray], kind: str) -> np.ndarray:
    widths = {f.shape[1] for f in frames}
    if len(widths) > 1:
        raise UserError(f"The {kind} files of a channel must have the same number of columns (found "
                        f"{sorted(widths)}).")
    return np.vstack(frames)


def _split_dense(data: np.ndarray, weights: bool) -> Dataset:
    first_feature = 2 if weights else 1
    if data.shape[1] <= first_feature:
        raise UserError(f"The data has {data.shape[1]} column(s): it needs the label first"
                        f"{', the instance weight second' if weights else ''} and at least one feature.")
    return Dataset(data[:, first_feature:], data[:, 0], weights=data[:, 1] if weights else None)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
