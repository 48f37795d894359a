"""Search strategies: ParameterRanges validated as SageMaker does, and the next trial's values.

Bayesian (and Hyperband, whose stopping lives in hyperband.py) uses Optuna's TPE sampler, Random
its random sampler, Grid walks every combination of the categorical ranges in order. The sampler is
rebuilt from the stored trials at each suggestion (no state but the database), seeded from RandomSeed
and the trial's index, so a restart changes nothing.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

from sagecraft.core.errors import ValidationException

optuna.logging.set_verbosity(optuna.logging.WARNING)

STRATEGIES = ("Bayesian", "Random", "Grid", "Hyperband")  # Hyperband samples as Bayesian does
MAX_GRID_COMBINATIONS = 10_000
MAX_PARAMETERS = 30  # SageMaker tunes at most 30 hyperparameters at once
STARTUP_TRIALS = 5  # Bayesian: random trials before TPE models the objective


def _number(value: str, name: str, kind: type) -> float:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValidationException(f"The value '{value}' of hyperparameter '{name}' is not a valid "
                                  f"{'integer' if kind is int else 'number'}.") from None


def validate_ranges(strategy: str, ranges: Mapping[str, Any]) -> None:
    """ValidationException for what SageMaker refuses: bad bounds, bad scaling, Grid with numeric ranges."""
    names: list[str] = []
    for key, kind in (("ContinuousParameterRanges", float), ("IntegerParameterRanges", int)):
        for item in ranges.get(key) or []:
            name = item["Name"]
            names.append(name)
            if strategy == "Grid":
                raise ValidationException(
                    f"The Grid search strategy supports only categorical parameters; '{name}' is in {key}.")
            low, high = _number(item["MinValue"], name, kind), _number(item["MaxValue"], name, kind)
            if low >= high:
                raise ValidationException(f"The MinValue ({item['MinValue']}) of hyperparameter '{name}' must be "
                                          f"less than its MaxValue ({item['MaxValue']}).")
            scaling = item.get("ScalingType") or "Auto"
            if scaling == "Logarithmic" and low <= 0:
                raise ValidationException(f"Hyperparameter '{name}' uses Logarithmic scaling, which needs "
                                          "MinValue and MaxValue greater than 0.")
            if scaling == "ReverseLogarithmic":
                if kind is int:
                    raise ValidationException(f"Hyperparameter '{name}': ReverseLogarithmic scaling applies "
                                              "only to continuous parameters.")
                if low < 0 or high >= 1:
                    raise ValidationException(f"Hyperparameter '{name}' uses ReverseLogarithmic scaling, which "
                                              "needs 0 <= MinValue < MaxValue < 1.")
    for item in ranges.get("CategoricalParameterRanges") or []:
        names.append(item["Name"])
        if len(set(item["Values"])) != len(item["Values"]):
            raise ValidationException(f"The values of categorical hyperparameter '{item['Name']}' must be unique.")
    if not names:
        raise ValidationException("ParameterRanges must declare at least one hyperparameter to tune.")
    if len(names) > MAX_PARAMETERS:
        raise ValidationException(f"At most {MAX_PARAMETERS} hyperparameters can be tuned; {len(names)} are given.")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationException(f"Hyperparameters declared in more than one range: {', '.join(duplicates)}.")
    if strategy == "Grid" and grid_size(ranges) > MAX_GRID_COMBINATIONS:
        raise ValidationException(f"The Grid search strategy allows at most {MAX_GRID_COMBINATIONS} combinations "
                                  f"of values; these ranges have {grid_size(ranges)}.")


def grid_size(ranges: Mapping[str, Any]) -> int:
    return math.prod(len(item["Values"]) for item in ranges.get("CategoricalParameterRanges") or [])


def _distributions(ranges: Mapping[str, Any]) -> dict[str, BaseDistribution]:
    out: dict[str, BaseDistribution] = {}
    for item in ranges.get("ContinuousParameterRanges") or []:
        low, high, scaling = float(item["MinValue"]), float(item["MaxValue"]), item.get("ScalingType") or "Auto"
        if scaling == "ReverseLogarithmic":  # sampled as log(1 - x), uniformly
            out[item["Name"]] = FloatDistribution(math.log(1 - high), math.log(1 - low))
        else:
            out[item["Name"]] = FloatDistribution(low, high, log=scaling == "Logarithmic")
    for item in ranges.get("IntegerParameterRanges") or []:
        out[item["Name"]] = IntDistribution(int(item["MinValue"]), int(item["MaxValue"]),
                                            log=(item.get("ScalingType") or "Auto") == "Logarithmic")
    for item in ranges.get("CategoricalParameterRanges") or []:
        out[item["Name"]] = CategoricalDistribution(list(item["Values"]))
    return out


def _external(ranges: Mapping[str, Any], internal: Mapping[str, Any]) -> dict[str, str]:
    """The sampler's values as the hyperparameter strings the child job receives."""
    reverse = {item["Name"] for item in ranges.get("ContinuousParameterRanges") or []
               if item.get("ScalingType") == "ReverseLogarithmic"}
    out: dict[str, str] = {}
    for name, value in internal.items():
        if name in reverse:
            value = 1 - math.exp(value)
        out[name] = repr(float(value)) if isinstance(value, float) else str(value)
    return out


def internal_values(ranges: Mapping[str, Any], external: Mapping[str, str]) -> dict[str, Any] | None:
    """The sampler's values of hyperparameter strings (a parent trial's, for warm start), or None when
    one is missing or outside the ranges."""
    out: dict[str, Any] = {}
    for name, distribution in _distributions(ranges).items():
        raw = external.get(name)
        if raw is None:
            return None
        try:
            if isinstance(distribution, CategoricalDistribution):
                value: Any = raw
            elif isinstance(distribution, IntDistribution):
                value = int(float(raw))
            else:
                value = float(raw)
                reverse = any(item["Name"] == name and item.get("ScalingType") == "ReverseLogarithmic"
                              for item in ranges.get("ContinuousParameterRanges") or [])
                value = math.log(1 - value) if reverse else value
            if not distribution._contains(distribution.to_internal_repr(value)):
                return None
        except (TypeError, ValueError):  # not a number, a value outside the choices, log(1 - x) of x >= 1
            return None
        out[name] = value
    return out


def suggest(strategy: str, ranges: Mapping[str, Any], seed: int, index: int, maximize: bool,
            history: Sequence[tuple[Mapping[str, Any], float | None]]) -> tuple[dict[str, str], dict[str, Any]] | None:
    """(tuned values, sampler values) for trial ``index`` (0-based), or None when the strategy has no more.

    ``history``: the earlier trials' sampler values with their objective (None if they reported none).
    """
    if strategy == "Grid":
        items = ranges.get("CategoricalParameterRanges") or []
        combinations = itertools.islice(itertools.product(*(item["Values"] for item in items)), index, None)
        values = next(combinations, None)
        if values is None:
            return None
        internal = {item["Name"]: value for item, value in zip(items, values, strict=True)}
        return dict(internal), internal
    distributions = _distributions(ranges)
    trial_seed = (seed * 1_000_003 + index) % (2**32)
    if strategy == "Random":
        sampler: optuna.samplers.BaseSampler = optuna.samplers.RandomSampler(seed=trial_seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=trial_seed, n_startup_trials=STARTUP_TRIALS)
    study = optuna.create_study(direction="maximize" if maximize else "minimize", sampler=sampler)
    for params, value in history:
        if set(params) != set(distributions):
            continue
        state = TrialState.COMPLETE if value is not None and math.isfinite(value) else TrialState.FAIL
        study.add_trial(create_trial(params=dict(params), distributions=distributions, state=state,
                                     value=value if state is TrialState.COMPLETE else None))
    trial = study.ask(distributions)
    return _external(ranges, trial.params), dict(trial.params)
