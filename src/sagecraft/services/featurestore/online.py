"""The online store contract, and the record-level rules every backend applies the same way.

A backend keeps, per feature group incarnation (``key``) and record identifier, the newest record by
event time: an older event never overwrites a newer one, an equal event time lets the latest write win.
A soft delete leaves a tombstone (so an older put cannot resurrect the record), a hard delete removes
it. Each write also appends the offline-store rows to the durable journal before it returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class StoredRecord:
    record_id: str
    event_time: float
    values: dict[str, Any] | None  # None: soft-deleted
    expires_at: float | None

    def live(self, now: float) -> bool:
        return self.values is not None and (self.expires_at is None or self.expires_at > now)


@dataclass
class Write:
    """One record-level change: a put (values), a soft delete (values None) or a hard delete."""

    record_id: str
    event_time: float
    values: dict[str, Any] | None
    expires_at: float | None = None
    hard_delete: bool = False
    online: bool = True  # False: journal only (TargetStores without OnlineStore)


def supersedes(new_event_time: float, current: StoredRecord | None) -> bool:
    return current is None or new_event_time >= current.event_time


class OnlineStore(Protocol):
    fast_reads: bool  # reads are local and never wait on a write: safe on the server's event loop

    def apply(self, key: str, writes: list[Write], journal: list[tuple[str, str]]) -> None:
        """Apply ``writes`` and append ``journal`` rows (key, JSON) durably, all before returning."""

    def get(self, key: str, record_ids: list[str]) -> dict[str, StoredRecord]: ...

    def scan(self, key: str, after: str, limit: int) -> list[StoredRecord]: ...

    def drop(self, key: str) -> None: ...

    def size_bytes(self, key: str) -> int: ...

    def journal_take(self, limit: int) -> list[tuple[int, str, str]]: ...

    def journal_ack(self, seqs: list[int]) -> None: ...

    def close(self) -> None: ...
