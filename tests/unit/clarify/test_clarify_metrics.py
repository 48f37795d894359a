"""Clarify's pre-training bias metrics against hand computations from the developer guide's
definitions, on a ten-row dataset: 6 rows in the rest a (4 positive), 4 in the facet d (1 positive),
in two groups of five for CDDL."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sagecraft.executors.algorithms.clarify import metrics
from sagecraft.executors.algorithms.clarify.metrics import MetricUndefined

FACET = np.array([False] * 6 + [True] * 4)
POSITIVE = np.array([True, True, False, True, True, False, True, False, False, False])
GROUP = np.array(["g1", "g1", "g1", "g2", "g2", "g2", "g1", "g1", "g2", "g2"])
P_A = (2 / 6, 4 / 6)  # (negative, positive) label shares of a
P_D = (3 / 4, 1 / 4)


def _kl(p: tuple[float, ...], q: tuple[float, ...]) -> float:
    return sum(x * math.log(x / y) for x, y in zip(p, q, strict=True))


def test_class_imbalance_and_the_difference_in_positive_proportions():
    assert metrics.class_imbalance(FACET, POSITIVE) == pytest.approx((6 - 4) / 10)
    assert metrics.positive_proportion_difference(FACET, POSITIVE) == pytest.approx(4 / 6 - 1 / 4)


def test_the_label_distribution_distances():
    mean = tuple((a + d) / 2 for a, d in zip(P_A, P_D, strict=True))
    assert metrics.kl_divergence(FACET, POSITIVE) == pytest.approx(_kl(P_A, P_D))
    assert metrics.js_divergence(FACET, POSITIVE) == pytest.approx((_kl(P_A, mean) + _kl(P_D, mean)) / 2)
    assert metrics.lp_norm(FACET, POSITIVE) == pytest.approx(math.hypot(P_A[0] - P_D[0], P_A[1] - P_D[1]))
    assert metrics.total_variation_distance(FACET, POSITIVE) == pytest.approx(5 / 12)
    assert metrics.kolmogorov_smirnov(FACET, POSITIVE) == pytest.approx(5 / 12)


def test_conditional_demographic_disparity_weighs_each_group_by_its_size():
    # g1: d holds 1 of 3 accepted and 1 of 2 rejected (DD 1/6); g2: 0 of 2 and 2 of 3 (DD 2/3).
    expected = (5 * (1 / 2 - 1 / 3) + 5 * (2 / 3 - 0)) / 10
    assert metrics.conditional_demographic_disparity(FACET, POSITIVE, GROUP) == pytest.approx(expected)
    with pytest.raises(MetricUndefined, match="Group variable is empty or not provided"):
        metrics.conditional_demographic_disparity(FACET, POSITIVE, None)


def test_a_label_class_one_group_lacks_is_left_out_of_the_distributions():
    positive = POSITIVE & ~FACET  # d has no positive label: only the negative class is shared
    assert metrics.kl_divergence(FACET, positive) == pytest.approx((2 / 6) * math.log((2 / 6) / 1.0))
    assert metrics.total_variation_distance(FACET, positive) == pytest.approx(0.5 * abs(2 / 6 - 1.0))


def test_empty_groups_leave_the_metrics_undefined():
    everyone = np.ones(10, dtype=bool)
    with pytest.raises(MetricUndefined, match="Negated facet set is empty"):
        metrics.class_imbalance(everyone, POSITIVE)
    with pytest.raises(MetricUndefined, match="Facet set is empty"):
        metrics.positive_proportion_difference(~everyone, POSITIVE)
    with pytest.raises(MetricUndefined, match="No positive labels"):
        metrics.conditional_demographic_disparity(FACET, ~everyone, GROUP)
