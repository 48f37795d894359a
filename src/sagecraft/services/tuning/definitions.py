"""The training job definitions of a tuning job, single- or multi-algorithm alike. Pure.

A request has either one ``TrainingJobDefinition`` (its objective and ranges live in
``HyperParameterTuningJobConfig``) or up to 10 ``TrainingJobDefinitions`` (multi-algorithm tuning:
each names itself and carries its own ``TuningObjective`` and ``HyperParameterRanges``). The rest of
the capability sees both as a list of ``Definition``.

Which definition a trial uses (SageMaker does not document its choice): Random and Bayesian take
them in turn (trial i uses definition i mod n), so each gets an even share of the budget; Grid walks
the first definition's combinations, then the next one's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sagecraft.services.tuning import strategies


@dataclass(frozen=True)
class Definition:
    name: str | None  # DefinitionName; None for a single TrainingJobDefinition
    body: Mapping[str, Any]  # the HyperParameterTrainingJobDefinition as sent
    objective: Mapping[str, str]
    ranges: Mapping[str, Any]


def of(request: Mapping[str, Any]) -> list[Definition]:
    config = request["HyperParameterTuningJobConfig"]
    many = request.get("TrainingJobDefinitions")
    if many:
        return [Definition(d.get("DefinitionName"), d, d.get("TuningObjective") or {},
                           d.get("HyperParameterRanges") or {}) for d in many]
    return [Definition(None, request["TrainingJobDefinition"], config.get("HyperParameterTuningJobObjective") or {},
                       config.get("ParameterRanges") or {})]


def named(request: Mapping[str, Any], name: str | None) -> Definition:
    """The definition a trial recorded (the first one for trials recorded before definitions were named)."""
    found = of(request)
    return next((d for d in found if d.name == name), found[0])


def grid_size(found: Sequence[Definition]) -> int:
    return sum(strategies.grid_size(d.ranges) for d in found)


def pick(strategy: str, found: Sequence[Definition], index: int) -> tuple[Definition, int] | None:
    """The definition trial ``index`` (0-based) uses, and the trial's index among that definition's
    trials; None when Grid has walked every combination."""
    if strategy != "Grid":
        return found[index % len(found)], index // len(found)
    for definition in found:
        size = strategies.grid_size(definition.ranges)
        if index < size:
            return definition, index
        index -= size
    return None
