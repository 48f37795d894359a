"""The pipeline definition's expression language: ``Get`` (parameters, execution variables, step
properties), ``Std:Join`` and ``Std:JsonGet``, plus the conditions of Condition steps."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sagecraft.core.errors import ValidationException

EXECUTION_VARIABLES = (
    "PipelineExecutionId",
    "PipelineName",
    "PipelineExecutionArn",
    "StartDateTime",
    "CurrentDateTime",
)
_TOKEN = re.compile(r"\.?([A-Za-z0-9_\-]+)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*(\d+)\s*\]")
# List items are indexed by their name: Outputs['x'] is the item whose OutputName is 'x'.
NAME_FIELDS = ("OutputName", "InputName", "ChannelName", "PropertyFileName", "Name", "MetricName", "TrainingJobName")


class ExpressionError(Exception):
    """An expression that cannot be evaluated; the step that holds it fails with this reason."""


def parse_path(path: str) -> list[str | int]:
    """``ProcessingOutputConfig.Outputs['x'].S3Output.S3Uri`` → ['ProcessingOutputConfig', 'Outputs', 'x', ...]
    (names as str, list positions as int)."""
    tokens: list[str | int] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None or match.end() == position:
            raise ValidationException(f"Invalid property path '{path}' at position {position}.")
        name, quoted, double, index = match.groups()
        tokens.append(int(index) if index is not None else (name or quoted or double or ""))
        position = match.end()
    return tokens


def references(value: Any) -> Iterator[str]:
    """Every ``Get`` target in a (nested) value."""
    if isinstance(value, dict):
        if set(value) == {"Get"} and isinstance(value["Get"], str):
            yield value["Get"]
            return
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def walk(data: Any, tokens: list[str | int], shown: str) -> Any:
    for token in tokens:
        if isinstance(data, list):
            if isinstance(token, int):
                if token >= len(data):
                    raise ExpressionError(f"{shown}: index {token} is out of range.")
                data = data[token]
                continue
            found = [
                item
                for item in data
                if isinstance(item, dict) and any(item.get(field) == token for field in NAME_FIELDS)
            ]
            if not found:
                raise ExpressionError(f"{shown}: no item named '{token}'.")
            data = found[0]
        elif isinstance(data, dict) and token in data:
            data = data[token]
        else:
            raise ExpressionError(f"{shown}: the property '{token}' is not set.")
    return data


@dataclass
class PropertyFileRef:
    step: str
    name: str


class Resolver:
    """Evaluates expressions for one execution. ``step_properties(name)`` is a finished step's
    properties; ``read_json(step, property_file)`` the parsed PropertyFile; ``read_uri(uri)`` an
    S3 object's bytes. ``symbolic`` leaves execution variables as placeholders (cache keys)."""

    def __init__(
        self,
        parameters: dict[str, Any],
        execution: dict[str, Any],
        step_properties: Callable[[str], dict[str, Any]],
        read_json: Callable[[PropertyFileRef], Any],
        read_uri: Callable[[str], bytes],
        symbolic: bool = False,
    ) -> None:
        self.parameters = parameters
        self.execution = execution
        self.step_properties = step_properties
        self.read_json = read_json
        self.read_uri = read_uri
        self.symbolic = symbolic

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, inner),) = value.items()
                if key == "Get" and isinstance(inner, str):
                    return self.get(inner)
                if key == "Std:Join":
                    return self.join(inner)
                if key == "Std:JsonGet":
                    return self.json_get(inner)
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def get(self, target: str) -> Any:
        head, _, rest = target.partition(".")
        if head == "Parameters":
            if rest not in self.parameters:
                raise ExpressionError(f"Parameter '{rest}' is not defined.")
            return self.parameters[rest]
        if head == "Execution":
            if self.symbolic:
                return "{" + target + "}"
            if rest not in self.execution:
                raise ExpressionError(f"Unknown execution variable '{rest}'.")
            value = self.execution[rest]
            return value() if callable(value) else value
        if head == "Steps":
            step, _, path = rest.partition(".")
            tokens = parse_path(path)
            if tokens[:1] == ["PropertyFiles"] and len(tokens) == 2:
                return PropertyFileRef(step, str(tokens[1]))
            found = walk(self.step_properties(step), tokens, target)
            if tokens[:1] == ["OutputParameters"] and isinstance(found, dict) and "Value" in found:
                return found["Value"]  # a callback's output: the value the callback sent
            return found
        raise ExpressionError(f"Cannot evaluate {{'Get': '{target}'}}.")

    def join(self, spec: dict[str, Any]) -> str:
        values = [self.resolve(v) for v in spec.get("Values") or []]
        return str(spec.get("On", "")).join(to_text(v) for v in values)

    def json_get(self, spec: dict[str, Any]) -> Any:
        if "S3Uri" in spec:
            uri = self.resolve(spec["S3Uri"])
            try:
                document = json.loads(self.read_uri(uri))
            except ValueError as error:
                raise ExpressionError(f"Std:JsonGet: {uri} is not JSON: {error}") from None
        else:
            ref = self.resolve(spec.get("PropertyFile"))
            if not isinstance(ref, PropertyFileRef):
                raise ExpressionError("Std:JsonGet needs a PropertyFile or an S3Uri.")
            document = self.read_json(ref)
        return walk(document, parse_path(str(spec.get("Path", ""))), f"Std:JsonGet path '{spec.get('Path')}'")


def to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


# -- conditions -----------------------------------------------------------------------------------

_COMPARE = {
    "Equals": lambda a, b: a == b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanOrEqualTo": lambda a, b: a >= b,
    "LessThan": lambda a, b: a < b,
    "LessThanOrEqualTo": lambda a, b: a <= b,
}
CONDITION_TYPES = (*_COMPARE, "In", "Not", "Or")


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """Numbers compare as numbers (a JsonGet float against a Float parameter, or text holding one)."""

    def number(value: Any) -> float | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return None
        return None

    a, b = number(left), number(right)
    if a is not None and b is not None and not (isinstance(left, str) and isinstance(right, str)):
        return a, b
    return left, right


def evaluate(condition: dict[str, Any], resolver: Resolver) -> bool:
    kind = condition.get("Type")
    if kind in _COMPARE:
        left, right = _comparable(
            resolver.resolve(condition.get("LeftValue")), resolver.resolve(condition.get("RightValue"))
        )
        try:
            return bool(_COMPARE[kind](left, right))
        except TypeError:
            raise ExpressionError(f"{kind}: cannot compare {left!r} with {right!r}.") from None
    if kind == "In":
        query = resolver.resolve(condition.get("QueryValue"))
        return any(
            _comparable(query, resolver.resolve(v))[0] == _comparable(query, resolver.resolve(v))[1]
            for v in condition.get("Values") or []
        )
    if kind == "Not":
        return not evaluate(condition.get("Expression") or {}, resolver)
    if kind == "Or":
        return any(evaluate(c, resolver) for c in condition.get("Conditions") or [])
    raise ExpressionError(f"Unknown condition type '{kind}'.")
