"""The policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy answer with the very
evaluation the authorizer enforces (security/policy), so simulation and enforcement agree."""

from __future__ import annotations

from dataclasses import dataclass

from sagecraft.security.policy import AuthorizationRequest, NamedPolicy, evaluate, parse_policy
from sagecraft.security.policy.document import MalformedPolicyDocument
from sagecraft.services.iam import repository
from sagecraft.services.iam.errors import InvalidInput, NoSuchEntity
from sagecraft.services.iam.models import IamPrincipal
from sagecraft.services.iam.policies import IamPolicies


@dataclass(frozen=True)
class Simulation:
    action: str
    resource: str
    decision: str
    matched: list[tuple[str, str | None, str]]
    missing_context: list[str]


def context_from_entries(entries: list[dict]) -> dict[str, list[str]]:
    """ContextEntries ({ContextKeyName, ContextKeyValues, ContextKeyType}) → the evaluation context."""
    return {entry["ContextKeyName"].lower(): list(entry.get("ContextKeyValues", [])) for entry in entries or []}


def principal_context(principal: IamPrincipal | None, caller_arn: str, account_id: str) -> dict[str, list[str]]:
    """The global keys IAM fills for a principal (aws:username for users, aws:userid, aws:PrincipalArn…)."""
    context = {"aws:principalarn": [caller_arn], "aws:principalaccount": [account_id]}
    if principal is not None:
        context["aws:userid"] = [principal.unique_id]
        context["aws:principaltype"] = [{"user": "User", "role": "AssumedRole"}.get(principal.kind, "User")]
        if principal.kind == "user":
            context["aws:username"] = [principal.name]
        for key, value in principal.tags:
            context[f"aws:principaltag/{key.lower()}"] = [value]
    return context


def _documents(raw: list[str], kind: str, label: str) -> list[NamedPolicy]:
    named = []
    for index, text in enumerate(raw or []):
        try:
            named.append(NamedPolicy(f"{label}{index + 1}", parse_policy(text, "identity"), kind))
        except MalformedPolicyDocument as error:
            raise InvalidInput(f"Invalid policy in {label}: {error.message}") from None
    return named


def _keys(documents: list[NamedPolicy]) -> set[str]:
    return {c.key for d in documents for s in d.document.statements for c in s.conditions}


class PolicySimulator:
    def __init__(self, policies: IamPolicies) -> None:
        self.policies = policies

    def simulate(self, params: dict, account_id: str, principal: IamPrincipal | None) -> list[Simulation]:
        identity = _documents(params.get("PolicyInputList"), "identity", "PolicyInputList.")
        boundary = _documents(params.get("PermissionsBoundaryPolicyInputList"), "boundary",
                              "PermissionsBoundaryPolicyInputList.") or None
        caller_arn = params.get("CallerArn") or (principal.arn if principal else f"arn:aws:iam::{account_id}:root")
        if principal is not None:
            effective = self.policies.effective(principal)
            identity = list(effective.identity) + identity
            if boundary is None and effective.boundary is not None:
                boundary = list(effective.boundary)
        resource_policy = None
        if params.get("ResourcePolicy"):
            try:
                resource_policy = NamedPolicy("ResourcePolicy", parse_policy(params["ResourcePolicy"], "resource"),
                                              "resource")
            except MalformedPolicyDocument as error:
                raise InvalidInput(f"Invalid ResourcePolicy: {error.message}") from None
        context = {**principal_context(principal, caller_arn, account_id),
                   **context_from_entries(params.get("ContextEntries"))}
        needed = _keys(identity + (boundary or []) + ([resource_policy] if resource_policy else []))
        missing = sorted(key for key in needed if key not in context)
        owner = params.get("ResourceOwner")
        results = []
        for action in params["ActionNames"]:
            for resource in params.get("ResourceArns") or ["*"]:
                request = AuthorizationRequest(
                    action=action, resource=resource, principal_arn=caller_arn, principal_account=account_id,
                    resource_account=owner.split(":")[4] if owner and owner.count(":") >= 4 else None,
                    context=context)
                result = evaluate(request, identity, resource_policy, boundary)
                results.append(Simulation(action, resource, result.decision.value, result.matched, missing))
        return results

    def principal(self, arn: str) -> IamPrincipal:
        with self.policies.store.read() as db:
            found = repository.find_principal_by_arn(db, arn)
        if found is None:
            raise NoSuchEntity(f"The principal {arn} cannot be found.")
        return found
