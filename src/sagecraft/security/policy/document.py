"""Policy documents parsed once into immutable statements, validated the way IAM validates them.

Three kinds: identity policies (no Principal, Resource required), resource-based policies (bucket,
key, model package group policies: Principal required) and trust policies (a role's
AssumeRolePolicyDocument: Principal required, no Resource). A fault raises
``MalformedPolicyDocument`` with a message saying what is wrong."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from sagecraft.core.errors import ClientError
from sagecraft.security.policy.conditions import Condition, parse_operator
from sagecraft.security.policy.patterns import action_matches

PolicyKind = Literal["identity", "resource", "trust"]
VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_LEVEL = {"Version", "Id", "Statement"}
_STATEMENT_ELEMENTS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                       "NotResource", "Condition"}


class MalformedPolicyDocument(ClientError):
    code = "MalformedPolicyDocument"


@dataclass(frozen=True)
class Statement:
    sid: str | None
    effect: Literal["Allow", "Deny"]
    actions: tuple[str, ...]
    not_action: bool  # True: ``actions`` came from NotAction
    resources: tuple[str, ...] | None  # None: the statement names no resource (trust policies)
    not_resource: bool
    principals: dict[str, tuple[str, ...]] | None  # {"AWS": (...), "Service": (...)}; {"*": ("*",)}
    not_principal: bool
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class PolicyDocument:
    version: str
    statements: tuple[Statement, ...]
    uses_variables: bool  # only Version 2012-10-17 expands ${...}; 2008-10-17 reads them literally
    _by_action: dict[str, tuple[Statement, ...]] = field(default_factory=dict, compare=False, repr=False)

    def statements_for(self, action: str) -> tuple[Statement, ...]:
        """The statements whose Action / NotAction covers ``action``: they depend on nothing else in
        the request, so each document remembers them per action (evaluation runs on every call)."""
        key = action.lower()
        found = self._by_action.get(key)
        if found is None:
            found = tuple(s for s in self.statements
                          if any(action_matches(p, action) for p in s.actions) != s.not_action)
            if len(self._by_action) < 4096:
                self._by_action[key] = found
        return found


def _strings(value: Any, element: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise MalformedPolicyDocument(f"Policy statement element {element} must not be empty.")
    if not all(isinstance(item, str) and item for item in items):
        raise MalformedPolicyDocument(f"Policy statement element {element} must be a string or a list of strings.")
    return tuple(items)


def _actions(statement: dict) -> tuple[tuple[str, ...], bool]:
    if "Action" in statement and "NotAction" in statement:
        raise MalformedPolicyDocument("A policy statement cannot have both Action and NotAction.")
    element = "NotAction" if "NotAction" in statement else "Action"
    if element not in statement:
        raise MalformedPolicyDocument("Policy statement must contain actions.")
    actions = _strings(statement[element], element)
    for action in actions:
        if action != "*" and (":" not in action or not action.split(":", 1)[0] or not action.split(":", 1)[1]):
            raise MalformedPolicyDocument(
                f"Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. (got {action!r}).")
    return actions, element == "NotAction"


def _resources(statement: dict, kind: PolicyKind) -> tuple[tuple[str, ...] | None, bool]:
    if "Resource" in statement and "NotResource" in statement:
        raise MalformedPolicyDocument("A policy statement cannot have both Resource and NotResource.")
    element = "NotResource" if "NotResource" in statement else "Resource"
    if element not in statement:
        if kind == "trust":
            return None, False
        raise MalformedPolicyDocument("Policy statement must contain resources.")
    if kind == "trust":
        raise MalformedPolicyDocument("Has prohibited field Resource: a trust policy names no resource.")
    resources = _strings(statement[element], element)
    for resource in resources:
        if resource != "*" and not resource.startswith("arn:"):
            raise MalformedPolicyDocument(f'Resource {resource} must be in ARN format or "*".')
        if resource.startswith("arn:") and len(resource.split(":", 5)) < 6 and "*" not in resource:
            raise MalformedPolicyDocument(f"Resource {resource} must be in ARN format or \"*\".")
    return resources, element == "NotResource"


def _principals(statement: dict, kind: PolicyKind) -> tuple[dict[str, tuple[str, ...]] | None, bool]:
    if "Principal" in statement and "NotPrincipal" in statement:
        raise MalformedPolicyDocument("A policy statement cannot have both Principal and NotPrincipal.")
    element = "NotPrincipal" if "NotPrincipal" in statement else "Principal"
    if element not in statement:
        if kind == "identity":
            return None, False
        raise MalformedPolicyDocument("Missing required field Principal.")
    if kind == "identity":
        raise MalformedPolicyDocument("Policy document should not specify a principal.")
    value = statement[element]
    if value == "*":
        return {"*": ("*",)}, element == "NotPrincipal"
    if not isinstance(value, dict) or not value:
        raise MalformedPolicyDocument(f'{element} must be "*" or a map such as {{"AWS": "arn:aws:iam::…"}}.')
    principals: dict[str, tuple[str, ...]] = {}
    for principal_type, names in value.items():
        if principal_type not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise MalformedPolicyDocument(f"Invalid principal type {principal_type!r} in {element}.")
        principals[principal_type] = _strings(names, f"{element}.{principal_type}")
    return principals, element == "NotPrincipal"


def _conditions(statement: dict) -> tuple[Condition, ...]:
    block = statement.get("Condition", {})
    if not isinstance(block, dict):
        raise MalformedPolicyDocument("Condition must be a map of operators to {key: value(s)}.")
    conditions: list[Condition] = []
    for operator_name, keys in block.items():
        operator = parse_operator(operator_name)
        if operator is None:
            raise MalformedPolicyDocument(f"Invalid Condition type : {operator_name}.")
        if not isinstance(keys, dict) or not keys:
            raise MalformedPolicyDocument(f"Condition {operator_name} must map condition keys to values.")
        for key, raw_values in keys.items():
            items = raw_values if isinstance(raw_values, list) else [raw_values]
            if not items or not all(isinstance(v, str | bool | int | float) for v in items):
                raise MalformedPolicyDocument(f"Condition {operator_name} on {key} has an invalid value.")
            if not isinstance(key, str) or not key:
                raise MalformedPolicyDocument(f"Condition {operator_name} has an empty key.")
            values = tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in items)
            conditions.append(Condition(operator, key.lower(), values))
    return tuple(conditions)


def _statement(raw: Any, kind: PolicyKind) -> Statement:
    if not isinstance(raw, dict):
        raise MalformedPolicyDocument("Each policy statement must be a JSON object.")
    unknown = set(raw) - _STATEMENT_ELEMENTS
    if unknown:
        raise MalformedPolicyDocument(f"Policy statement has unknown field(s): {', '.join(sorted(unknown))}.")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicyDocument(f"Invalid effect: {effect}." if effect else "Missing required field Effect.")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise MalformedPolicyDocument("Statement IDs (SID) must be strings.")
    actions, not_action = _actions(raw)
    resources, not_resource = _resources(raw, kind)
    principals, not_principal = _principals(raw, kind)
    return Statement(sid, effect, actions, not_action, resources, not_resource, principals, not_principal,
                     _conditions(raw))


def parse_policy(document: str | dict, kind: PolicyKind = "identity") -> PolicyDocument:
    """Parse and validate a policy; raise MalformedPolicyDocument saying what is wrong."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise MalformedPolicyDocument(f"Syntax errors in policy: {error.msg} at character {error.pos}.") from None
    if not isinstance(document, dict):
        raise MalformedPolicyDocument("Syntax errors in policy: the document must be a JSON object.")
    unknown = set(document) - _TOP_LEVEL
    if unknown:
        raise MalformedPolicyDocument(f"Policy document has unknown field(s): {', '.join(sorted(unknown))}.")
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise MalformedPolicyDocument(f"The policy must contain a valid version string (got {version!r}).")
    raw_statements = document.get("Statement")
    if raw_statements is None:
        raise MalformedPolicyDocument("Missing required field Statement.")
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise MalformedPolicyDocument("Statement must be a statement object or a list of them.")
    statements = tuple(_statement(raw, kind) for raw in raw_statements)
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise MalformedPolicyDocument("Statement IDs (SID) in a single policy must be unique.")
    return PolicyDocument(version, statements, uses_variables=version == "2012-10-17")
