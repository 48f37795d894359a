"""Enforcement: every request of a principal other than the account root is evaluated against its
policies before the operation runs (the gateway calls ``authorize``).

Who is evaluated how:
- the account root (the admin key pair): allowed, no evaluation;
- an IAM user: its inline and attached policies, its groups' policies, its permissions boundary;
- a role session (STS AssumeRole, and the credentials jobs and endpoints get): the role's policies
  and boundary. A role ARN not defined in IAM (the SDK's examples pass any role ARN) gets sessions
  with the account's full access: define the role in IAM to restrict what its jobs can do; only a
  principal allowed ``iam:PassRole`` on it can hand it to a job, and non-root callers may pass only
  roles IAM knows.

Policies are cached per principal and dropped whenever IAM changes (and after a few seconds, for
changes made by another server process on the same database)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import AccessDenied
from sagecraft.security.policy import (
    AuthorizationRequest,
    Decision,
    NamedPolicy,
    evaluate,
    evaluate_with_key_policy,
    parse_policy,
)
from sagecraft.security.policy.evaluation import denial_message
from sagecraft.services.iam import repository
from sagecraft.services.iam.actions import SAGEMAKER_FAMILY, checks_for
from sagecraft.services.iam.models import IamPrincipal
from sagecraft.services.iam.policies import EffectivePolicies, IamPolicies, parsed
from sagecraft.services.iam.resource_tags import ResourceTags, TaggedContext
from sagecraft.services.iam.service import IamService
from sagecraft.services.iam.simulator import principal_context

CACHE_SECONDS = 5.0
ResourcePolicies = Callable[[str], NamedPolicy | None]  # resource ARN → its resource-based policy
# A role session's access key → (its inline session policy, its session policy ARNs), or None.
SessionPolicies = Callable[[str], tuple[dict | None, tuple[str, ...]] | None]
# A KMS request the key policy and IAM do not allow → the grantee principals of the key's grants that
# allow it (a grantee naming the account still needs IAM's allow).
KeyGrants = Callable[[AuthorizationRequest], Sequence[str]]


@dataclass(frozen=True)
class _Subject:
    principal: IamPrincipal | None  # None: a session of a role IAM does not define
    policies: EffectivePolicies | None
    session: tuple[NamedPolicy, ...] | None  # AssumeRole's session policies, if it was given any
    role_arn: str | None
    loaded_at: float
    generation: int


_ROOT = _Subject(None, None, None, None, 0.0, 0)
ALLOW_ALL = NamedPolicy("account-full-access", parse_policy({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))


def is_root(arn: str) -> bool:
    return arn.endswith(":root")


def role_of_session(arn: str) -> str | None:
    """arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION → arn:aws:iam::ACCOUNT:role/NAME (path unknown)."""
    if ":assumed-role/" not in arn:
        return None
    head, rest = arn.split(":assumed-role/", 1)
    account = head.rsplit(":", 1)[-1]
    return f"arn:aws:iam::{account}:role/{rest.split('/', 1)[0]}"


def _resource(resource: str, policy: NamedPolicy | None) -> str:
    """A key named by its alias is authorized as the key itself (its policy is named by its ARN)."""
    return policy.name if policy is not None and policy.kind == "key" else resource


class Authorizer:
    def __init__(self, iam: IamService, policies: IamPolicies,
                 resource_policies: ResourcePolicies = lambda resource: None,
                 session_policies: SessionPolicies = lambda access_key_id: None,
                 resource_tags: ResourceTags = lambda resource: None,
                 key_grants: KeyGrants = lambda request: ()) -> None:
        self.iam = iam
        self.key_grants = key_grants
        self.resource_tags = resource_tags
        self.policies = policies
        self.resource_policies = resource_policies
        self.session_policies = session_policies
        self._cache: dict[str, _Subject] = {}
        self._generation = 0
        self._lock = threading.Lock()
        iam.listeners.append(self.invalidate)

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._cache.clear()

    def authorize(self, context: RequestContext, service: str, operation: str, params: dict, *,
                  via_service: str | None = None) -> None:
        """Raises AccessDenied unless the caller may run the operation. ``via_service``: a service
        (``s3.<region>.amazonaws.com``) uses a KMS key on the caller's behalf (kms:ViaService)."""
        caller = context.principal.arn
        via = {"kms:viaservice": [via_service]} if via_service else {}
        if is_root(caller):
            if service in ("s3", "kms"):  # a bucket policy's Deny binds the root too; a key policy must consent
                self._check_root(context, service, operation, params, via)
            return
        checks = checks_for(service, operation, params, context.region, context.account_id)
        if not checks:
            return
        subject = self._subject(caller, context.principal.access_key_id, context.account_id)
        unrestricted = subject.principal is None and subject.role_arn is not None
        base = {**self._context(context, subject), **via}
        for check in checks:
            resource_policy = self.resource_policies(check.resource)
            if check.action == "iam:PassRole" and not unrestricted and not self._known_role(check.resource):
                raise AccessDenied(f"User: {caller} is not authorized to perform: iam:PassRole on resource: "
                                   f"{check.resource} because the role does not exist in IAM")
            keys = {**base, **check.context}
            if service in SAGEMAKER_FAMILY:  # conditions on the resource's tags read them when asked
                keys = TaggedContext(keys, check.resource, self.resource_tags)
            request = AuthorizationRequest(
                action=check.action, resource=_resource(check.resource, resource_policy), principal_arn=caller,
                principal_account=context.account_id, context=keys, role_arn=subject.role_arn)
            policies = subject.policies or EffectivePolicies((), None)
            if resource_policy is not None and resource_policy.kind == "key":
                result = evaluate_with_key_policy(request, policies.identity, resource_policy, policies.boundary,
                                                  subject.session)
                if result.decision is Decision.IMPLICIT_DENY and self._granted(request, policies, subject):
                    continue
            else:
                result = evaluate(request, policies.identity, resource_policy, policies.boundary, subject.session)
            if not result.allowed:
                raise AccessDenied(denial_message(request, result))

    def _granted(self, request: AuthorizationRequest, policies: EffectivePolicies, subject: _Subject) -> bool:
        """A grant allows what the key policy and IAM do not (their Deny has already won)."""
        grantees = self.key_grants(request)
        if any(not is_root(grantee) for grantee in grantees):
            return True
        return bool(grantees) and (request.is_root or evaluate(request, policies.identity, None, policies.boundary,
                                                               subject.session).allowed)

    def allows_key_policy(self, context: RequestContext, key_arn: str, policy: str) -> bool:
        """Would the caller be allowed ``kms:PutKeyPolicy`` on the key under ``policy`` (KMS's lockout
        safety check)? Evaluated as enforcement evaluates it, grants aside."""
        key_policy = NamedPolicy(key_arn, parse_policy(policy, "resource"), "key")
        caller = context.principal.arn
        root = is_root(caller)
        subject = _ROOT if root else self._subject(caller, context.principal.access_key_id, context.account_id)
        request = AuthorizationRequest(
            action="kms:PutKeyPolicy", resource=key_arn, principal_arn=caller, principal_account=context.account_id,
            context={**self._context(context, subject), "kms:calleraccount": [context.account_id]},
            is_root=root, role_arn=subject.role_arn)
        if root:
            return evaluate_with_key_policy(request, (), key_policy).allowed
        policies = subject.policies or EffectivePolicies((), None)
        return evaluate_with_key_policy(request, policies.identity, key_policy, policies.boundary,
                                        subject.session).allowed

    def _check_root(self, context: RequestContext, service: str, operation: str, params: dict,
                    via: dict[str, list[str]]) -> None:
        for check in checks_for(service, operation, params, context.region, context.account_id):
            resource_policy = self.resource_policies(check.resource)
            if resource_policy is None:
                continue
            request = AuthorizationRequest(
                action=check.action, resource=_resource(check.resource, resource_policy),
                principal_arn=context.principal.arn, principal_account=context.account_id, is_root=True,
                context={**self._context(context, _ROOT), **via, **check.context})
            if resource_policy.kind == "key":
                result = evaluate_with_key_policy(request, (), resource_policy)
                if result.decision is Decision.IMPLICIT_DENY and self.key_grants(request):
                    continue
            else:
                result = evaluate(request, (), resource_policy)
            if not result.allowed:
                raise AccessDenied(denial_message(request, result))

    def _context(self, context: RequestContext, subject: _Subject) -> dict[str, list[str]]:
        now = dt.datetime.now(dt.timezone.utc)
        keys = principal_context(subject.principal, context.principal.arn, context.account_id)
        if subject.role_arn:
            keys["aws:principaltype"] = ["AssumedRole"]
            keys["aws:userid"] = [context.principal.user_id]
            keys.pop("aws:username", None)
        keys.update({
            "aws:currenttime": [now.strftime("%Y-%m-%dT%H:%M:%SZ")],
            "aws:epochtime": [str(int(now.timestamp()))],
            "aws:securetransport": ["true" if context.endpoint_url.startswith("https") else "false"],
            "aws:requestedregion": [context.region],
        })
        if context.source_ip:
            keys["aws:sourceip"] = [context.source_ip]
        return keys

    def _known_role(self, role_arn: str) -> bool:
        with self.iam.store.read() as db:
            name = role_arn.rsplit("/", 1)[-1]
            account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
            return repository.find_principal(db, account, "role", name) is not None

    def _subject(self, arn: str, access_key_id: str, account_id: str) -> _Subject:
        role_arn = role_of_session(arn)
        cache_key = f"{arn}|{access_key_id}" if role_arn else arn  # sessions differ by their session policy
        with self._lock:
            cached = self._cache.get(cache_key)
            generation = self._generation
        fresh = cached is not None and time.monotonic() - cached.loaded_at < CACHE_SECONDS
        if fresh and cached.generation == generation:
            return cached
        with self.iam.store.read() as db:
            if role_arn:
                principal = repository.find_principal(db, account_id, "role", role_arn.rsplit("/", 1)[-1])
            else:
                principal = repository.find_principal_by_arn(db, arn)
        if principal is not None and role_arn:
            role_arn = principal.arn  # with its path
        if principal is not None:
            policies = self.policies.effective(principal)
        else:  # a session of a role IAM does not define (see above), or an unknown principal
            policies = EffectivePolicies((ALLOW_ALL,), None) if role_arn else None
        session = self._session(access_key_id) if role_arn else None
        subject = _Subject(principal, policies, session, role_arn, time.monotonic(), generation)
        with self._lock:
            if self._generation == generation:
                self._cache[cache_key] = subject
        return subject

    def _session(self, access_key_id: str) -> tuple[NamedPolicy, ...] | None:
        found = self.session_policies(access_key_id)
        if found is None or (found[0] is None and not found[1]):
            return None
        inline, arns = found
        named = [NamedPolicy("session-policy", parsed(json.dumps(inline)), "session")] if inline else []
        return tuple(named) + self.policies.managed(arns, "session")
