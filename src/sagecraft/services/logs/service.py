"""CloudWatch Logs use-cases, and the API other capabilities use to write job logs (``append``)."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import Connection, delete, update
from sqlalchemy.exc import IntegrityError

from sagecraft.services.logs import repository as repo
from sagecraft.services.logs.errors import (
    InvalidParameterException,
    ResourceAlreadyExistsException,
    group_not_found,
    stream_not_found,
)
from sagecraft.services.logs.filter_pattern import parse as parse_filter
from sagecraft.services.logs.models import EventsPage, FilteredPage, LogGroup, LogScope, LogStream, PutResult
from sagecraft.services.logs.tokens import (
    MAX_TIMESTAMP,
    Position,
    backward_token,
    decode_key_token,
    decode_position_token,
    encode_key_token,
    forward_token,
)
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.metadata.schema import log_groups, log_streams

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
MAX_BATCH_BYTES = 1_048_576  # PutLogEvents batch and GetLogEvents page size, as AWS counts them
EVENT_OVERHEAD = 26  # bytes AWS adds per event when sizing a batch
MAX_BATCH_EVENTS = 10_000
APPEND_BATCH_EVENTS = MAX_BATCH_EVENTS  # events per transaction in append()
FILTER_SCAN_BUDGET = 50_000  # events examined per FilterLogEvents call before answering with a token
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                  2922, 3288, 3653)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def to_ms(value: int | dt.datetime) -> int:
    """Epoch milliseconds; naive datetimes are UTC. Integer arithmetic: floats lose a millisecond."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return (value - _EPOCH) // dt.timedelta(milliseconds=1)
    return int(value)


class LogsService:
    def __init__(self, store: MetadataStore, clock: Callable[[], int] = _now_ms) -> None:
        self.store = store
        self.clock = clock  # epoch milliseconds

    # --- groups and streams --------------------------------------------------------------------

    def create_group(self, scope: LogScope, name: str, *, kms_key_id: str | None = None,
                     group_class: str = "STANDARD", tags: dict[str, str] | None = None,
                     deletion_protection: bool = False) -> None:
        try:
            with self.store.write() as db:
                if repo.find_group(db, scope, name) is not None:
                    raise ResourceAlreadyExistsException("The specified log group already exists")
                repo.insert_group(db, scope, name, self.clock(), kms_key_id=kms_key_id, group_class=group_class,
                                  deletion_protection=deletion_protection, tags=tags)
        except IntegrityError:  # created concurrently
            raise ResourceAlreadyExistsException("The specified log group already exists") from None

    def delete_group(self, scope: LogScope, name: str) -> None:
        with self.store.write() as db:
            group = self._group(db, scope, name)
            if group.deletion_protection:
                raise InvalidParameterException(
                    f"Log group {name} has deletion protection enabled; disable it before deleting the group.")
            # Streams and events go with it (ON DELETE CASCADE).
            db.execute(delete(log_groups).where(log_groups.c.id == group.id))

    def put_retention(self, scope: LogScope, name: str, days: int | None) -> None:
        if days is not None and days not in RETENTION_DAYS:
            raise InvalidParameterException(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(map(str, RETENTION_DAYS))}]")
        with self.store.write() as db:
            group = self._group(db, scope, name)
            db.execute(update(log_groups).where(log_groups.c.id == group.id).values(retention_days=days))

    def create_stream(self, scope: LogScope, group: str, name: str) -> None:
        try:
            with self.store.write() as db:
                group_row = self._group(db, scope, group)
                if repo.find_stream(db, group_row.id, name) is not None:
                    raise ResourceAlreadyExistsException("The specified log stream already exists")
                repo.insert_stream(db, group_row.id, name, self.clock())
        except IntegrityError:
            raise ResourceAlreadyExistsException("The specified log stream already exists") from None

    def delete_stream(self, scope: LogScope, group: str, name: str) -> None:
        with self.store.write() as db:
            stream = self._stream(db, self._group(db, scope, group).id, name)
            db.execute(delete(log_streams).where(log_streams.c.id == stream.id))

    def list_groups(self, scope: LogScope, *, prefix: str | None = None, pattern: str | None = None,
                    group_class: str | None = None, names: Sequence[str] | None = None, limit: int = 50,
                    token: str | None = None) -> tuple[list[LogGroup], str | None]:
        after = decode_key_token("groups", token)[0] if token else None
        with self.store.read() as db:
            groups = repo.list_groups(db, scope, prefix=prefix, pattern=pattern, group_class=group_class,
                                      names=names, after=after, limit=limit + 1)
        # A token only when more remain: clients loop while one is present.
        if len(groups) > limit:
            return groups[:limit], encode_key_token("groups", [groups[limit - 1].name])
        return groups, None

    def list_streams(self, scope: LogScope, group: str, *, prefix: str | None = None, by_last_event: bool = False,
                     descending: bool = False, limit: int = 50,
                     token: str | None = None) -> tuple[list[LogStream], str | None]:
        if by_last_event and prefix:
            raise InvalidParameterException("Cannot order by LastEventTime with a logStreamNamePrefix.")
        kind = "streams-by-time" if by_last_event else "streams-by-name"
        after = decode_key_token(kind, token) if token else None
        with self.store.read() as db:
            group_row = self._group(db, scope, group)
            rows = repo.list_streams(db, group_row.id, prefix=prefix, by_last_event=by_last_event,
                                     descending=descending, after=after, limit=limit + 1)
        streams = [repo.to_stream(scope, group, row) for row in rows[:limit]]
        # The SageMaker SDK re-asks while `nextToken` is present: only send one when more remain.
        next_token = encode_key_token(kind, repo.stream_key(rows[limit - 1], by_last_event)) if len(rows) > limit \
            else None
        return streams, next_token

    # --- writing events ------------------------------------------------------------------------

    def put_events(self, scope: LogScope, group: str, stream: str, events: Sequence[tuple[int, str]]) -> PutResult:
        """PutLogEvents: AWS's batch rules; events too old or too new are reported, not stored."""
        _check_batch(events)
        now = self.clock()
        with self.store.write() as db:
            group_row = self._group(db, scope, group)
            stream_row = self._stream(db, group_row.id, stream)
            too_old_end = _count_before(events, now - 14 * DAY_MS)
            expired_end = (_count_before(events, now - group_row.retention_days * DAY_MS)
                           if group_row.retention_days else 0)
            too_new_start = next((i for i, (ts, _) in enumerate(events) if ts > now + 2 * HOUR_MS), len(events))
            first = max(too_old_end, expired_end)
            accepted = events[first:too_new_start] if first < too_new_start else []
            if accepted:
                sequence = repo.insert_events(db, group_row.id, stream_row.id, accepted, now)
            else:
                sequence = stream_row.upload_sequence
        return PutResult(
            next_sequence_token=f"{sequence:056d}",
            accepted=len(accepted),
            too_new_start=too_new_start if too_new_start < len(events) else None,
            too_old_end=too_old_end or None,
            expired_end=expired_end or None,
        )

    def append(self, scope: LogScope, group: str, stream: str, lines: Iterable[tuple[int | dt.datetime, str]]) -> int:
        """Append a job's log lines (timestamp, text), creating the group and stream as needed.
        Unlike PutLogEvents there are no age limits: this is the server's own record. Returns the
        number of lines appended."""
        batch: list[tuple[int, str]] = []
        size = 0
        count = 0
        for timestamp, text in lines:
            event = (to_ms(timestamp), text)
            event_size = len(text.encode()) + EVENT_OVERHEAD
            if batch and (len(batch) >= APPEND_BATCH_EVENTS or size + event_size > MAX_BATCH_BYTES):
                count += self._append_batch(scope, group, stream, batch)
                batch, size = [], 0
            batch.append(event)
            size += event_size
        if batch:
            count += self._append_batch(scope, group, stream, batch)
        return count

    def _append_batch(self, scope: LogScope, group: str, stream: str, batch: list[tuple[int, str]]) -> int:
        for attempt in itertools.count():
            try:
                with self.store.write() as db:
                    group_row = repo.find_group(db, scope, group)
                    group_id = group_row.id if group_row else repo.insert_group(db, scope, group, self.clock())
                    stream_row = repo.find_stream(db, group_id, stream)
                    stream_id = stream_row.id if stream_row else repo.insert_stream(db, group_id, stream, self.clock())
                    repo.insert_events(db, group_id, stream_id, batch, self.clock())
                return len(batch)
            except IntegrityError:
                # Another writer created the group or stream meanwhile: the retry finds it.
                if attempt >= 2:
                    raise
        raise AssertionError("unreachable")

    # --- reading events ------------------------------------------------------------------------

    def get_events(self, scope: LogScope, group: str, stream: str, *, start_ms: int | None = None,
                   end_ms: int | None = None, limit: int | None = None, token: str | None = None,
                   from_head: bool = False) -> EventsPage:
        """GetLogEvents. A token decides the direction; without one, ``from_head`` does (the
        oldest events first, else the newest). Both tokens are always returned; at the end of the
        stream the token given comes back unchanged, as AWS does."""
        start, end = _time_range(start_ms, end_ms)
        limit = limit or MAX_BATCH_EVENTS
        if token:
            direction, position = decode_position_token(token)
        elif from_head:
            direction, position = "f", Position(start, 0)  # just before the first event at `start`
        else:
            direction, position = "b", Position(end, 0)  # just before the first event at `end`
        forward = direction == "f"
        with self.store.read() as db:
            stream_row = self._stream(db, self._group(db, scope, group).id, stream)
            events = _take(repo.scan_stream(db, stream_row.id, position, forward=forward, start_ms=start,
                                            end_ms=end), limit)
        if not forward:
            events.reverse()
        if events:
            first = Position(events[0].timestamp_ms, events[0].event_id)
            last = Position(events[-1].timestamp_ms, events[-1].event_id)
            return EventsPage(events, forward_token(last), backward_token(first))
        if forward:
            return EventsPage([], token or forward_token(position), backward_token(position.next()))
        if token:
            return EventsPage([], forward_token(position.previous()), token)
        # Nothing in the range yet: reading forward from its start will see events that arrive.
        return EventsPage([], forward_token(Position(start, 0)), backward_token(position))

    def filter_events(self, scope: LogScope, group: str, *, stream_names: Sequence[str] | None = None,
                      stream_prefix: str | None = None, start_ms: int | None = None, end_ms: int | None = None,
                      pattern: str | None = None, limit: int | None = None, token: str | None = None) -> FilteredPage:
        """FilterLogEvents: matching events across the group's streams in time order."""
        if stream_names is not None and stream_prefix:
            raise InvalidParameterException("logStreamNames and logStreamNamePrefix are mutually exclusive.")
        matcher = parse_filter(pattern)
        start, end = _time_range(start_ms, end_ms)
        limit = limit or MAX_BATCH_EVENTS
        position = Position(*decode_key_token("filter", token)) if token else Position(start, 0)
        found = []
        size = 0
        scanned = 0
        resume: Position | None = None
        with self.store.read() as db:
            group_row = self._group(db, scope, group)
            for event in repo.scan_group(db, group_row.id, position, start_ms=start, end_ms=end,
                                         stream_names=stream_names, stream_prefix=stream_prefix):
                here = Position(event.timestamp_ms, event.event_id)
                scanned += 1
                if matcher.matches(event.message):
                    size += len(event.message.encode()) + EVENT_OVERHEAD
                    if len(found) >= limit or (found and size > MAX_BATCH_BYTES):
                        resume = Position(found[-1].timestamp_ms, found[-1].event_id)  # more remain
                        break
                    found.append(event)
                if scanned >= FILTER_SCAN_BUDGET:
                    resume = here  # stop scanning; the client continues with the token
                    break
        token_out = encode_key_token("filter", [resume.timestamp_ms, resume.event_id]) if resume else None
        return FilteredPage(found, token_out)

    # --- helpers -------------------------------------------------------------------------------

    def _group(self, db: Connection, scope: LogScope, name: str):
        row = repo.find_group(db, scope, name)
        if row is None:
            raise group_not_found()
        return row

    def _stream(self, db: Connection, group_id: int, name: str):
        row = repo.find_stream(db, group_id, name)
        if row is None:
            raise stream_not_found()
        return row


def _check_batch(events: Sequence[tuple[int, str]]) -> None:
    if len(events) > MAX_BATCH_EVENTS:
        raise InvalidParameterException(f"A PutLogEvents batch can hold at most {MAX_BATCH_EVENTS} log events.")
    for previous, current in itertools.pairwise(events):
        if current[0] < previous[0]:
            raise InvalidParameterException(
                "Log events in a single PutLogEvents request must be in chronological order.")
    if events and events[-1][0] - events[0][0] > DAY_MS:
        raise InvalidParameterException(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
    size = sum(len(message.encode()) + EVENT_OVERHEAD for _, message in events)
    if size > MAX_BATCH_BYTES:
        raise InvalidParameterException(
            f"Log events in a single PutLogEvents request total {size} bytes; the maximum is {MAX_BATCH_BYTES}.")


def _count_before(events: Sequence[tuple[int, str]], cutoff_ms: int) -> int:
    """How many leading (chronological) events are older than ``cutoff_ms``."""
    return next((i for i, (ts, _) in enumerate(events) if ts >= cutoff_ms), len(events))


def _time_range(start_ms: int | None, end_ms: int | None) -> tuple[int, int]:
    """[start, end) in milliseconds, clamped to what the database stores."""
    start = min(max(start_ms or 0, 0), MAX_TIMESTAMP)
    end = MAX_TIMESTAMP if end_ms is None else min(max(end_ms, 0), MAX_TIMESTAMP)
    return start, end


def _take(events, limit: int) -> list:
    """Up to ``limit`` events and at most a 1 MB page (always at least one event)."""
    out = []
    size = 0
    for event in events:
        size += len(event.message.encode()) + EVENT_OVERHEAD
        if out and size > MAX_BATCH_BYTES:
            break
        out.append(event)
        if len(out) >= limit:
            break
    return out
