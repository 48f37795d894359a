"""Wiring of IAM: its provider, the credential store of users' access keys, and the authorizer the
gateway consults on every request (part of the composition root)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sagecraft.core.context import Principal, RequestContext
from sagecraft.core.errors import AwsError
from sagecraft.security.policy import NamedPolicy
from sagecraft.services.iam.authorizer import Authorizer, ResourcePolicies
from sagecraft.services.iam.credentials import IamUserCredentials
from sagecraft.services.iam.policies import IamPolicies
from sagecraft.services.iam.provider import IamProvider
from sagecraft.services.iam.resource_tags import ResourceTags
from sagecraft.services.iam.service import IamService
from sagecraft.services.iam.simulator import PolicySimulator
from sagecraft.services.iam.trust import RoleTrust
from sagecraft.services.sts.service import StsService
from sagecraft.storage.metadata import MetadataStore

MAX_TAG_PAGES = 20


@dataclass(frozen=True)
class IamWiring:
    provider: IamProvider
    credentials: IamUserCredentials
    authorizer: Authorizer


def iam_wiring(metadata: MetadataStore, sts: StsService, resource_policies: ResourcePolicies,
               resource_tags: ResourceTags = lambda resource: None) -> IamWiring:
    """IAM over the metadata store; STS's AssumeRole consults the roles' trust policies from now on;
    ``resource_policies`` gives the resource-based policy of a resource ARN (bucket, key, model
    package group policies), ``resource_tags`` a SageMaker resource's tags (aws:ResourceTag/…)."""
    iam = IamService(metadata)
    sts.trust = RoleTrust(iam)

    def session_policies(access_key_id: str):
        found = sts.find(access_key_id)
        return (found.session_policy, found.policy_arns) if found else None

    policies = IamPolicies(iam)
    provider = IamProvider(iam, policies, PolicySimulator(policies))
    authorizer = Authorizer(iam, policies, resource_policies, session_policies, resource_tags)
    return IamWiring(provider, IamUserCredentials(iam), authorizer)


def first_policy(*sources: ResourcePolicies) -> ResourcePolicies:
    """Resource-based policies from several owners (each answers None for ARNs not its own)."""

    def lookup(resource: str) -> NamedPolicy | None:
        for source in sources:
            found = source(resource)
            if found is not None:
                return found
        return None

    return lookup


def sagemaker_tags(sagemaker: Callable[[], Any], principal: Principal) -> ResourceTags:
    """A SageMaker resource's tags, read through the control plane's ListTags as a client would."""

    def tags(resource: str) -> dict[str, str] | None:
        region = resource.split(":")[3] if resource.count(":") >= 5 else ""
        context = RequestContext(principal=principal, region=region or "us-east-1", account_id=principal.account_id)
        found: dict[str, str] = {}
        token = None
        for _page in range(MAX_TAG_PAGES):
            params = {"ResourceArn": resource, **({"NextToken": token} if token else {})}
            try:
                listed = sagemaker().list_tags(context, params)
            except AwsError:  # no such resource (e.g. the one being created): no tags
                return None
            found.update({tag["Key"]: tag["Value"] for tag in listed.get("Tags") or []})
            token = listed.get("NextToken")
            if not token:
                break
        return found

    return tags
