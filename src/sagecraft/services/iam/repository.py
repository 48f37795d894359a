"""IAM's rows in the metadata store (SQLAlchemy Core on a unit of work's connection)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, delete, func, insert, select, update

from sagecraft.services.iam.models import AccessKey, IamPrincipal, Kind, ManagedPolicy, PolicyVersion
from sagecraft.storage.metadata.schema import (
    iam_access_keys,
    iam_attachments,
    iam_group_members,
    iam_inline_policies,
    iam_policies,
    iam_policy_versions,
    iam_principals,
)

P, POL, V = iam_principals, iam_policies, iam_policy_versions


def _tags(raw: dict | None) -> tuple[tuple[str, str], ...]:
    return tuple((raw or {}).items())


def _principal(row) -> IamPrincipal:
    return IamPrincipal(row.id, row.account_id, row.kind, row.name, row.unique_id, row.path, row.arn, row.created_at,
                        row.description, row.assume_role_policy, row.max_session_duration, row.permissions_boundary,
                        _tags(row.tags))


def find_principal(db: Connection, account_id: str, kind: Kind, name: str) -> IamPrincipal | None:
    row = db.execute(select(P).where(P.c.account_id == account_id, P.c.kind == kind,
                                     P.c.name_key == name.lower())).first()
    return _principal(row) if row else None


def find_principal_by_arn(db: Connection, arn: str) -> IamPrincipal | None:
    row = db.execute(select(P).where(P.c.arn == arn)).first()
    return _principal(row) if row else None


def list_principals(db: Connection, account_id: str, kind: Kind, path_prefix: str = "/") -> list[IamPrincipal]:
    rows = db.execute(select(P).where(P.c.account_id == account_id, P.c.kind == kind,
                                      P.c.path.startswith(path_prefix)).order_by(P.c.name_key))
    return [_principal(row) for row in rows]


def insert_principal(db: Connection, **values) -> None:
    db.execute(insert(P).values(name_key=values["name"].lower(), **values))


def update_principal(db: Connection, principal_id: int, **values) -> None:
    db.execute(update(P).where(P.c.id == principal_id).values(**values))


def delete_principal(db: Connection, principal_id: int) -> None:
    db.execute(delete(P).where(P.c.id == principal_id))


# --- inline policies and attachments ------------------------------------------------------------

def inline_policies(db: Connection, principal_id: int) -> dict[str, str]:
    rows = db.execute(select(iam_inline_policies).where(iam_inline_policies.c.principal_id == principal_id)
                      .order_by(iam_inline_policies.c.name))
    return {row.name: row.document for row in rows}


def put_inline_policy(db: Connection, principal_id: int, name: str, document: str) -> None:
    table = iam_inline_policies
    db.execute(delete(table).where(table.c.principal_id == principal_id, table.c.name == name))
    db.execute(insert(table).values(principal_id=principal_id, name=name, document=document))


def delete_inline_policy(db: Connection, principal_id: int, name: str) -> bool:
    table = iam_inline_policies
    return db.execute(delete(table).where(table.c.principal_id == principal_id, table.c.name == name)).rowcount == 1


def attached_policy_arns(db: Connection, principal_id: int) -> list[str]:
    rows = db.execute(select(iam_attachments.c.policy_arn).where(iam_attachments.c.principal_id == principal_id)
                      .order_by(iam_attachments.c.policy_arn))
    return [row.policy_arn for row in rows]


def attach(db: Connection, principal_id: int, policy_arn: str) -> None:
    if policy_arn not in attached_policy_arns(db, principal_id):
        db.execute(insert(iam_attachments).values(principal_id=principal_id, policy_arn=policy_arn))


def detach(db: Connection, principal_id: int, policy_arn: str) -> bool:
    table = iam_attachments
    return db.execute(delete(table).where(table.c.principal_id == principal_id,
                                          table.c.policy_arn == policy_arn)).rowcount == 1


def entities_for_policy(db: Connection, policy_arn: str) -> list[IamPrincipal]:
    rows = db.execute(select(P).join(iam_attachments, iam_attachments.c.principal_id == P.c.id)
                      .where(iam_attachments.c.policy_arn == policy_arn).order_by(P.c.kind, P.c.name_key))
    return [_principal(row) for row in rows]


# --- groups ---------------------------------------------------------------------------------------

def add_member(db: Connection, group_id: int, user_id: int) -> None:
    table = iam_group_members
    exists = db.execute(select(table).where(table.c.group_id == group_id, table.c.user_id == user_id)).first()
    if exists is None:
        db.execute(insert(table).values(group_id=group_id, user_id=user_id))


def remove_member(db: Connection, group_id: int, user_id: int) -> bool:
    table = iam_group_members
    return db.execute(delete(table).where(table.c.group_id == group_id, table.c.user_id == user_id)).rowcount == 1


def group_members(db: Connection, group_id: int) -> list[IamPrincipal]:
    rows = db.execute(select(P).join(iam_group_members, iam_group_members.c.user_id == P.c.id)
                      .where(iam_group_members.c.group_id == group_id).order_by(P.c.name_key))
    return [_principal(row) for row in rows]


def groups_of_user(db: Connection, user_id: int) -> list[IamPrincipal]:
    rows = db.execute(select(P).join(iam_group_members, iam_group_members.c.group_id == P.c.id)
                      .where(iam_group_members.c.user_id == user_id).order_by(P.c.name_key))
    return [_principal(row) for row in rows]


# --- managed policies -----------------------------------------------------------------------------

def _policy(db: Connection, row) -> ManagedPolicy:
    count = db.execute(select(func.count()).select_from(iam_attachments)
                       .where(iam_attachments.c.policy_arn == row.arn)).scalar_one()
    return ManagedPolicy(row.id, row.account_id, row.name, row.policy_id, row.path, row.arn, row.default_version,
                         row.created_at, row.updated_at, row.description, count, _tags(row.tags))


def find_policy(db: Connection, arn: str) -> ManagedPolicy | None:
    row = db.execute(select(POL).where(POL.c.arn == arn)).first()
    return _policy(db, row) if row else None


def policy_name_taken(db: Connection, account_id: str, name: str) -> bool:
    return db.execute(select(POL.c.id).where(POL.c.account_id == account_id,
                                             POL.c.name_key == name.lower())).first() is not None


def list_policies(db: Connection, account_id: str, path_prefix: str = "/") -> list[ManagedPolicy]:
    rows = db.execute(select(POL).where(POL.c.account_id == account_id, POL.c.path.startswith(path_prefix))
                      .order_by(POL.c.name_key))
    return [_policy(db, row) for row in rows]


def insert_policy(db: Connection, document: str, now: dt.datetime, **values) -> None:
    policy_id = db.execute(insert(POL).values(name_key=values["name"].lower(), default_version="v1", next_version=2,
                                              created_at=now, updated_at=now, **values)).inserted_primary_key[0]
    db.execute(insert(V).values(policy_id=policy_id, version_id="v1", document=document, created_at=now))


def policy_versions(db: Connection, policy: ManagedPolicy) -> list[PolicyVersion]:
    rows = db.execute(select(V).where(V.c.policy_id == policy.id)
                      .order_by(V.c.created_at.desc(), V.c.version_id.desc()))
    return [PolicyVersion(row.version_id, row.document, row.version_id == policy.default_version, row.created_at)
            for row in rows]


def add_policy_version(db: Connection, policy: ManagedPolicy, document: str, set_default: bool,
                       now: dt.datetime) -> str:
    next_version = db.execute(select(POL.c.next_version).where(POL.c.id == policy.id)).scalar_one()
    version_id = f"v{next_version}"
    db.execute(insert(V).values(policy_id=policy.id, version_id=version_id, document=document, created_at=now))
    values: dict = {"next_version": next_version + 1, "updated_at": now}
    if set_default:
        values["default_version"] = version_id
    db.execute(update(POL).where(POL.c.id == policy.id).values(**values))
    return version_id


def set_default_version(db: Connection, policy: ManagedPolicy, version_id: str, now: dt.datetime) -> None:
    db.execute(update(POL).where(POL.c.id == policy.id).values(default_version=version_id, updated_at=now))


def delete_policy_version(db: Connection, policy: ManagedPolicy, version_id: str) -> bool:
    return db.execute(delete(V).where(V.c.policy_id == policy.id, V.c.version_id == version_id)).rowcount == 1


def delete_policy(db: Connection, policy: ManagedPolicy) -> None:
    db.execute(delete(POL).where(POL.c.id == policy.id))


# --- access keys ----------------------------------------------------------------------------------

def _key(row, user_name: str) -> AccessKey:
    return AccessKey(row.access_key_id, row.secret_access_key, user_name, row.status, row.created_at)


def access_keys(db: Connection, user: IamPrincipal) -> list[AccessKey]:
    rows = db.execute(select(iam_access_keys).where(iam_access_keys.c.principal_id == user.id)
                      .order_by(iam_access_keys.c.created_at))
    return [_key(row, user.name) for row in rows]


def insert_access_key(db: Connection, **values) -> None:
    db.execute(insert(iam_access_keys).values(**values))


def set_access_key_status(db: Connection, user: IamPrincipal, access_key_id: str, status: str) -> bool:
    table = iam_access_keys
    return db.execute(update(table).where(table.c.principal_id == user.id, table.c.access_key_id == access_key_id)
                      .values(status=status)).rowcount == 1


def delete_access_key(db: Connection, user: IamPrincipal, access_key_id: str) -> bool:
    table = iam_access_keys
    return db.execute(delete(table).where(table.c.principal_id == user.id,
                                          table.c.access_key_id == access_key_id)).rowcount == 1


def find_access_key(db: Connection, access_key_id: str) -> tuple[AccessKey, IamPrincipal] | None:
    row = db.execute(select(iam_access_keys).where(iam_access_keys.c.access_key_id == access_key_id)).first()
    if row is None:
        return None
    user = _principal(db.execute(select(P).where(P.c.id == row.principal_id)).one())
    return _key(row, user.name), user
