"""SQL for the jobs table: one job, the active ones, filtered and keyset-paginated listings."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select
from sqlalchemy import update as sql_update

from sagecraft.core.errors import ValidationException
from sagecraft.services.jobs.models import ACTIVE, Job, JobKind
from sagecraft.storage.metadata import compare_and_set
from sagecraft.storage.metadata.schema import jobs

SORT_COLUMNS = {"Name": jobs.c.name, "CreationTime": jobs.c.created_at, "Status": jobs.c.status}


def insert_job(db: Connection, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(jobs).values(**values)).inserted_primary_key[0])


def by_arn(db: Connection, arn: str, lock: bool = False) -> Job | None:
    statement = select(jobs).where(jobs.c.arn == arn)
    row = db.execute(statement.with_for_update() if lock else statement).first()
    return Job.from_row(row) if row else None


def by_id(db: Connection, job_id: int) -> Job | None:
    row = db.execute(select(jobs).where(jobs.c.id == job_id)).first()
    return Job.from_row(row) if row else None


def active_ids(db: Connection, owner: str) -> list[int]:
    statement = select(jobs.c.id).where(jobs.c.status.in_(ACTIVE), jobs.c.owner == owner).order_by(jobs.c.id)
    return list(db.execute(statement).scalars())


def set_tags(db: Connection, job_id: int, tags: list[dict[str, str]]) -> None:
    db.execute(sql_update(jobs).where(jobs.c.id == job_id).values(tags=tags))


def set_final_metrics(db: Connection, job_id: int, metrics: list[dict[str, Any]]) -> None:
    db.execute(sql_update(jobs).where(jobs.c.id == job_id).values(final_metrics=metrics))


def merge_runtime(db: Connection, job_id: int, updates: Mapping[str, Any], remove: tuple[str, ...] = ()) -> dict:
    """Read-modify-write of the reconciler's record under a row lock: the reconciler and a request
    (an interrupt) each change their own keys without losing the other's."""
    row = db.execute(select(jobs.c.runtime).where(jobs.c.id == job_id).with_for_update()).first()
    runtime = {k: v for k, v in dict((row.runtime if row else None) or {}).items() if k not in remove}
    runtime.update(updates)
    db.execute(sql_update(jobs).where(jobs.c.id == job_id).values(runtime=runtime))
    return runtime


def update(db: Connection, job_id: int, expected_status: str, values: Mapping[str, Any]) -> bool:
    """Compare-and-set on the status: the step of the state machine happens only from the state seen."""
    return compare_and_set(db, jobs, {"id": job_id}, {"status": expected_status}, values)


@dataclass(frozen=True)
class ListQuery:
    account_id: str
    region: str
    kind: JobKind
    name_contains: str | None = None
    status: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    modified_after: dt.datetime | None = None
    modified_before: dt.datetime | None = None
    sort_by: str = "CreationTime"
    descending: bool = True
    limit: int = 10
    token: str | None = None


def list_jobs(db: Connection, query: ListQuery) -> tuple[list[Job], str | None]:
    column = SORT_COLUMNS[query.sort_by]
    conditions = [jobs.c.account_id == query.account_id, jobs.c.region == query.region,
                  jobs.c.kind == query.kind.value]
    if query.name_contains:
        needle = query.name_contains.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(jobs.c.name).like(f"%{needle}%", escape="\\"))
    if query.status:
        conditions.append(jobs.c.status == query.status)
    for bound, column_of, after in ((query.created_after, jobs.c.created_at, True),
                                    (query.created_before, jobs.c.created_at, False),
                                    (query.modified_after, jobs.c.last_modified, True),
                                    (query.modified_before, jobs.c.last_modified, False)):
        if bound is not None:
            conditions.append(column_of > bound if after else column_of < bound)
    if query.token:
        value, last_id = _decode_token(query.token, query.sort_by, query.descending)
        if query.descending:
            conditions.append(or_(column < value, and_(column == value, jobs.c.id < last_id)))
        else:
            conditions.append(or_(column > value, and_(column == value, jobs.c.id > last_id)))
    order = (column.desc(), jobs.c.id.desc()) if query.descending else (column.asc(), jobs.c.id.asc())
    rows = db.execute(select(jobs).where(*conditions).order_by(*order).limit(query.limit + 1)).all()
    found = [Job.from_row(row) for row in rows[: query.limit]]
    if len(rows) <= query.limit:
        return found, None
    last = found[-1]
    key = {"Name": last.name, "CreationTime": last.created_at.isoformat(), "Status": last.status.value}
    return found, _encode_token(query.sort_by, query.descending, key[query.sort_by], last.id)


def _encode_token(sort_by: str, descending: bool, value: str, last_id: int) -> str:
    raw = json.dumps({"s": sort_by, "d": descending, "v": value, "i": last_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_token(token: str, sort_by: str, descending: bool) -> tuple[Any, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["s"] != sort_by or data["d"] != descending:
            raise ValueError("the token was issued for another sort order")
        value = dt.datetime.fromisoformat(data["v"]) if sort_by == "CreationTime" else str(data["v"])
        return value, int(data["i"])
    except (ValueError, KeyError, TypeError):
        raise ValidationException("Invalid pagination token: NextToken was not issued for this request.") from None
