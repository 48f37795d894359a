"""Strategies: values within the declared ranges and scalings, Grid's order, seeded reproducibility."""

from __future__ import annotations

import itertools
import math

import pytest

from sagecraft.core.errors import ValidationException
from sagecraft.services.tuning.strategies import suggest, validate_ranges

RANGES = {
    "ContinuousParameterRanges": [
        {"Name": "lr", "MinValue": "0.001", "MaxValue": "1", "ScalingType": "Logarithmic"},
        {"Name": "momentum", "MinValue": "0.9", "MaxValue": "0.999", "ScalingType": "ReverseLogarithmic"}],
    "IntegerParameterRanges": [{"Name": "depth", "MinValue": "2", "MaxValue": "8"}],
    "CategoricalParameterRanges": [{"Name": "booster", "Values": ["gbtree", "dart"]}],
}


def _run(strategy: str, seed: int, count: int) -> list[dict[str, str]]:
    history, out = [], []
    for index in range(count):
        tuned, internal = suggest(strategy, RANGES, seed, index, True, history)
        history.append((internal, -abs(math.log(float(tuned["lr"])) + 3)))
        out.append(tuned)
    return out


@pytest.mark.parametrize("strategy", ["Random", "Bayesian"])
def test_values_stay_in_their_ranges_and_a_seed_reproduces_them(strategy):
    trials = _run(strategy, 3, 12)
    for tuned in trials:
        assert 0.001 <= float(tuned["lr"]) <= 1 and 0.9 <= float(tuned["momentum"]) <= 0.999
        assert 2 <= int(tuned["depth"]) <= 8 and tuned["booster"] in ("gbtree", "dart")
    assert _run(strategy, 3, 12) == trials
    assert _run(strategy, 4, 12) != trials


def test_logarithmic_scaling_spreads_over_orders_of_magnitude():
    values = [float(t["lr"]) for t in _run("Random", 1, 40)]
    assert sum(v < 0.03 for v in values) >= 10  # linear sampling would put ~3% below 0.03


def test_grid_walks_every_combination_once_then_stops():
    ranges = {"CategoricalParameterRanges": [{"Name": "a", "Values": ["1", "2", "3"]},
                                             {"Name": "b", "Values": ["x", "y"]}]}
    seen = []
    for index in itertools.count():
        suggestion = suggest("Grid", ranges, 0, index, True, [])
        if suggestion is None:
            break
        seen.append((suggestion[0]["a"], suggestion[0]["b"]))
    assert seen == list(itertools.product(["1", "2", "3"], ["x", "y"]))


@pytest.mark.parametrize("ranges", [
    {"IntegerParameterRanges": [{"Name": "n", "MinValue": "3", "MaxValue": "3"}]},
    {"ContinuousParameterRanges": [{"Name": "x", "MinValue": "-1", "MaxValue": "1", "ScalingType": "Logarithmic"}]},
    {"IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "9", "ScalingType": "ReverseLogarithmic"}]},
    {"ContinuousParameterRanges": [{"Name": "x", "MinValue": "a", "MaxValue": "1"}]},
    {"CategoricalParameterRanges": [{"Name": "c", "Values": ["a", "a"]}]},
    {},
])
def test_invalid_ranges(ranges):
    with pytest.raises(ValidationException):
        validate_ranges("Bayesian", ranges)
