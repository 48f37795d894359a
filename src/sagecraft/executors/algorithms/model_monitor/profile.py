"""Profiling columns into SageMaker's statistics.json: per feature its inferred type, completeness,
numerical statistics with a KLL sketch, or string statistics with the categorical distribution.

Columns arrive as pyarrow arrays, one table (file) at a time: ``Profiler.add`` folds each into
running sums, a KLL sketch and value counts, so the profile of a large dataset takes bounded
memory. The type is inferred as Deequ (SageMaker's engine) does: all present values integers →
Integral, all numbers → Fractional, anything else → String, nothing present → Unknown. ``std_dev``
is the sample standard deviation (pandas' ``std()``)."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagecraft.executors.algorithms.model_monitor import sketches

INTEGRAL, FRACTIONAL, STRING, UNKNOWN = "Integral", "Fractional", "String", "Unknown"
NUMERIC = (INTEGRAL, FRACTIONAL)
EXACT_BUCKET_VALUES = 200_000  # numbers per feature kept for exact bucket counts; beyond, the sketch's
MAX_CATEGORIES = 1000  # categorical buckets reported per string feature
_INTEGER_TEXT = re.compile(r"^\s*[+-]?\d+\s*$")


@dataclass
class Parsed:
    """One chunk of a column: its present values as numbers (NaN where not a number) and as text."""

    present: int
    missing: int
    numbers: np.ndarray  # float64, one per present value
    integral: np.ndarray  # bool, one per present value: an integer
    texts: list[str] | None  # the present values as text, for string columns only


def parse(array: pa.Array | pa.ChunkedArray) -> Parsed:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    missing = array.null_count
    values = array.drop_null() if missing else array
    kind = values.type
    if pa.types.is_integer(kind):
        numbers = values.to_numpy(zero_copy_only=False).astype(np.float64)
        return Parsed(len(values), missing, numbers, np.ones(len(values), bool), None)
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        numbers = values.cast(pa.float64()).to_numpy(zero_copy_only=False)
        nan = np.isnan(numbers)
        if nan.any():  # NaN in a float column is a missing value
            numbers, missing = numbers[~nan], missing + int(nan.sum())
        return Parsed(len(numbers), missing, numbers, np.zeros(len(numbers), bool), None)
    texts = [str(v) for v in values.cast(pa.string()).to_pylist()] if not pa.types.is_string(kind) \
        else values.to_pylist()
    blank = [t for t in texts if not t.strip()]
    if blank:
        texts = [t for t in texts if t.strip()]
        missing += len(blank)
    numbers = _to_numbers(texts)
    integral = np.array([bool(_INTEGER_TEXT.match(t)) for t in texts], dtype=bool) if len(texts) else \
        np.zeros(0, bool)
    return Parsed(len(texts), missing, numbers, integral, texts)


def _to_numbers(texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros(0)
    array = pa.array(texts, pa.string())
    trimmed = pc.utf8_trim_whitespace(array)
    ok = pc.match_substring_regex(trimmed, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    masked = pc.if_else(ok, trimmed, pa.scalar(None, pa.string()))
    return masked.cast(pa.float64()).fill_null(math.nan).to_numpy(zero_copy_only=False)


@dataclass
class FeatureProfile:
    name: str
    present: int = 0
    missing: int = 0
    non_numeric: int = 0  # present values that are no number
    fractional: int = 0  # numbers that are not integers
    total: float = 0.0
    square_total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    sketch: object = None
    chunks: list[np.ndarray] = field(default_factory=list)  # numbers kept for the buckets (bounded)
    categories: Counter = field(default_factory=Counter)
    kept_values: int = 0

    def add(self, parsed: Parsed) -> None:
        self.present += parsed.present
        self.missing += parsed.missing
        numbers = parsed.numbers
        finite = numbers[~np.isnan(numbers)] if parsed.texts is not None else numbers
        self.non_numeric += parsed.present - len(finite)
        if parsed.texts is not None:
            self.fractional += int(np.count_nonzero(~parsed.integral & ~np.isnan(numbers)))
            self.categories.update(parsed.texts)
        elif not parsed.integral.all():  # a float column: Fractional, as "2.0" is for Deequ
            self.fractional += len(finite)
        if len(finite):
            self.total += float(finite.sum())
            self.square_total += float(np.dot(finite, finite))
            self.low, self.high = min(self.low, float(finite.min())), max(self.high, float(finite.max()))
            if self.sketch is None:
                self.sketch = sketches.build(finite)
            else:
                self.sketch.update(np.array(finite, dtype=np.float64))  # type: ignore[attr-defined]
            self.kept_values += len(finite)
            if self.kept_values <= EXACT_BUCKET_VALUES:
                self.chunks.append(finite)
            else:
                self.chunks = []  # too many to keep: the buckets come from the sketch

    @property
    def numeric_count(self) -> int:
        return self.present - self.non_numeric

    @property
    def inferred_type(self) -> str:
        if self.present == 0:
            return UNKNOWN
        if self.non_numeric:
            return STRING
        return FRACTIONAL if self.fractional else INTEGRAL

    def conforming(self, expected: str) -> int:
        """How many present values are of the expected type (the data type check's numerator)."""
        if expected == INTEGRAL:
            return self.numeric_count - self.fractional
        if expected == FRACTIONAL:
            return self.numeric_count
        return self.present

    def statistics(self, as_type: str | None = None) -> dict:
        kind = as_type or self.inferred_type
        common = {"num_present": self.present, "num_missing": self.missing}
        entry: dict = {"name": self.name, "inferred_type": self.inferred_type}
        if kind in NUMERIC and self.numeric_count:
            n = self.numeric_count
            mean = self.total / n
            variance = max(self.square_total - n * mean * mean, 0.0) / (n - 1) if n > 1 else 0.0
            if self.chunks:
                buckets = sketches.buckets(np.concatenate(self.chunks))
            else:
                buckets = sketches.sketch_buckets(self.sketch, self.low, self.high)
            entry["numerical_statistics"] = {
                "common": common, "mean": mean, "sum": self.total, "std_dev": math.sqrt(variance),
                "min": self.low, "max": self.high,
                "distribution": {"kll": {"buckets": buckets,
                                         "sketch": sketches.to_json(self.sketch)}},
            }
        elif kind in NUMERIC:
            entry["numerical_statistics"] = {"common": common}
        else:
            ranked = self.categories.most_common(MAX_CATEGORIES)
            entry["string_statistics"] = {
                "common": common, "distinct_count": float(len(self.categories)),
                "distribution": {"categorical": {"buckets": [{"value": v, "count": c} for v, c in ranked]}},
            }
        return entry


class Profiler:
    """Statistics of a dataset fed table by table; ``expected`` types (from a baseline) decide which
    statistics a feature gets, so a numeric feature with a few bad values still gets its sketch."""

    def __init__(self, expected: dict[str, str] | None = None) -> None:
        self.expected = expected or {}
        self.features: dict[str, FeatureProfile] = {}
        self.item_count = 0

    def add(self, table: pa.Table) -> None:
        for name in table.column_names:
            self.features.setdefault(name, FeatureProfile(name))
        for name, profile in self.features.items():
            if name in table.column_names:
                profile.add(parse(table.column(name)))
            else:
                profile.missing += table.num_rows
        self.item_count += table.num_rows

    def statistics(self) -> dict:
        features = []
        for name, profile in self.features.items():
            expected = self.expected.get(name)
            as_type = expected if expected in NUMERIC and profile.numeric_count else None
            features.append(profile.statistics(as_type))
        return {"version": 0.0, "dataset": {"item_count": self.item_count}, "features": features}
