"""Hyperband's replay of per-epoch values through Optuna's pruner, warm-start seeds, convergence."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from test_strategies import RANGES

from sagecraft.core.errors import ValidationException
from sagecraft.services.tuning import hyperband, warm_start
from sagecraft.services.tuning.models import ChildResult, Trial
from sagecraft.services.tuning.progress import Progress
from sagecraft.services.tuning.strategies import internal_values, suggest


def _child(index: int, quality: float, epochs: int, status: str = "InProgress") -> ChildResult:
    values = [quality * (1 - 0.5 ** e) for e in range(1, epochs + 1)]
    return ChildResult(Trial(index, f"t{index}", {}, {}), f"t{index}", None, status,
                       objective=values[-1] if status == "Completed" else None, values=values)


def test_a_trial_behind_the_first_at_its_rung_is_stopped_and_the_rungs_are_kept():
    # trials 0 and 2 share bracket 0 of this study (rungs at epochs 1, 3, 9)
    done, poor = _child(0, 0.9, 9, "Completed"), _child(2, 0.5, 2)
    children = [done, _child(1, 0.1, 0, "Failed"), poor]
    rungs, stop = hyperband.decide(children, True, 1, 9, set(), {})
    assert [c.name for c in stop] == ["t2"]
    assert rungs["t0"] == {"step": 9, "attrs": {"completed_rung_0": 0.45, "completed_rung_1": pytest.approx(0.7875)}}
    assert rungs["t2"]["step"] == 1  # stopped at its first rung
    again, stop_again = hyperband.decide(children, True, 1, 9, {"t2"}, rungs)  # t2 now being stopped
    assert again == rungs and [c.name for c in stop_again] == []  # nothing new to replay


def test_a_better_trial_goes_on_and_a_trial_at_max_resource_is_stopped():
    children = [_child(0, 0.5, 9, "Completed"), _child(1, 0.1, 0, "Failed"), _child(2, 0.9, 4)]
    assert hyperband.decide(children, True, 1, 9, set(), {})[1] == []
    children[2] = _child(2, 0.9, 9)
    assert [c.name for c in hyperband.decide(children, True, 1, 9, set(), {})[1]] == ["t2"]


def test_minimizing_stops_the_higher_value():
    children = [_child(0, 0.1, 9, "Completed"), _child(1, 0.1, 0, "Failed"), _child(2, 0.9, 2)]
    assert [c.name for c in hyperband.decide(children, False, 1, 9, set(), {})[1]] == ["t2"]


def _request(**settings) -> dict:
    config = {"Strategy": "Hyperband", "StrategyConfig": {"HyperbandStrategyConfig": settings}}
    return {"HyperParameterTuningJobConfig": config,
            "TrainingJobDefinition": {"StaticHyperParameters": {"epochs": '"12"'}}}


def test_max_resource_is_given_or_inferred_from_the_epochs():
    assert hyperband.resources(_request(MinResource=2, MaxResource=30)) == (2, 30)
    assert hyperband.resources(_request()) == (1, 12)
    request = _request()
    request["TrainingJobDefinition"]["StaticHyperParameters"] = {}
    with pytest.raises(ValidationException, match="MaxResource"):
        hyperband.resources(request)


def test_seeds_convert_to_the_new_ranges_and_those_outside_are_left_out():
    inside = {"lr": "0.01", "momentum": "0.95", "depth": "4", "booster": "dart"}
    internal = internal_values(RANGES, inside)
    assert internal == {"lr": 0.01, "momentum": pytest.approx(math.log(0.05)), "depth": 4, "booster": "dart"}
    for change in ({"lr": "5"}, {"depth": "9"}, {"booster": "linear"}, {"momentum": "1.5"}, {"lr": "x"}):
        assert internal_values(RANGES, {**inside, **change}) is None
    assert internal_values(RANGES, {k: v for k, v in inside.items() if k != "depth"}) is None
    state = {"warm_start": {"seeds": [{"values": inside, "objective": 0.5},
                                      {"values": {**inside, "depth": "20"}, "objective": 0.9}]}}
    assert warm_start.history(RANGES, state) == [(internal, 0.5)]


def test_seeds_steer_the_bayesian_sampler():
    seeds = [({"lr": lr, "momentum": math.log(0.05), "depth": 4, "booster": "dart"}, -abs(math.log(lr) + 3))
             for lr in (0.001, 0.002, 0.04, 0.05, 0.06, 0.3, 0.5, 0.9)]
    cold = suggest("Bayesian", RANGES, 0, 0, True, [])[0]
    warm = suggest("Bayesian", RANGES, 0, 0, True, seeds)[0]
    assert cold != warm  # with the seeds TPE models the objective from the first trial on


def _ended(values: list[float]) -> list[ChildResult]:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    return [ChildResult(Trial(i, f"t{i}", {}, {}), f"t{i}", None, "Completed",
                        ended_at=start + dt.timedelta(seconds=i), objective=v) for i, v in enumerate(values)]


@pytest.mark.parametrize("values, maximize, converged", [
    ([0.5] * 9, True, False),  # too few trials to tell
    ([0.5] * 5 + [0.9] + [0.5] * 4, True, False),  # improved by far within the last five
    ([0.9] + [0.5] * 4 + [0.905] * 5, True, True),  # improved by less than 1%
    ([0.9] + [0.5] * 8 + [0.95], True, False),
    ([1.0] + [2.0] * 4 + [0.995] * 5, False, True),
    ([1.0] + [2.0] * 4 + [0.9] * 5, False, False),
])
def test_convergence_is_less_than_one_percent_over_the_last_five_trials(values, maximize, converged):
    assert Progress(_ended(values), maximize).converged() is converged
