"""IAM on the wire (query protocol): users, groups, roles and access keys; policies and the policy
simulator are in provider_policies.py."""

from __future__ import annotations

from sagecraft.core.context import RequestContext
from sagecraft.services.iam import wire
from sagecraft.services.iam.errors import ValidationError
from sagecraft.services.iam.models import Kind
from sagecraft.services.iam.policies import IamPolicies
from sagecraft.services.iam.provider_policies import PolicyOperations
from sagecraft.services.iam.service import IamService
from sagecraft.services.iam.simulator import PolicySimulator


class IamProvider(PolicyOperations):
    service_name = "iam"
    # Every IAM operation touches the metadata store: keep them off the event loop.
    threaded_operations = frozenset({
        "CreateUser", "DeleteUser", "CreateRole", "DeleteRole", "CreateGroup", "DeleteGroup", "CreateAccessKey",
        "DeleteAccessKey", "UpdateAccessKey", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion",
        "SimulatePrincipalPolicy", "SimulateCustomPolicy",
    })

    def __init__(self, iam: IamService, policies: IamPolicies, simulator: PolicySimulator) -> None:
        self.iam = iam
        self.policies = policies
        self.simulator = simulator

    # --- users -----------------------------------------------------------------------------------

    def create_user(self, context: RequestContext, params: dict) -> dict:
        created = self.iam.create(context.account_id, "user", params["UserName"], path=params.get("Path"),
                                  tags=params.get("Tags"), permissions_boundary=params.get("PermissionsBoundary"))
        return {"User": wire.user(created)}

    def get_user(self, context: RequestContext, params: dict) -> dict:
        name = params.get("UserName")
        if name is None:  # the caller itself
            name = context.principal.arn.rsplit("/", 1)[-1] if ":user/" in context.principal.arn else None
            if name is None:
                return {"User": {"UserId": context.account_id, "Arn": context.principal.arn,
                                 "CreateDate": self.iam.clock(), "Path": "/", "UserName": ""}}
        return {"User": wire.user(self.iam.get(context.account_id, "user", name))}

    def list_users(self, context: RequestContext, params: dict) -> dict:
        users = self.iam.list(context.account_id, "user", params.get("PathPrefix", "/"))
        return wire.page([wire.user(u) for u in users], params, "Users")

    def delete_user(self, context: RequestContext, params: dict) -> dict:
        self.iam.delete(context.account_id, "user", params["UserName"])
        return {}

    # --- groups ----------------------------------------------------------------------------------

    def create_group(self, context: RequestContext, params: dict) -> dict:
        return {"Group": wire.group(self.iam.create(context.account_id, "group", params["GroupName"],
                                                    path=params.get("Path")))}

    def get_group(self, context: RequestContext, params: dict) -> dict:
        group, members = self.iam.members(context.account_id, params["GroupName"])
        return {"Group": wire.group(group), **wire.page([wire.user(u) for u in members], params, "Users")}

    def list_groups(self, context: RequestContext, params: dict) -> dict:
        groups = self.iam.list(context.account_id, "group", params.get("PathPrefix", "/"))
        return wire.page([wire.group(g) for g in groups], params, "Groups")

    def delete_group(self, context: RequestContext, params: dict) -> dict:
        self.iam.delete(context.account_id, "group", params["GroupName"])
        return {}

    def add_user_to_group(self, context: RequestContext, params: dict) -> dict:
        self.iam.add_user_to_group(context.account_id, params["GroupName"], params["UserName"])
        return {}

    def remove_user_from_group(self, context: RequestContext, params: dict) -> dict:
        self.iam.remove_user_from_group(context.account_id, params["GroupName"], params["UserName"])
        return {}

    def list_groups_for_user(self, context: RequestContext, params: dict) -> dict:
        groups = self.iam.groups_for_user(context.account_id, params["UserName"])
        return wire.page([wire.group(g) for g in groups], params, "Groups")

    # --- roles -----------------------------------------------------------------------------------

    def create_role(self, context: RequestContext, params: dict) -> dict:
        created = self.iam.create(
            context.account_id, "role", params["RoleName"], path=params.get("Path"), tags=params.get("Tags"),
            assume_role_policy=params["AssumeRolePolicyDocument"], description=params.get("Description"),
            max_session_duration=params.get("MaxSessionDuration"),
            permissions_boundary=params.get("PermissionsBoundary"))
        return {"Role": wire.role(created)}

    def get_role(self, context: RequestContext, params: dict) -> dict:
        return {"Role": wire.role(self.iam.get(context.account_id, "role", params["RoleName"]))}

    def list_roles(self, context: RequestContext, params: dict) -> dict:
        roles = self.iam.list(context.account_id, "role", params.get("PathPrefix", "/"))
        return wire.page([wire.role(r) for r in roles], params, "Roles")

    def delete_role(self, context: RequestContext, params: dict) -> dict:
        self.iam.delete(context.account_id, "role", params["RoleName"])
        return {}

    def update_assume_role_policy(self, context: RequestContext, params: dict) -> dict:
        self.iam.update_trust_policy(context.account_id, params["RoleName"], params["PolicyDocument"])
        return {}

    # --- permissions boundaries ------------------------------------------------------------------

    def _boundary(self, context: RequestContext, kind: Kind, name: str, arn: str | None) -> dict:
        if arn is not None:
            self.policies.get_policy(arn)
        self.iam.set_boundary(context.account_id, kind, name, arn)
        return {}

    def put_user_permissions_boundary(self, context: RequestContext, params: dict) -> dict:
        return self._boundary(context, "user", params["UserName"], params["PermissionsBoundary"])

    def delete_user_permissions_boundary(self, context: RequestContext, params: dict) -> dict:
        return self._boundary(context, "user", params["UserName"], None)

    def put_role_permissions_boundary(self, context: RequestContext, params: dict) -> dict:
        return self._boundary(context, "role", params["RoleName"], params["PermissionsBoundary"])

    def delete_role_permissions_boundary(self, context: RequestContext, params: dict) -> dict:
        return self._boundary(context, "role", params["RoleName"], None)

    # --- access keys -----------------------------------------------------------------------------

    def _user_name(self, context: RequestContext, params: dict) -> str:
        name = params.get("UserName")
        if name is None and ":user/" in context.principal.arn:
            name = context.principal.arn.rsplit("/", 1)[-1]
        if name is None:
            raise ValidationError("UserName is required when the caller is not an IAM user.")
        return name

    def create_access_key(self, context: RequestContext, params: dict) -> dict:
        key = self.iam.create_access_key(context.account_id, self._user_name(context, params))
        return {"AccessKey": wire.access_key(key, with_secret=True)}

    def list_access_keys(self, context: RequestContext, params: dict) -> dict:
        keys = self.iam.access_keys(context.account_id, self._user_name(context, params))
        return wire.page([wire.access_key(k) for k in keys], params, "AccessKeyMetadata")

    def update_access_key(self, context: RequestContext, params: dict) -> dict:
        self.iam.update_access_key(context.account_id, self._user_name(context, params), params["AccessKeyId"],
                                   params["Status"])
        return {}

    def delete_access_key(self, context: RequestContext, params: dict) -> dict:
        self.iam.delete_access_key(context.account_id, self._user_name(context, params), params["AccessKeyId"])
        return {}
