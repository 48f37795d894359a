"""IAM rules for users, groups, roles and access keys (policies: policies.py)."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable

from sagecraft.security.credentials import new_access_key_id, new_secret_access_key
from sagecraft.security.policy import parse_policy
from sagecraft.services.iam import repository as repo
from sagecraft.services.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from sagecraft.services.iam.models import AccessKey, IamPrincipal, Kind, iam_arn, new_unique_id
from sagecraft.storage.metadata import MetadataStore

NAME = re.compile(r"^[\w+=,.@-]+$")
PATH = re.compile(r"^(/[\x21-\x7e]*)?/$")
NAME_LIMITS = {"user": 64, "group": 128, "role": 64}
ACCESS_KEYS_PER_USER = 2
TRUST_POLICY_MAX = 2048  # non-whitespace characters, IAM's default quota
ENTITY_WORDS = {"user": "user", "group": "group", "role": "role"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def check_name(kind: str, name: str, limit: int, field: str) -> None:
    if not name or len(name) > limit or not NAME.match(name):
        raise ValidationError(f"1 validation error detected: Value '{name}' at '{field}' failed to satisfy "
                              f"constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ "
                              f"and have length between 1 and {limit}")


def check_path(path: str) -> None:
    if len(path) > 512 or not PATH.match(path):
        raise ValidationError(f"The specified value for path is invalid: {path!r}. It must begin and end with / "
                              "and contain only printable ASCII characters.")


def non_whitespace_length(document: str) -> int:
    return sum(1 for char in document if not char.isspace())


class IamService:
    """Users, groups, roles and keys of accounts; ``listeners`` hear every change (the authorizer's
    cache drops what it knew)."""

    def __init__(self, store: MetadataStore, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock
        self.listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def changed(self) -> None:
        for listener in self.listeners:
            listener()

    # --- principals ----------------------------------------------------------------------------

    def get(self, account_id: str, kind: Kind, name: str) -> IamPrincipal:
        with self.store.read() as db:
            found = repo.find_principal(db, account_id, kind, name)
        if found is None:
            raise NoSuchEntity(f"The {ENTITY_WORDS[kind]} with name {name} cannot be found.")
        return found

    def create(self, account_id: str, kind: Kind, name: str, *, path: str | None = None, tags: list | None = None,
               assume_role_policy: str | None = None, description: str | None = None,
               max_session_duration: int | None = None, permissions_boundary: str | None = None) -> IamPrincipal:
        field = {"user": "userName", "group": "groupName", "role": "roleName"}[kind]
        check_name(kind, name, NAME_LIMITS[kind], field)
        path = path or "/"
        check_path(path)
        if kind == "role":
            if assume_role_policy is None:
                raise ValidationError("AssumeRolePolicyDocument is required for a role.")
            self.check_trust_policy(assume_role_policy)
        with self.store.write() as db:
            if repo.find_principal(db, account_id, kind, name) is not None:
                raise EntityAlreadyExists(f"{ENTITY_WORDS[kind].capitalize()} with name {name} already exists.")
            repo.insert_principal(
                db, account_id=account_id, kind=kind, name=name, unique_id=new_unique_id(kind), path=path,
                arn=iam_arn(account_id, kind, path, name), created_at=self.clock(), description=description,
                assume_role_policy=assume_role_policy,
                max_session_duration=(max_session_duration or 3600) if kind == "role" else None,
                permissions_boundary=permissions_boundary,
                tags={t["Key"]: t["Value"] for t in tags or []} or None)
            created = repo.find_principal(db, account_id, kind, name)
        self.changed()
        assert created is not None
        return created

    def list(self, account_id: str, kind: Kind, path_prefix: str = "/") -> list[IamPrincipal]:
        with self.store.read() as db:
            return repo.list_principals(db, account_id, kind, path_prefix)

    def delete(self, account_id: str, kind: Kind, name: str) -> None:
        with self.store.write() as db:
            found = repo.find_principal(db, account_id, kind, name)
            if found is None:
                raise NoSuchEntity(f"The {ENTITY_WORDS[kind]} with name {name} cannot be found.")
            if kind == "user" and repo.access_keys(db, found):
                raise DeleteConflict("Cannot delete entity, must delete access keys first.")
            if repo.inline_policies(db, found.id):
                raise DeleteConflict("Cannot delete entity, must delete policies first.")
            if repo.attached_policy_arns(db, found.id):
                raise DeleteConflict("Cannot delete entity, must detach all policies first.")
            if kind == "user" and repo.groups_of_user(db, found.id):
                raise DeleteConflict("Cannot delete entity, must remove users from group first.")
            if kind == "group" and repo.group_members(db, found.id):
                raise DeleteConflict("Cannot delete entity, must remove users from group first.")
            repo.delete_principal(db, found.id)
        self.changed()

    def update_trust_policy(self, account_id: str, role_name: str, document: str) -> None:
        self.check_trust_policy(document)
        role = self.get(account_id, "role", role_name)
        with self.store.write() as db:
            repo.update_principal(db, role.id, assume_role_policy=document)
        self.changed()

    def check_trust_policy(self, document: str) -> None:
        if non_whitespace_length(document) > TRUST_POLICY_MAX:
            raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX}")
        parse_policy(document, "trust")

    def set_boundary(self, account_id: str, kind: Kind, name: str, policy_arn: str | None) -> None:
        principal = self.get(account_id, kind, name)
        with self.store.write() as db:
            repo.update_principal(db, principal.id, permissions_boundary=policy_arn)
        self.changed()

    # --- groups --------------------------------------------------------------------------------

    def add_user_to_group(self, account_id: str, group_name: str, user_name: str) -> None:
        group, user = self.get(account_id, "group", group_name), self.get(account_id, "user", user_name)
        with self.store.write() as db:
            repo.add_member(db, group.id, user.id)
        self.changed()

    def remove_user_from_group(self, account_id: str, group_name: str, user_name: str) -> None:
        group, user = self.get(account_id, "group", group_name), self.get(account_id, "user", user_name)
        with self.store.write() as db:
            if not repo.remove_member(db, group.id, user.id):
                raise NoSuchEntity(f"The user with name {user_name} cannot be found in group {group_name}.")
        self.changed()

    def members(self, account_id: str, group_name: str) -> tuple[IamPrincipal, list[IamPrincipal]]:
        group = self.get(account_id, "group", group_name)
        with self.store.read() as db:
            return group, repo.group_members(db, group.id)

    def groups_for_user(self, account_id: str, user_name: str) -> list[IamPrincipal]:
        user = self.get(account_id, "user", user_name)
        with self.store.read() as db:
            return repo.groups_of_user(db, user.id)

    # --- access keys ---------------------------------------------------------------------------

    def create_access_key(self, account_id: str, user_name: str) -> AccessKey:
        user = self.get(account_id, "user", user_name)
        with self.store.write() as db:
            if len(repo.access_keys(db, user)) >= ACCESS_KEYS_PER_USER:
                raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}")
            key = AccessKey(new_access_key_id("AKIA"), new_secret_access_key(), user.name, "Active", self.clock())
            repo.insert_access_key(db, access_key_id=key.access_key_id, secret_access_key=key.secret_access_key,
                                   principal_id=user.id, status=key.status, created_at=key.created_at)
        self.changed()
        return key

    def access_keys(self, account_id: str, user_name: str) -> list[AccessKey]:
        user = self.get(account_id, "user", user_name)
        with self.store.read() as db:
            return repo.access_keys(db, user)

    def update_access_key(self, account_id: str, user_name: str, access_key_id: str, status: str) -> None:
        user = self.get(account_id, "user", user_name)
        with self.store.write() as db:
            if not repo.set_access_key_status(db, user, access_key_id, status):
                raise NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")
        self.changed()

    def delete_access_key(self, account_id: str, user_name: str, access_key_id: str) -> None:
        user = self.get(account_id, "user", user_name)
        with self.store.write() as db:
            if not repo.delete_access_key(db, user, access_key_id):
                raise NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")
        self.changed()

    def find_access_key(self, access_key_id: str) -> tuple[AccessKey, IamPrincipal] | None:
        with self.store.read() as db:
            return repo.find_access_key(db, access_key_id)
