"""SQL for CloudWatch Logs over the metadata store's tables (Core, one connection per call)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import BigInteger, Connection, and_, case, cast, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.sql import ColumnElement

from sagecraft.services.logs.models import LogEvent, LogGroup, LogScope, LogStream
from sagecraft.services.logs.tokens import Position
from sagecraft.storage.metadata.schema import log_events, log_groups, log_streams

SCAN_BATCH = 500
NO_EVENTS = -1  # streams without events sort first when ordered by their last event time


def prefix_range(column, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as an index-friendly code-point range (LIKE would be
    case-insensitive on SQLite)."""
    condition = column >= prefix
    upper = _successor(prefix)
    return and_(condition, column < upper) if upper is not None else condition


def _successor(prefix: str) -> str | None:
    while prefix:
        point = ord(prefix[-1]) + 1
        if 0xD800 <= point <= 0xDFFF:
            point = 0xE000  # surrogates cannot be stored
        if point <= 0x10FFFF:
            return prefix[:-1] + chr(point)
        prefix = prefix[:-1]
    return None


# --- groups -----------------------------------------------------------------------------------

def _group_bytes():
    # PostgreSQL sums bigints as numeric: cast back so callers get an int, not a Decimal.
    total = cast(func.coalesce(func.sum(log_streams.c.stored_bytes), 0), BigInteger)
    return select(total).where(log_streams.c.group_id == log_groups.c.id).scalar_subquery()


def find_group(db: Connection, scope: LogScope, name: str) -> Row | None:
    return db.execute(select(log_groups).where(
        log_groups.c.account_id == scope.account_id, log_groups.c.region == scope.region,
        log_groups.c.name == name)).first()


def insert_group(db: Connection, scope: LogScope, name: str, created_ms: int, *, kms_key_id: str | None = None,
                 group_class: str = "STANDARD", deletion_protection: bool = False,
                 tags: dict[str, str] | None = None) -> int:
    return db.execute(insert(log_groups).values(
        account_id=scope.account_id, region=scope.region, name=name, created_ms=created_ms,
        kms_key_id=kms_key_id, group_class=group_class, deletion_protection=deletion_protection,
        tags=tags or None,
    ).returning(log_groups.c.id)).scalar_one()


def list_groups(db: Connection, scope: LogScope, *, prefix: str | None, pattern: str | None,
                group_class: str | None, names: Sequence[str] | None, after: str | None,
                limit: int) -> list[LogGroup]:
    query = select(log_groups, _group_bytes().label("stored_bytes")).where(
        log_groups.c.account_id == scope.account_id, log_groups.c.region == scope.region)
    if prefix:
        query = query.where(prefix_range(log_groups.c.name, prefix))
    if pattern:
        query = query.where(func.lower(log_groups.c.name).contains(pattern.lower(), autoescape=True))
    if group_class:
        query = query.where(log_groups.c.group_class == group_class)
    if names is not None:
        query = query.where(log_groups.c.name.in_(names))
    if after is not None:
        query = query.where(log_groups.c.name > after)
    rows = db.execute(query.order_by(log_groups.c.name).limit(limit)).all()
    return [to_group(scope, row) for row in rows]


def to_group(scope: LogScope, row: Row, stored_bytes: int | None = None) -> LogGroup:
    return LogGroup(
        name=row.name, arn=scope.group_arn(row.name), created_ms=row.created_ms,
        retention_days=row.retention_days, kms_key_id=row.kms_key_id, group_class=row.group_class,
        deletion_protection=row.deletion_protection,
        stored_bytes=stored_bytes if stored_bytes is not None else getattr(row, "stored_bytes", 0),
        tags=dict(row.tags or {}),
    )


# --- streams ----------------------------------------------------------------------------------

def find_stream(db: Connection, group_id: int, name: str) -> Row | None:
    return db.execute(select(log_streams).where(log_streams.c.group_id == group_id,
                                                log_streams.c.name == name)).first()


def insert_stream(db: Connection, group_id: int, name: str, created_ms: int) -> int:
    return db.execute(insert(log_streams).values(
        group_id=group_id, name=name, created_ms=created_ms, stored_bytes=0, upload_sequence=0,
    ).returning(log_streams.c.id)).scalar_one()


def list_streams(db: Connection, group_id: int, *, prefix: str | None, by_last_event: bool, descending: bool,
                 after: list | None, limit: int) -> list[Row]:
    name = log_streams.c.name
    query = select(log_streams).where(log_streams.c.group_id == group_id)
    if prefix:
        query = query.where(prefix_range(name, prefix))
    if by_last_event:
        last = func.coalesce(log_streams.c.last_event_ms, NO_EVENTS)
        if after is not None:
            key, after_name = after
            beyond = (or_(last < key, and_(last == key, name < after_name)) if descending
                      else or_(last > key, and_(last == key, name > after_name)))
            query = query.where(beyond)
        order = (last.desc(), name.desc()) if descending else (last, name)
    else:
        if after is not None:
            query = query.where(name < after[0] if descending else name > after[0])
        order = (name.desc(),) if descending else (name,)
    return db.execute(query.order_by(*order).limit(limit)).all()


def stream_key(row: Row, by_last_event: bool) -> list:
    if by_last_event:
        return [row.last_event_ms if row.last_event_ms is not None else NO_EVENTS, row.name]
    return [row.name]


def to_stream(scope: LogScope, group: str, row: Row) -> LogStream:
    return LogStream(
        name=row.name, arn=scope.stream_arn(group, row.name), created_ms=row.created_ms,
        first_event_ms=row.first_event_ms, last_event_ms=row.last_event_ms,
        last_ingestion_ms=row.last_ingestion_ms, stored_bytes=row.stored_bytes,
        upload_sequence=row.upload_sequence,
    )


# --- events -----------------------------------------------------------------------------------

def insert_events(db: Connection, group_id: int, stream_id: int, events: Sequence[tuple[int, str]],
                  ingestion_ms: int) -> int:
    """Append ``events`` (in order) and fold them into the stream's statistics; returns the
    stream's new upload sequence number."""
    db.execute(insert(log_events), [
        {"group_id": group_id, "stream_id": stream_id, "timestamp_ms": ts, "ingestion_ms": ingestion_ms,
         "message": message}
        for ts, message in events
    ])
    first = min(ts for ts, _ in events)
    last = max(ts for ts, _ in events)
    size = sum(len(message.encode()) for _, message in events)
    c = log_streams.c
    return db.execute(update(log_streams).where(c.id == stream_id).values(
        first_event_ms=case((c.first_event_ms.is_(None), first), (c.first_event_ms > first, first),
                            else_=c.first_event_ms),
        last_event_ms=case((c.last_event_ms.is_(None), last), (c.last_event_ms < last, last),
                           else_=c.last_event_ms),
        last_ingestion_ms=ingestion_ms,
        stored_bytes=c.stored_bytes + size,
        upload_sequence=c.upload_sequence + 1,
    ).returning(c.upload_sequence)).scalar_one()


# The redundant bound on the timestamp alone lets both databases seek the (…, timestamp, id) index
# to the position instead of scanning from the start of the time range.
def _after(position: Position) -> ColumnElement[bool]:
    ts, event_id = log_events.c.timestamp_ms, log_events.c.id
    return and_(ts >= position.timestamp_ms,
                or_(ts > position.timestamp_ms, and_(ts == position.timestamp_ms, event_id > position.event_id)))


def _before(position: Position) -> ColumnElement[bool]:
    ts, event_id = log_events.c.timestamp_ms, log_events.c.id
    return and_(ts <= position.timestamp_ms,
                or_(ts < position.timestamp_ms, and_(ts == position.timestamp_ms, event_id < position.event_id)))


def scan_stream(db: Connection, stream_id: int, position: Position, *, forward: bool, start_ms: int,
                end_ms: int) -> Iterator[LogEvent]:
    """The stream's events after (forward) or before (backward) ``position`` within
    [start_ms, end_ms), nearest first, fetched in batches as the caller consumes them."""
    c = log_events.c
    while True:
        query = select(c.id, c.timestamp_ms, c.ingestion_ms, c.message).where(
            c.stream_id == stream_id, c.timestamp_ms >= start_ms, c.timestamp_ms < end_ms,
            _after(position) if forward else _before(position))
        order = (c.timestamp_ms, c.id) if forward else (c.timestamp_ms.desc(), c.id.desc())
        rows = db.execute(query.order_by(*order).limit(SCAN_BATCH)).all()
        for row in rows:
            yield LogEvent(row.timestamp_ms, row.message, row.ingestion_ms, row.id)
        if len(rows) < SCAN_BATCH:
            return
        position = Position(rows[-1].timestamp_ms, rows[-1].id)


def scan_group(db: Connection, group_id: int, position: Position, *, start_ms: int, end_ms: int,
               stream_names: Sequence[str] | None, stream_prefix: str | None) -> Iterator[LogEvent]:
    """The group's events after ``position`` in time order across streams (FilterLogEvents)."""
    c = log_events.c
    while True:
        query = (select(c.id, c.timestamp_ms, c.ingestion_ms, c.message, log_streams.c.name)
                 .join(log_streams, log_streams.c.id == c.stream_id)
                 .where(c.group_id == group_id, c.timestamp_ms >= start_ms, c.timestamp_ms < end_ms,
                        _after(position)))
        if stream_names is not None:
            query = query.where(log_streams.c.name.in_(stream_names))
        if stream_prefix:
            query = query.where(prefix_range(log_streams.c.name, stream_prefix))
        rows = db.execute(query.order_by(c.timestamp_ms, c.id).limit(SCAN_BATCH)).all()
        for row in rows:
            yield LogEvent(row.timestamp_ms, row.message, row.ingestion_ms, row.id, row.name)
        if len(rows) < SCAN_BATCH:
            return
        position = Position(rows[-1].timestamp_ms, rows[-1].id)
