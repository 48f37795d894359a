"""A pipeline definition (Version 2020-12-01) parsed and checked: its parameters, its steps with
the Condition branches flattened, and each step's dependencies (DependsOn, property references,
the Condition that gates it). Create/Update reject what cannot run, naming the problem."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.model import Shape

from sagecraft.api.models import service_model
from sagecraft.core.errors import ValidationException
from sagecraft.services.pipelines import expressions, policies
from sagecraft.services.pipelines.kinds import EXTRA_PROPERTIES, INTERNAL, KINDS

PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")
INTERNAL_PROPERTIES = {"Condition": ("Outcome",), "Callback": ("OutputParameters",), "Fail": ()}
# A QualityCheck step's own members (beside its Arguments) and the only properties it exposes.
CHECK_FIELDS = (
    "CheckType",
    "SkipCheck",
    "FailOnViolation",
    "RegisterNewBaseline",
    "ModelPackageGroupName",
    "SuppliedBaselineStatistics",
    "SuppliedBaselineConstraints",
)
CHECK_TYPES = ("DATA_QUALITY", "MODEL_QUALITY")
CHECK_PROPERTIES = (
    "CalculatedBaselineStatistics",
    "CalculatedBaselineConstraints",
    "BaselineUsedForDriftCheckStatistics",
    "BaselineUsedForDriftCheckConstraints",
)
# A ClarifyCheck step: the check types Sagecraft runs (MODEL_BIAS, MODEL_EXPLAINABILITY not yet), its properties.
CLARIFY_CHECK_TYPES = ("DATA_BIAS",)
CLARIFY_PROPERTIES = ("CalculatedBaselineConstraints", "BaselineUsedForDriftCheckConstraints")


@dataclass
class StepDef:
    name: str
    step_type: str
    arguments: dict[str, Any]
    depends_on: list[str] = field(default_factory=list)
    cache: dict[str, Any] | None = None
    retry_policies: list[dict[str, Any]] = field(default_factory=list)
    property_files: list[dict[str, Any]] = field(default_factory=list)
    gate: tuple[str, bool] | None = None  # (condition step, outcome) that must hold for it to run
    needs: set[str] = field(default_factory=set)  # every step that must succeed first
    check: dict[str, Any] = field(default_factory=dict)  # a QualityCheck / ClarifyCheck step's CHECK_FIELDS

    @property
    def cache_enabled(self) -> bool:
        return bool(self.cache and self.cache.get("Enabled"))


@dataclass
class Definition:
    parameters: dict[str, dict[str, Any]]
    steps: dict[str, StepDef]  # in definition order
    raw: dict[str, Any]


def parse(text: str) -> Definition:
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise ValidationException(f"Unable to parse pipeline definition: {error}") from None
    if not isinstance(raw, dict):
        raise ValidationException("Unable to parse pipeline definition: it is not a JSON object.")
    if raw.get("Version") not in (None, "2020-12-01"):
        raise ValidationException(
            f"Unsupported pipeline definition version '{raw.get('Version')}': expected 2020-12-01."
        )
    parameters: dict[str, dict[str, Any]] = {}
    for item in raw.get("Parameters") or []:
        name, kind = item.get("Name"), item.get("Type", "String")
        if not name or kind not in PARAMETER_TYPES:
            raise ValidationException(
                f"Invalid parameter {json.dumps(item)}: it needs a Name and a Type among {', '.join(PARAMETER_TYPES)}."
            )
        if name in parameters:
            raise ValidationException(f"Parameter '{name}' is defined more than once.")
        parameters[name] = item
    steps: dict[str, StepDef] = {}
    _collect(raw.get("Steps"), steps, None)
    if not steps:
        raise ValidationException("The pipeline definition has no steps.")
    definition = Definition(parameters, steps, raw)
    for step in steps.values():
        _link(definition, step)
    _check_cycles(steps)
    return definition


def _collect(items: Any, steps: dict[str, StepDef], gate: tuple[str, bool] | None) -> None:
    if not isinstance(items, list):
        raise ValidationException("Invalid pipeline definition: 'Steps' must be a list of steps.")
    for item in items:
        if not isinstance(item, dict) or not item.get("Name") or not item.get("Type"):
            raise ValidationException(f"Invalid step {json.dumps(item)[:200]}: a step needs a Name and a Type.")
        name, kind = item["Name"], item["Type"]
        if name in steps:
            raise ValidationException(f"Step name '{name}' is used more than once in the pipeline definition.")
        if kind not in KINDS and kind not in INTERNAL:
            raise ValidationException(
                f"Step '{name}' has type '{kind}', which is not supported by Sagecraft yet "
                f"(supported: {', '.join(sorted({*KINDS, *INTERNAL}))})."
            )
        arguments = item.get("Arguments") or {}
        if not isinstance(arguments, dict):
            raise ValidationException(f"Step '{name}': Arguments must be a JSON object.")
        steps[name] = StepDef(
            name,
            kind,
            arguments,
            list(item.get("DependsOn") or []),
            item.get("CacheConfig"),
            list(item.get("RetryPolicies") or []),
            list(item.get("PropertyFiles") or []),
            gate,
        )
        _check_policies(steps[name])
        if kind == "QualityCheck":
            steps[name].check = {key: item[key] for key in CHECK_FIELDS if item.get(key) is not None}
            if steps[name].check.get("CheckType") not in CHECK_TYPES:
                raise ValidationException(
                    f"Step '{name}': CheckType must be one of {', '.join(CHECK_TYPES)}, not {item.get('CheckType')!r}."
                )
        if kind == "ClarifyCheck":
            steps[name].check = {key: item[key] for key in CHECK_FIELDS if item.get(key) is not None}
            if steps[name].check.get("CheckType") not in CLARIFY_CHECK_TYPES:
                raise ValidationException(
                    f"Step '{name}': the ClarifyCheck CheckType {item.get('CheckType')!r} is not supported by "
                    f"Sagecraft yet (supported: {', '.join(CLARIFY_CHECK_TYPES)}, a DataBiasCheckConfig)."
                )
        if kind == "Condition":
            for condition in arguments.get("Conditions") or []:
                _check_condition(name, condition)
            _collect(arguments.get("IfSteps") or [], steps, (name, True))
            _collect(arguments.get("ElseSteps") or [], steps, (name, False))


def _check_policies(step: StepDef) -> None:
    expiry = (step.cache or {}).get("ExpireAfter")
    if step.cache_enabled and not policies.valid_expiry(expiry):
        raise ValidationException(
            f"Step '{step.name}': CacheConfig.ExpireAfter '{expiry}' is not an ISO 8601 duration."
        )
    for policy in step.retry_policies:
        unknown = [t for t in policy.get("ExceptionType") or [] if t not in policies.EXCEPTION_TYPES]
        if unknown or not policy.get("ExceptionType"):
            raise ValidationException(
                f"Step '{step.name}': RetryPolicies ExceptionType must be among "
                f"{', '.join(policies.EXCEPTION_TYPES)} (got {unknown or 'none'})."
            )


def _check_condition(step: str, condition: dict[str, Any]) -> None:
    if condition.get("Type") not in expressions.CONDITION_TYPES:
        raise ValidationException(
            f"Condition step '{step}' uses the condition type '{condition.get('Type')}'; "
            f"supported: {', '.join(expressions.CONDITION_TYPES)}."
        )
    for inner in [condition.get("Expression")] if condition.get("Type") == "Not" else []:
        _check_condition(step, inner or {})
    for inner in condition.get("Conditions") or [] if condition.get("Type") == "Or" else []:
        _check_condition(step, inner)


def _link(definition: Definition, step: StepDef) -> None:
    steps = definition.steps
    for name in step.depends_on:
        if name not in steps:
            raise ValidationException(f"Step '{step.name}' depends on step '{name}', which does not exist.")
        step.needs.add(name)
    if step.gate:
        step.needs.add(step.gate[0])
    own = step.arguments
    if step.step_type == "Condition":  # its branches are steps of their own
        own = {k: v for k, v in own.items() if k not in ("IfSteps", "ElseSteps")}
    for target in expressions.references({**own, **step.check}):
        head, _, rest = target.partition(".")
        if head == "Parameters":
            if rest not in definition.parameters:
                raise ValidationException(
                    f"Step '{step.name}' references the parameter '{rest}', which is not "
                    "defined in the pipeline's Parameters."
                )
        elif head == "Execution":
            if rest not in expressions.EXECUTION_VARIABLES:
                raise ValidationException(
                    f"Step '{step.name}' references the execution variable '{rest}', which does not exist."
                )
        elif head == "Steps":
            source, _, path = rest.partition(".")
            if source not in steps:
                raise ValidationException(f"Step '{step.name}' references step '{source}', which does not exist.")
            if source == step.name:
                raise ValidationException(f"Step '{step.name}' references its own properties.")
            _check_property(step.name, steps[source], path)
            step.needs.add(source)
        else:
            raise ValidationException(f"Step '{step.name}' has an invalid expression {{'Get': '{target}'}}.")


def _check_property(user: str, source: StepDef, path: str) -> None:
    tokens = expressions.parse_path(path) if path else []
    shown = f"Steps.{source.name}.{path}"
    if not tokens:
        raise ValidationException(f"Step '{user}' references '{shown}', which names no property.")
    first = tokens[0]
    if first == "PropertyFiles" and "PropertyFiles" in EXTRA_PROPERTIES.get(source.step_type, ()):
        files = {f.get("PropertyFileName") for f in source.property_files}
        if len(tokens) != 2 or tokens[1] not in files:
            raise ValidationException(
                f"Step '{user}' references '{shown}': step '{source.name}' has no such "
                f"property file (it has: {', '.join(sorted(map(str, files))) or 'none'})."
            )
        return
    if source.step_type == "QualityCheck":
        if first not in CHECK_PROPERTIES or len(tokens) != 1:
            raise ValidationException(
                f"Step '{user}' references '{shown}': a QualityCheck step's properties are "
                f"{', '.join(CHECK_PROPERTIES)}."
            )
        return
    if source.step_type == "ClarifyCheck":
        if first not in CLARIFY_PROPERTIES or len(tokens) != 1:
            raise ValidationException(
                f"Step '{user}' references '{shown}': a ClarifyCheck step's properties are "
                f"{', '.join(CLARIFY_PROPERTIES)}."
            )
        return
    if source.step_type in INTERNAL_PROPERTIES:
        if first not in INTERNAL_PROPERTIES[source.step_type]:
            raise ValidationException(
                f"Step '{user}' references '{shown}': a {source.step_type} step has no property '{first}'."
            )
        return
    if first in EXTRA_PROPERTIES.get(source.step_type, ()):
        return
    kind = KINDS[source.step_type]
    shape = service_model("sagemaker").operation_model(kind.describe).output_shape
    problem = _shape_problem(shape, tokens)
    if problem:
        raise ValidationException(
            f"Step '{user}' references '{shown}', which is not a property of a {source.step_type} step: {problem}."
        )


def _shape_problem(shape: Shape, tokens: list[str | int]) -> str | None:
    for token in tokens:
        if shape.type_name == "structure":
            if token not in shape.members:
                return f"'{token}' is not a member of {shape.name}"
            shape = shape.members[token]
        elif shape.type_name == "list":
            shape = shape.member
        elif shape.type_name == "map":
            shape = shape.value
        else:
            return f"'{token}' goes past the {shape.type_name} value"
    return None


def _check_cycles(steps: dict[str, StepDef]) -> None:
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            loop = [*trail[trail.index(name) :], name]
            raise ValidationException(f"The pipeline definition has a cycle: {' -> '.join(loop)}.")
        state[name] = 1
        for need in sorted(steps[name].needs):
            visit(need, [*trail, name])
        state[name] = 2

    for name in steps:
        visit(name, [])


def cast_parameter(spec: dict[str, Any], value: Any) -> Any:
    """A parameter's value as its Type says (start parameters arrive as strings)."""
    kind, name = spec.get("Type", "String"), spec["Name"]
    try:
        if kind == "Integer":
            return value if isinstance(value, int) and not isinstance(value, bool) else int(str(value))
        if kind == "Float":
            return float(value)
        if kind == "Boolean":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            raise ValueError(value)
        return str(value) if not isinstance(value, str) else value
    except (TypeError, ValueError):
        raise ValidationException(f"Parameter '{name}' of type {kind} cannot take the value '{value}'.") from None


def resolve_parameters(definition: Definition, given: list[dict[str, str]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in given:
        name = item.get("Name")
        if name not in definition.parameters:
            raise ValidationException(f"Parameter '{name}' is not defined in the pipeline definition.")
        values[name] = cast_parameter(definition.parameters[name], item.get("Value"))
    for name, spec in definition.parameters.items():
        if name not in values:
            if "DefaultValue" not in spec:
                raise ValidationException(f"Parameter '{name}' has no default value: it must be given.")
            values[name] = cast_parameter(spec, spec["DefaultValue"])
    return values
