"""Managed policies (with versions), inline policies and attachments, as IAM rules them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from sagecraft.security.policy import NamedPolicy, PolicyDocument, parse_policy
from sagecraft.services.iam import repository as repo
from sagecraft.services.iam.errors import DeleteConflict, EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity
from sagecraft.services.iam.models import (
    AWS_MANAGED_PREFIX,
    IamPrincipal,
    Kind,
    ManagedPolicy,
    PolicyVersion,
    new_unique_id,
)
from sagecraft.services.iam.service import IamService, check_name, check_path, non_whitespace_length

MAX_VERSIONS = 5
MANAGED_POLICY_MAX = 6144
INLINE_MAX = {"user": 2048, "group": 5120, "role": 10240}
INLINE_QUOTA_NAMES = {"user": "UserPolicySize", "group": "GroupPolicySize", "role": "RolePolicySize"}
ATTACHED_PER_ENTITY = 10
AWS_MANAGED_CREATED = dt.datetime(2015, 2, 6, 18, 39, 46, tzinfo=dt.timezone.utc)


@lru_cache(maxsize=4096)
def parsed(document: str) -> PolicyDocument:
    """Documents are parsed once: the authorizer reloads a principal's policies every few seconds."""
    return parse_policy(document, "identity")


@cache
def aws_managed() -> dict[str, dict]:
    """The AWS-managed policies Sagecraft bundles (name → {description, document})."""
    text = resources.files("sagecraft.services.iam").joinpath("aws_managed_policies.json").read_text()
    return json.loads(text)


@dataclass(frozen=True)
class EffectivePolicies:
    """What IAM evaluates for a principal: identity policies and an optional permissions boundary."""

    identity: tuple[NamedPolicy, ...]
    boundary: tuple[NamedPolicy, ...] | None


class IamPolicies:
    def __init__(self, iam: IamService) -> None:
        self.iam = iam
        self.store = iam.store

    # --- managed policies ----------------------------------------------------------------------

    def create_policy(self, account_id: str, name: str, document: str, path: str | None = None,
                      description: str | None = None, tags: list | None = None) -> ManagedPolicy:
        check_name("policy", name, 128, "policyName")
        path = path or "/"
        check_path(path)
        self._check_managed_document(document)
        arn = f"arn:aws:iam::{account_id}:policy{path}{name}"
        with self.store.write() as db:
            if repo.policy_name_taken(db, account_id, name):
                raise EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.")
            repo.insert_policy(db, document, self.iam.clock(), account_id=account_id, name=name,
                               policy_id=new_unique_id("policy"), path=path, arn=arn, description=description,
                               tags={t["Key"]: t["Value"] for t in tags or []} or None)
            created = repo.find_policy(db, arn)
        assert created is not None
        return created

    def get_policy(self, arn: str) -> ManagedPolicy:
        if arn.startswith(AWS_MANAGED_PREFIX):
            name = arn.removeprefix(AWS_MANAGED_PREFIX).rsplit("/", 1)[-1]
            bundled = aws_managed().get(name)
            if bundled is not None:
                with self.store.read() as db:
                    count = len(repo.entities_for_policy(db, arn))
                return ManagedPolicy(None, "aws", name, bundled["policy_id"], "/", arn, "v1", AWS_MANAGED_CREATED,
                                     AWS_MANAGED_CREATED, bundled.get("description"), count)
        with self.store.read() as db:
            found = repo.find_policy(db, arn)
        if found is None:
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
        return found

    def list_policies(self, account_id: str, scope: str = "All", path_prefix: str = "/",
                      only_attached: bool = False) -> list[ManagedPolicy]:
        found: list[ManagedPolicy] = []
        if scope in ("All", "AWS"):
            found += [self.get_policy(AWS_MANAGED_PREFIX + name) for name in sorted(aws_managed())]
        if scope in ("All", "Local"):
            with self.store.read() as db:
                found += repo.list_policies(db, account_id, path_prefix)
        return [p for p in found if p.path.startswith(path_prefix) and (p.attachment_count or not only_attached)]

    def versions(self, arn: str) -> list[PolicyVersion]:
        policy = self.get_policy(arn)
        if policy.id is None:
            return [PolicyVersion("v1", json.dumps(aws_managed()[policy.name]["document"]), True,
                                  AWS_MANAGED_CREATED)]
        with self.store.read() as db:
            return repo.policy_versions(db, policy)

    def version(self, arn: str, version_id: str) -> PolicyVersion:
        for version in self.versions(arn):
            if version.version_id == version_id:
                return version
        raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")

    def create_version(self, arn: str, document: str, set_default: bool) -> PolicyVersion:
        policy = self._own(arn)
        self._check_managed_document(document)
        with self.store.write() as db:
            if len(repo.policy_versions(db, policy)) >= MAX_VERSIONS:
                raise LimitExceeded(f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create "
                                    "a new version, you must delete an existing version.")
            version_id = repo.add_policy_version(db, policy, document, set_default, self.iam.clock())
        self.iam.changed()
        return self.version(arn, version_id)

    def set_default_version(self, arn: str, version_id: str) -> None:
        policy = self._own(arn)
        self.version(arn, version_id)
        with self.store.write() as db:
            repo.set_default_version(db, policy, version_id, self.iam.clock())
        self.iam.changed()

    def delete_version(self, arn: str, version_id: str) -> None:
        policy = self._own(arn)
        if version_id == policy.default_version:
            raise DeleteConflict("Cannot delete the default version of a policy.")
        with self.store.write() as db:
            if not repo.delete_policy_version(db, policy, version_id):
                raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")

    def delete_policy(self, arn: str) -> None:
        policy = self._own(arn)
        with self.store.write() as db:
            if repo.entities_for_policy(db, arn):
                raise DeleteConflict("Cannot delete a policy attached to entities.")
            if len(repo.policy_versions(db, policy)) > 1:
                raise DeleteConflict("Cannot delete a policy with versions other than the default; delete them first.")
            repo.delete_policy(db, policy)
        self.iam.changed()

    def entities(self, arn: str) -> list[IamPrincipal]:
        self.get_policy(arn)
        with self.store.read() as db:
            return repo.entities_for_policy(db, arn)

    def _own(self, arn: str) -> ManagedPolicy:
        policy = self.get_policy(arn)
        if policy.id is None:
            raise InvalidInput(f"Policy {arn} is an AWS managed policy and cannot be changed.")
        return policy

    def _check_managed_document(self, document: str) -> None:
        if non_whitespace_length(document) > MANAGED_POLICY_MAX:
            raise LimitExceeded(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX}")
        parse_policy(document, "identity")

    # --- attachments ---------------------------------------------------------------------------

    def attach(self, account_id: str, kind: Kind, name: str, policy_arn: str) -> None:
        principal = self.iam.get(account_id, kind, name)
        self.get_policy(policy_arn)
        with self.store.write() as db:
            attached = repo.attached_policy_arns(db, principal.id)
            if policy_arn not in attached and len(attached) >= ATTACHED_PER_ENTITY:
                quota = {"user": "PoliciesPerUser", "group": "PoliciesPerGroup", "role": "PoliciesPerRole"}[kind]
                raise LimitExceeded(f"Cannot exceed quota for {quota}: {ATTACHED_PER_ENTITY}")
            repo.attach(db, principal.id, policy_arn)
        self.iam.changed()

    def detach(self, account_id: str, kind: Kind, name: str, policy_arn: str) -> None:
        principal = self.iam.get(account_id, kind, name)
        with self.store.write() as db:
            if not repo.detach(db, principal.id, policy_arn):
                raise NoSuchEntity(f"Policy {policy_arn} was not found.")
        self.iam.changed()

    def attached(self, account_id: str, kind: Kind, name: str) -> list[ManagedPolicy]:
        principal = self.iam.get(account_id, kind, name)
        with self.store.read() as db:
            arns = repo.attached_policy_arns(db, principal.id)
        return [self.get_policy(arn) for arn in arns]

    # --- inline policies -----------------------------------------------------------------------

    def put_inline(self, account_id: str, kind: Kind, name: str, policy_name: str, document: str) -> None:
        check_name("policy", policy_name, 128, "policyName")
        principal = self.iam.get(account_id, kind, name)
        parse_policy(document, "identity")
        with self.store.write() as db:
            others = {k: v for k, v in repo.inline_policies(db, principal.id).items() if k != policy_name}
            total = non_whitespace_length(document) + sum(non_whitespace_length(d) for d in others.values())
            if total > INLINE_MAX[kind]:
                raise LimitExceeded(f"Maximum policy size of {INLINE_MAX[kind]} bytes exceeded for {kind} {name}")
            repo.put_inline_policy(db, principal.id, policy_name, document)
        self.iam.changed()

    def inline(self, account_id: str, kind: Kind, name: str) -> dict[str, str]:
        principal = self.iam.get(account_id, kind, name)
        with self.store.read() as db:
            return repo.inline_policies(db, principal.id)

    def delete_inline(self, account_id: str, kind: Kind, name: str, policy_name: str) -> None:
        principal = self.iam.get(account_id, kind, name)
        with self.store.write() as db:
            if not repo.delete_inline_policy(db, principal.id, policy_name):
                raise NoSuchEntity(f"The {kind} policy with name {policy_name} cannot be found.")
        self.iam.changed()

    # --- what the authorizer evaluates ---------------------------------------------------------

    def effective(self, principal: IamPrincipal) -> EffectivePolicies:
        """The principal's inline and attached policies, its groups' too (users), and its boundary."""
        with self.store.read() as db:
            holders = [principal] + (repo.groups_of_user(db, principal.id) if principal.kind == "user" else [])
            named: list[NamedPolicy] = []
            for holder in holders:
                for policy_name, document in repo.inline_policies(db, holder.id).items():
                    named.append(NamedPolicy(f"{holder.arn}/{policy_name}", parsed(document)))
                named += filter(None, (self._default_document(db, arn)
                                       for arn in repo.attached_policy_arns(db, holder.id)))
            boundary = None
            if principal.permissions_boundary:  # a boundary policy that is gone allows nothing
                boundary = tuple(filter(None, [self._default_document(db, principal.permissions_boundary,
                                                                      "boundary")]))
        return EffectivePolicies(tuple(named), boundary)

    def managed(self, arns: tuple[str, ...], kind: str) -> tuple[NamedPolicy, ...]:
        """The default versions of managed policies (those that exist)."""
        with self.store.read() as db:
            return tuple(filter(None, (self._default_document(db, arn, kind) for arn in arns)))

    def _default_document(self, db, arn: str, kind: str = "identity") -> NamedPolicy | None:
        if arn.startswith(AWS_MANAGED_PREFIX):
            bundled = aws_managed().get(arn.removeprefix(AWS_MANAGED_PREFIX).rsplit("/", 1)[-1])
            return NamedPolicy(arn, parsed(json.dumps(bundled["document"])), kind) if bundled else None
        policy = repo.find_policy(db, arn)
        if policy is None:
            return None
        version = next(v for v in repo.policy_versions(db, policy) if v.is_default)
        return NamedPolicy(arn, parsed(version.document), kind)
