"""KMS's evaluation of a key policy, which differs from other resource-based policies: without the
key policy's consent nobody — not even the account root — may use the key.

- An applicable Deny anywhere → explicit deny.
- A key policy Allow naming the principal itself (its ARN, its role, or ``*``) → allowed, IAM or not.
- A key policy Allow naming the account (``arn:aws:iam::ACCOUNT:root``, the default key policy's
  statement) → the account's IAM policies decide: the root is allowed, others need an identity
  allow (within their boundary and session policies).
- Otherwise → implicit deny, "because no resource-based policy allows" the action.
"""

from __future__ import annotations

from collections.abc import Sequence

from sagecraft.security.policy.evaluation import (
    AuthorizationRequest,
    Decision,
    EvaluationResult,
    NamedPolicy,
    applicable_statements,
    evaluate,
)


def _names_principal(names: tuple[str, ...], request: AuthorizationRequest) -> bool:
    return "*" in names or request.principal_arn in names or (request.role_arn or "") in names


def _names_account(names: tuple[str, ...], request: AuthorizationRequest) -> bool:
    account = request.principal_account
    return account in names or f"arn:aws:iam::{account}:root" in names


def evaluate_with_key_policy(
    request: AuthorizationRequest,
    identity: Sequence[NamedPolicy],
    key_policy: NamedPolicy,
    boundary: Sequence[NamedPolicy] | None = None,
    session: Sequence[NamedPolicy] | None = None,
) -> EvaluationResult:
    denied = evaluate(request, identity, key_policy, boundary, session)
    if denied.decision is Decision.EXPLICIT_DENY:
        return denied
    direct = via_account = False
    matched: list[tuple[str, str | None, str]] = []
    for statement in applicable_statements(key_policy, request):
        if statement.effect != "Allow":
            continue
        principals = statement.principals or {"*": ("*",)}
        names = principals.get("AWS", ()) + principals.get("*", ())
        if statement.not_principal or _names_principal(names, request):
            direct = True
        elif _names_account(names, request):
            via_account = True
        matched.append((key_policy.name, statement.sid, "Allow"))
    if direct:
        return EvaluationResult(Decision.ALLOWED, matched, "")
    if via_account:
        if request.is_root:
            return EvaluationResult(Decision.ALLOWED, matched, "")
        by_iam = evaluate(request, identity, None, boundary, session)
        if by_iam.allowed:
            return EvaluationResult(Decision.ALLOWED, matched + by_iam.matched, "")
        return by_iam
    return EvaluationResult(
        Decision.IMPLICIT_DENY, matched, f"because no resource-based policy allows the {request.action} action"
    )
