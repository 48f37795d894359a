"""IAM on the wire: managed and inline policies, attachments, and the policy simulator."""

from __future__ import annotations

from sagecraft.core.context import RequestContext
from sagecraft.services.iam import wire
from sagecraft.services.iam.errors import NoSuchEntity
from sagecraft.services.iam.models import Kind
from sagecraft.services.iam.policies import IamPolicies
from sagecraft.services.iam.simulator import PolicySimulator


def _simulation_results(simulations) -> list[dict]:
    return [{
        "EvalActionName": s.action,
        "EvalResourceName": s.resource,
        "EvalDecision": s.decision,
        "MatchedStatements": [{"SourcePolicyId": name, "SourcePolicyType": "IAM Policy"}
                              for name, _sid, _effect in s.matched],
        "MissingContextValues": s.missing_context,
    } for s in simulations]


class PolicyOperations:
    policies: IamPolicies
    simulator: PolicySimulator

    # --- managed policies ------------------------------------------------------------------------

    def create_policy(self, context: RequestContext, params: dict) -> dict:
        created = self.policies.create_policy(context.account_id, params["PolicyName"], params["PolicyDocument"],
                                              params.get("Path"), params.get("Description"), params.get("Tags"))
        return {"Policy": wire.policy(created)}

    def get_policy(self, context: RequestContext, params: dict) -> dict:
        return {"Policy": wire.policy(self.policies.get_policy(params["PolicyArn"]))}

    def list_policies(self, context: RequestContext, params: dict) -> dict:
        found = self.policies.list_policies(context.account_id, params.get("Scope", "All"),
                                            params.get("PathPrefix", "/"), params.get("OnlyAttached", False))
        return wire.page([wire.policy(p) for p in found], params, "Policies")

    def delete_policy(self, context: RequestContext, params: dict) -> dict:
        self.policies.delete_policy(params["PolicyArn"])
        return {}

    def create_policy_version(self, context: RequestContext, params: dict) -> dict:
        version = self.policies.create_version(params["PolicyArn"], params["PolicyDocument"],
                                               params.get("SetAsDefault", False))
        return {"PolicyVersion": wire.policy_version(version)}

    def get_policy_version(self, context: RequestContext, params: dict) -> dict:
        return {"PolicyVersion": wire.policy_version(self.policies.version(params["PolicyArn"], params["VersionId"]))}

    def list_policy_versions(self, context: RequestContext, params: dict) -> dict:
        versions = self.policies.versions(params["PolicyArn"])
        page = wire.page([wire.policy_version(v) for v in versions], params, "Versions")
        for version in page["Versions"]:
            del version["Document"]  # listed without their documents, as IAM does
        return page

    def delete_policy_version(self, context: RequestContext, params: dict) -> dict:
        self.policies.delete_version(params["PolicyArn"], params["VersionId"])
        return {}

    def set_default_policy_version(self, context: RequestContext, params: dict) -> dict:
        self.policies.set_default_version(params["PolicyArn"], params["VersionId"])
        return {}

    def list_entities_for_policy(self, context: RequestContext, params: dict) -> dict:
        entities = self.policies.entities(params["PolicyArn"])
        out = {"IsTruncated": False}
        for kind, member, name_key in (("group", "PolicyGroups", "GroupName"), ("user", "PolicyUsers", "UserName"),
                                       ("role", "PolicyRoles", "RoleName")):
            out[member] = [{name_key: e.name, name_key.replace("Name", "Id"): e.unique_id}
                           for e in entities if e.kind == kind]
        return out

    # --- attachments -----------------------------------------------------------------------------

    def _attach(self, context: RequestContext, kind: Kind, params: dict) -> dict:
        self.policies.attach(context.account_id, kind, params[f"{kind.capitalize()}Name"], params["PolicyArn"])
        return {}

    def _detach(self, context: RequestContext, kind: Kind, params: dict) -> dict:
        self.policies.detach(context.account_id, kind, params[f"{kind.capitalize()}Name"], params["PolicyArn"])
        return {}

    def _list_attached(self, context: RequestContext, kind: Kind, params: dict) -> dict:
        attached = self.policies.attached(context.account_id, kind, params[f"{kind.capitalize()}Name"])
        return wire.page([{"PolicyName": p.name, "PolicyArn": p.arn} for p in attached], params, "AttachedPolicies")

    def attach_user_policy(self, context, params):
        return self._attach(context, "user", params)

    def attach_group_policy(self, context, params):
        return self._attach(context, "group", params)

    def attach_role_policy(self, context, params):
        return self._attach(context, "role", params)

    def detach_user_policy(self, context, params):
        return self._detach(context, "user", params)

    def detach_group_policy(self, context, params):
        return self._detach(context, "group", params)

    def detach_role_policy(self, context, params):
        return self._detach(context, "role", params)

    def list_attached_user_policies(self, context, params):
        return self._list_attached(context, "user", params)

    def list_attached_group_policies(self, context, params):
        return self._list_attached(context, "group", params)

    def list_attached_role_policies(self, context, params):
        return self._list_attached(context, "role", params)

    # --- inline policies -------------------------------------------------------------------------

    def _put_inline(self, context: RequestContext, kind: Kind, params: dict) -> dict:
        self.policies.put_inline(context.account_id, kind, params[f"{kind.capitalize()}Name"], params["PolicyName"],
                                 params["PolicyDocument"])
        return {}

    def _get_inline(self, context: RequestContext, kind: Kind, params: dict) -> dict:
        holder = params[f"{kind.capitalize()}Name"]
        documents = self.policies.inline(context.account_id, kind, holder)
        if params["PolicyName"] not in documents:
            raise NoSuchEntity(f"The {kind} policy with name {params['PolicyName']} cannot be found.")
        return {f"{kind.capitalize()}Name": holder, "PolicyName": params["PolicyName"],
                "PolicyDocument": wire.encoded(documents[params["PolicyName"]])}

    def _list_inline(self, context: RequestContext, kind: Kind, params: dict) -> dict:
        names = list(self.policies.inline(context.account_id, kind, params[f"{kind.capitalize()}Name"]))
        return wire.page(names, params, "PolicyNames")

    def _delete_inline(self, context: RequestContext, kind: Kind, params: dict) -> dict:
        self.policies.delete_inline(context.account_id, kind, params[f"{kind.capitalize()}Name"], params["PolicyName"])
        return {}

    def put_user_policy(self, context, params):
        return self._put_inline(context, "user", params)

    def put_group_policy(self, context, params):
        return self._put_inline(context, "group", params)

    def put_role_policy(self, context, params):
        return self._put_inline(context, "role", params)

    def get_user_policy(self, context, params):
        return self._get_inline(context, "user", params)

    def get_group_policy(self, context, params):
        return self._get_inline(context, "group", params)

    def get_role_policy(self, context, params):
        return self._get_inline(context, "role", params)

    def list_user_policies(self, context, params):
        return self._list_inline(context, "user", params)

    def list_group_policies(self, context, params):
        return self._list_inline(context, "group", params)

    def list_role_policies(self, context, params):
        return self._list_inline(context, "role", params)

    def delete_user_policy(self, context, params):
        return self._delete_inline(context, "user", params)

    def delete_group_policy(self, context, params):
        return self._delete_inline(context, "group", params)

    def delete_role_policy(self, context, params):
        return self._delete_inline(context, "role", params)

    # --- the simulator ---------------------------------------------------------------------------

    def simulate_principal_policy(self, context: RequestContext, params: dict) -> dict:
        principal = self.simulator.principal(params["PolicySourceArn"])
        results = self.simulator.simulate(params, context.account_id, principal)
        return wire.page(_simulation_results(results), params, "EvaluationResults")

    def simulate_custom_policy(self, context: RequestContext, params: dict) -> dict:
        results = self.simulator.simulate(params, context.account_id, None)
        return wire.page(_simulation_results(results), params, "EvaluationResults")
