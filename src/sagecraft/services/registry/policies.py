"""Model package group policies (PutModelPackageGroupPolicy) as the authorizer sees them: the
resource-based policy of a group's ARN and of its versioned packages' ARNs, so a policy naming
another principal grants it access to the group and its packages."""

from __future__ import annotations

from sagecraft.core.errors import AwsError
from sagecraft.security.policy import MalformedPolicyDocument, NamedPolicy, parse_policy
from sagecraft.services.registry.service import RegistryService


def group_of(resource: str) -> tuple[str, str, str] | None:
    """(region, account, group name) of a model-package-group or versioned model-package ARN."""
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[2] != "sagemaker":
        return None
    kind, _, rest = parts[5].partition("/")
    if kind == "model-package-group" and rest:
        return parts[3], parts[4], rest
    if kind == "model-package" and rest.count("/") == 1:
        return parts[3], parts[4], rest.split("/", 1)[0]
    return None


class GroupPolicies:
    def __init__(self, service: RegistryService) -> None:
        self.service = service

    def for_resource(self, resource: str) -> NamedPolicy | None:
        found = group_of(resource)
        if found is None:
            return None
        region, account, name = found
        try:
            group = self.service.get_group(account, region, name)
        except AwsError:  # no such group (yet): nothing grants or denies by it
            return None
        if not group.policy:
            return None
        try:
            return NamedPolicy(f"{group.arn}/policy", parse_policy(group.policy, "resource"), "resource")
        except MalformedPolicyDocument:
            return None
