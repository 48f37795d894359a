"""Wiring of IAM: its provider, the credential store of users' access keys, and the authorizer the
gateway consults on every request (part of the composition root)."""

from __future__ import annotations

from dataclasses import dataclass

from sagecraft.services.iam.authorizer import Authorizer, ResourcePolicies
from sagecraft.services.iam.credentials import IamUserCredentials
from sagecraft.services.iam.policies import IamPolicies
from sagecraft.services.iam.provider import IamProvider
from sagecraft.services.iam.service import IamService
from sagecraft.services.iam.simulator import PolicySimulator
from sagecraft.services.iam.trust import RoleTrust
from sagecraft.services.sts.service import StsService
from sagecraft.storage.metadata import MetadataStore


@dataclass(frozen=True)
class IamWiring:
    provider: IamProvider
    credentials: IamUserCredentials
    authorizer: Authorizer


def iam_wiring(metadata: MetadataStore, sts: StsService, resource_policies: ResourcePolicies) -> IamWiring:
    """IAM over the metadata store; STS's AssumeRole consults the roles' trust policies from now on;
    ``resource_policies`` gives the resource-based policy of a resource ARN (bucket policies)."""
    iam = IamService(metadata)
    sts.trust = RoleTrust(iam)

    def session_policies(access_key_id: str):
        found = sts.find(access_key_id)
        return (found.session_policy, found.policy_arns) if found else None

    policies = IamPolicies(iam)
    provider = IamProvider(iam, policies, PolicySimulator(policies))
    return IamWiring(provider, IamUserCredentials(iam), Authorizer(iam, policies, resource_policies, session_policies))
