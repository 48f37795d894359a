"""scikit-learn's breast-cancer data, split and written as the built-in XGBoost algorithm reads it
(label first, no header): CSV, LIBSVM or Parquet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Split:
    features: np.ndarray
    labels: np.ndarray


def breast_cancer(seed: int = 7) -> dict[str, Split]:
    """train (60%), validation (20%) and test (20%) rows, shuffled reproducibly."""
    from sklearn.datasets import load_breast_cancer

    features, labels = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(labels))
    cut1, cut2 = int(len(order) * 0.6), int(len(order) * 0.8)
    parts = {"train": order[:cut1], "validation": order[cut1:cut2], "test": order[cut2:]}
    return {name: Split(features[rows], labels[rows]) for name, rows in parts.items()}


def write_csv(path: Path, split: Split, delimiter: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, np.column_stack([split.labels, split.features]), delimiter=delimiter, fmt="%.10g")
    return path


def write_libsvm(path: Path, split: Split) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for label, row in zip(split.labels, split.features, strict=True):
        cells = " ".join(f"{i + 1}:{v:.10g}" for i, v in enumerate(row) if v != 0)
        lines.append(f"{int(label)} {cells}")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_parquet(path: Path, split: Split) -> Path:
    import pandas as pd

    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(np.column_stack([split.labels, split.features]),
                         columns=["label", *(f"f{i}" for i in range(split.features.shape[1]))])
    frame.to_parquet(path)
    return path
