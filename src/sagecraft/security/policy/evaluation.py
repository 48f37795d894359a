"""AWS's policy evaluation logic for one request on one resource.

1. An applicable Deny statement in any policy (identity, resource-based, permissions boundary,
   session) → explicit deny.
2. The account's root user is allowed everything else in its own account.
3. Same account: an Allow in an identity policy, or a resource-based policy allowing the principal,
   allows — but an identity allow must also be allowed by the permissions boundary and the session
   policies when they exist (a resource-based allow naming the principal itself is not limited by them).
   Another account's principal needs both an identity allow and a resource-based allow.
4. Otherwise → implicit deny.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sagecraft.security.policy.conditions import conditions_hold
from sagecraft.security.policy.document import PolicyDocument, Statement
from sagecraft.security.policy.patterns import Context, arn_matches


class Decision(enum.Enum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"  # IAM's SimulatePolicy spelling of each decision


@dataclass(frozen=True)
class NamedPolicy:
    name: str  # e.g. the managed policy ARN or "user/alice/inline-name", reported in results
    document: PolicyDocument
    kind: str = "identity"  # identity | resource | boundary | session


@dataclass(frozen=True)
class AuthorizationRequest:
    action: str  # "sagemaker:CreateTrainingJob"
    resource: str  # an ARN, or "*" for actions that take none
    principal_arn: str
    principal_account: str
    resource_account: str | None = None  # None: the principal's own account
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)  # lower-cased keys
    is_root: bool = False
    service_principal: str | None = None  # e.g. "sagemaker.amazonaws.com" for trust policies
    role_arn: str | None = None  # for an assumed-role session: the role's own ARN


@dataclass
class EvaluationResult:
    decision: Decision
    matched: list[tuple[str, str | None, str]]  # (policy name, statement Sid, effect) that applied
    reason: str  # AWS's phrase: "with an explicit deny in an identity-based policy", …

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOWED


def _resource_applies(statement: Statement, resource: str, variables: Context | None) -> bool:
    if statement.resources is None:
        return True
    hit = any(arn_matches(pattern, resource, variables) for pattern in statement.resources)
    return not hit if statement.not_resource else hit


def _principal_named(names: tuple[str, ...], request: AuthorizationRequest) -> bool:
    for name in names:
        if name == "*":
            return True
        if name == request.principal_account or name == f"arn:aws:iam::{request.principal_account}:root":
            return True  # an account as principal means any principal the account allows
        if name in (request.principal_arn, request.role_arn):
            return True
    return False


def _principal_applies(statement: Statement, request: AuthorizationRequest) -> bool:
    if statement.principals is None:
        return True
    principals = statement.principals
    hit = "*" in principals
    if not hit and request.service_principal:
        hit = request.service_principal in principals.get("Service", ())
    if not hit:
        hit = _principal_named(principals.get("AWS", ()), request)
    return not hit if statement.not_principal else hit


def _applicable(policy: NamedPolicy, request: AuthorizationRequest) -> list[Statement]:
    variables = request.context if policy.document.uses_variables else None
    return [
        statement for statement in policy.document.statements_for(request.action)
        if _resource_applies(statement, request.resource, variables)
        and _principal_applies(statement, request)
        and conditions_hold(statement.conditions, request.context, variables)
    ]


def applicable_statements(policy: NamedPolicy, request: AuthorizationRequest) -> list[Statement]:
    """The statements of ``policy`` that apply to ``request`` (action, resource, principal, conditions)."""
    return _applicable(policy, request)


def evaluate(request: AuthorizationRequest, identity: Sequence[NamedPolicy] = (),
             resource: NamedPolicy | None = None, boundary: Sequence[NamedPolicy] | None = None,
             session: Sequence[NamedPolicy] | None = None) -> EvaluationResult:
    """Decide ``request``. ``boundary``/``session`` None: no boundary / no session policy applies."""
    matched: list[tuple[str, str | None, str]] = []
    groups = {"identity-based policy": identity, "resource-based policy": [resource] if resource else [],
              "permissions boundary": boundary or [], "session policy": session or []}
    # Each statement is matched once; its effect then counts for the deny pass and the allow pass.
    applicable = {label: [(policy.name, s) for policy in policies for s in _applicable(policy, request)]
                  for label, policies in groups.items()}
    for label, statements in applicable.items():
        for name, statement in statements:
            if statement.effect == "Deny":
                matched.append((name, statement.sid, "Deny"))
                return EvaluationResult(Decision.EXPLICIT_DENY, matched, f"with an explicit deny in a {label}")
    same_account = request.resource_account in (None, request.principal_account)
    if request.is_root and same_account:
        return EvaluationResult(Decision.ALLOWED, matched, "")

    def allows(label: str, record: bool = True) -> bool:
        hits = [(name, statement.sid, "Allow") for name, statement in applicable[label]]
        if record:
            matched.extend(hits)
        return bool(hits)

    identity_allow = allows("identity-based policy")
    resource_allow = allows("resource-based policy")
    for label, given in (("permissions boundary", boundary), ("session policy", session)):
        if identity_allow and given is not None and not allows(label, record=False):
            if not (same_account and resource_allow):
                return EvaluationResult(Decision.IMPLICIT_DENY, matched,
                                        f"because no {label} allows the {request.action} action")
            identity_allow = False
    if same_account and (identity_allow or resource_allow):
        return EvaluationResult(Decision.ALLOWED, matched, "")
    if not same_account and identity_allow and resource_allow:
        return EvaluationResult(Decision.ALLOWED, matched, "")
    if not same_account and identity_allow:
        reason = f"because no resource-based policy allows the {request.action} action"
    else:
        reason = f"because no identity-based policy allows the {request.action} action"
    return EvaluationResult(Decision.IMPLICIT_DENY, matched, reason)


def denial_message(request: AuthorizationRequest, result: EvaluationResult) -> str:
    """AWS's newer AccessDenied wording: who, what, on which resource, and why."""
    return (f"User: {request.principal_arn} is not authorized to perform: {request.action} "
            f"on resource: {request.resource} {result.reason}")
