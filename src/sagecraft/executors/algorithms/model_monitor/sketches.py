"""KLL quantile sketches (Apache DataSketches) in the JSON shape SageMaker's statistics.json uses,
and the distance baseline_drift_check measures between two of them.

statistics.json keeps a sketch as ``{"parameters": {"c": 0.64, "k": 2048.0}, "data": [[...], ...]}``:
``data[i]`` holds the items the sketch retained at compaction level ``i``, each standing for 2**i
values. That is all a CDF needs, so a baseline sketch read back from JSON compares with a current one
without the binary serialization."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from datasketches import kll_doubles_sketch

SKETCH_K = 2048
SKETCH_C = 0.64  # the compactor capacity ratio SageMaker reports (KLL's usual 2/3)
BUCKETS = 10


@dataclass(frozen=True)
class WeightedSample:
    """Items with weights: a KLL sketch's retained items, or a whole column (all weights 1)."""

    items: np.ndarray
    weights: np.ndarray

    @property
    def total(self) -> float:
        return float(self.weights.sum())

    @classmethod
    def from_json(cls, sketch: dict) -> WeightedSample:
        levels = sketch.get("data") or []
        items = [np.asarray(level, dtype=np.float64) for level in levels]
        weights = [np.full(len(level), float(2**i)) for i, level in enumerate(items)]
        if not items:
            return cls(np.empty(0), np.empty(0))
        return cls(np.concatenate(items), np.concatenate(weights))

    def cdf(self, points: np.ndarray) -> np.ndarray:
        order = np.argsort(self.items, kind="stable")
        items, cumulative = self.items[order], np.cumsum(self.weights[order])
        index = np.searchsorted(items, points, side="right")
        padded = np.concatenate([[0.0], cumulative])
        return padded[index] / max(self.total, 1.0)


def build(values: np.ndarray) -> kll_doubles_sketch:
    sketch = kll_doubles_sketch(SKETCH_K)
    if len(values):
        sketch.update(np.array(values, dtype=np.float64))  # a writable copy: the binding refuses read-only arrays
    return sketch


def levels(sketch: kll_doubles_sketch) -> list[np.ndarray]:
    """The retained items per compaction level (level i weighs 2**i), read from the sketch's
    serialization (DataSketches' KLL format: 20-byte preamble, the level offsets, min, max, items)
    rather than item by item through the binding, which is ~100 times slower."""
    data = sketch.serialize()
    if len(data) >= 20 and data[0] == 5:  # a full preamble: a sketch of two or more items
        num_levels = data[18]
        offsets = np.frombuffer(data, dtype="<u4", count=num_levels, offset=20).astype(np.int64)
        items = np.frombuffer(data, dtype="<f8", offset=20 + 4 * num_levels + 16)
        bounds = [*(offsets - offsets[0]), len(items)]
        return [items[bounds[i]:bounds[i + 1]] for i in range(num_levels)]
    found: dict[int, list[float]] = {}
    for item, weight in sketch:  # empty or single-item sketches
        found.setdefault(round(math.log2(weight)), []).append(float(item))
    depth = max(found) + 1 if found else 1
    return [np.asarray(found.get(level, []), dtype=np.float64) for level in range(depth)]


def sample(sketch: kll_doubles_sketch) -> WeightedSample:
    parts = levels(sketch)
    weights = [np.full(len(level), float(2**i)) for i, level in enumerate(parts)]
    return WeightedSample(np.concatenate(parts), np.concatenate(weights))


def to_json(sketch: kll_doubles_sketch) -> dict:
    return {"parameters": {"c": SKETCH_C, "k": float(SKETCH_K)},
            "data": [level.tolist() for level in levels(sketch)]}


def buckets(values: np.ndarray) -> list[dict]:
    """Ten equal-width buckets between min and max with their exact counts."""
    if not len(values):
        return []
    low, high = float(values.min()), float(values.max())
    counts, edges = np.histogram(values, bins=BUCKETS, range=(low, high) if high > low else (low, low + 1.0))
    return [{"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": float(counts[i])}
            for i in range(BUCKETS)]


def sketch_buckets(sketch: kll_doubles_sketch, low: float, high: float) -> list[dict]:
    """The same buckets estimated from a sketch (datasets too large to keep every value)."""
    edges = np.linspace(low, high if high > low else low + 1.0, BUCKETS + 1)
    ranks = np.array([0.0, *sketch.get_cdf(list(edges[1:-1])), 1.0][: BUCKETS + 1])
    counts = np.diff(ranks) * sketch.n
    return [{"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": float(round(counts[i]))}
            for i in range(BUCKETS)]


def cdf_distance(baseline: WeightedSample, current: WeightedSample) -> float:
    """max |F_baseline(x) - F_current(x)| over every retained item: the two-sample KS statistic."""
    if not baseline.total or not current.total:
        return 0.0
    points = np.union1d(baseline.items, current.items)
    return float(np.max(np.abs(baseline.cdf(points) - current.cdf(points))))


def rank_error(n: float) -> float:
    """KLL's normalized rank error bound for k=2048 (two-sided, ~99% confidence); 0 when exact."""
    return 0.0 if n <= SKETCH_K else 2.296 / SKETCH_K**0.9723


def robust_threshold(threshold: float, n_baseline: float, n_current: float) -> float:
    """The Robust method flags drift only when the distance is both above the threshold and
    significant: above the two-sample KS critical value at 99% confidence, widened by both
    sketches' rank error, so small windows of traffic do not raise false alarms."""
    if n_baseline <= 0 or n_current <= 0:
        return math.inf
    critical = 1.628 * math.sqrt((n_baseline + n_current) / (n_baseline * n_current))
    return max(threshold, critical + rank_error(n_baseline) + rank_error(n_current))
