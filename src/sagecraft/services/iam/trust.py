"""Role trust: may a caller assume a role? The role's trust policy decides, evaluated as a
resource-based policy on ``sts:AssumeRole`` (the caller's own permission to call AssumeRole was
checked at the gateway). Jobs and endpoints assume their execution role as the service principal
``sagemaker.amazonaws.com``."""

from __future__ import annotations

from sagecraft.core.context import Principal
from sagecraft.security.policy import AuthorizationRequest, NamedPolicy, evaluate, parse_policy
from sagecraft.services.iam import repository
from sagecraft.services.iam.authorizer import role_of_session
from sagecraft.services.iam.service import IamService


class RoleTrust:
    def __init__(self, iam: IamService) -> None:
        self.iam = iam

    def __call__(self, caller: Principal, role_arn: str) -> bool | None:
        """True/False by the role's trust policy; None when IAM does not define the role."""
        parts = role_arn.split(":", 5)
        if len(parts) < 6:
            return None
        with self.iam.store.read() as db:
            role = repository.find_principal(db, parts[4], "role", parts[5].rsplit("/", 1)[-1])
        if role is None or role.assume_role_policy is None:
            return None
        service = caller.arn if caller.arn.endswith(".amazonaws.com") else None
        # The trust policy's allow is what decides here: the caller's own permission to call AssumeRole
        # (its identity side) was checked at the gateway, so the request is judged as same-account.
        request = AuthorizationRequest(
            action="sts:AssumeRole", resource=role.arn, principal_arn=caller.arn,
            principal_account=caller.account_id, service_principal=service, role_arn=role_of_session(caller.arn))
        trust = NamedPolicy(f"{role.arn}/trust", parse_policy(role.assume_role_policy, "trust"), "resource")
        return evaluate(request, (), trust).allowed
