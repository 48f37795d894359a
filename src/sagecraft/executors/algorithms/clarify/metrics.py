"""Clarify's pre-training bias metrics, as the SageMaker developer guide defines them.

Every metric compares the facet's sensitive group d (``facet`` True) with the rest a, over the
binary label (``positive`` True when the label is among label_values_or_threshold). The label
distributions of KL, JS, LP, TVD and KS are taken, as Clarify takes them, over the label classes
that both groups have (a class one group lacks is left out rather than making KL infinite).
A metric that cannot be computed raises MetricUndefined; the report carries its message."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.bool_]

DESCRIPTIONS = {
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "KL": "Kullback-Liebler Divergence (KL)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
}


class MetricUndefined(ValueError):
    """The metric has no value on this data (an empty group, no positive labels…)."""


def _sizes(facet: Mask) -> tuple[int, int]:
    n_d = int(facet.sum())
    n_a = int(facet.size - n_d)
    if n_d == 0:
        raise MetricUndefined("Facet set is empty: no row has the facet's value or threshold.")
    if n_a == 0:
        raise MetricUndefined("Negated facet set is empty: every row has the facet's value or threshold.")
    return n_a, n_d


def class_imbalance(facet: Mask, positive: Mask, group: npt.NDArray | None = None) -> float:
    """CI = (n_a - n_d) / (n_a + n_d)."""
    n_a, n_d = _sizes(facet)
    return (n_a - n_d) / (n_a + n_d)


def positive_proportion_difference(facet: Mask, positive: Mask, group: npt.NDArray | None = None) -> float:
    """DPL = q_a - q_d, q the share of positive labels in a group."""
    n_a, n_d = _sizes(facet)
    return int((positive & ~facet).sum()) / n_a - int((positive & facet).sum()) / n_d


def _label_distributions(facet: Mask, positive: Mask) -> tuple[npt.NDArray, npt.NDArray]:
    n_a, n_d = _sizes(facet)
    p_a = np.array([(~positive & ~facet).sum() / n_a, (positive & ~facet).sum() / n_a])
    p_d = np.array([(~positive & facet).sum() / n_d, (positive & facet).sum() / n_d])
    shared = (p_a > 0) & (p_d > 0)
    if not shared.any():
        raise MetricUndefined("No instance of common facet found, dataset may be too small")
    return p_a[shared], p_d[shared]


def kl_divergence(facet: Mask, positive: Mask, group: npt.NDArray | None = None) -> float:
    """KL = sum_y P_a(y) ln(P_a(y) / P_d(y))."""
    p_a, p_d = _label_distributions(facet, positive)
    return float(np.sum(p_a * np.log(p_a / p_d)))


def js_divergence(facet: Mask, positive: Mask, group: npt.NDArray | None = None) -> float:
    """JS = (KL(P_a, P) + KL(P_d, P)) / 2 with P = (P_a + P_d) / 2."""
    p_a, p_d = _label_distributions(facet, positive)
    mean = (p_a + p_d) / 2
    return float(0.5 * (np.sum(p_a * np.log(p_a / mean)) + np.sum(p_d * np.log(p_d / mean))))


def lp_norm(facet: Mask, positive: Mask, group: npt.NDArray | None = None) -> float:
    """LP = the Euclidean (p = 2) norm of P_a - P_d."""
    p_a, p_d = _label_distributions(facet, positive)
    return float(np.linalg.norm(p_a - p_d, 2))


def total_variation_distance(facet: Mask, positive: Mask, group: npt.NDArray | None = None) -> float:
    """TVD = half the L1 norm of P_a - P_d."""
    p_a, p_d = _label_distributions(facet, positive)
    return float(0.5 * np.sum(np.abs(p_a - p_d)))


def kolmogorov_smirnov(facet: Mask, positive: Mask, group: npt.NDArray | None = None) -> float:
    """KS = max_y |P_a(y) - P_d(y)|."""
    p_a, p_d = _label_distributions(facet, positive)
    return float(np.max(np.abs(p_a - p_d)))


def conditional_demographic_disparity(facet: Mask, positive: Mask, group: npt.NDArray | None = None) -> float:
    """CDDL = sum_i n_i DD_i / n over the groups i of group_variable, where DD_i = (d's share of the
    group's rejected labels) - (d's share of its accepted labels)."""
    if group is None or group.size == 0:
        raise MetricUndefined("Group variable is empty or not provided")
    if not positive.any():
        raise MetricUndefined("No positive labels in set")
    if positive.all():
        raise MetricUndefined("No negative labels in set")
    weighted, total = 0.0, 0
    for value in np.unique(group):
        member = group == value
        accepted, rejected = member & positive, member & ~positive
        share_accepted = (accepted & facet).sum() / accepted.sum() if accepted.any() else 0.0
        share_rejected = (rejected & facet).sum() / rejected.sum() if rejected.any() else 0.0
        weighted += int(member.sum()) * (share_rejected - share_accepted)
        total += int(member.sum())
    return float(weighted / total)


Metric = Callable[[Mask, Mask, "npt.NDArray | None"], float]
PRE_TRAINING: dict[str, Metric] = {
    "CDDL": conditional_demographic_disparity,
    "CI": class_imbalance,
    "DPL": positive_proportion_difference,
    "JS": js_divergence,
    "KL": kl_divergence,
    "KS": kolmogorov_smirnov,
    "LP": lp_norm,
    "TVD": total_variation_distance,
}
