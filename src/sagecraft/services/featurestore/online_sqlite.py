"""The embedded online store: one SQLite database file of its own under the home (not the metadata
store), in WAL mode with synchronous=FULL so every acknowledged write is on disk. The offline
journal lives in the same file, so a record and its offline rows commit in one transaction."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from sagecraft.services.featurestore.online import StoredRecord, Write, supersedes

SCHEMA = """
CREATE TABLE IF NOT EXISTS online_records (
    store_key TEXT NOT NULL, record_id TEXT NOT NULL, event_time REAL NOT NULL,
    record TEXT, expires_at REAL, PRIMARY KEY (store_key, record_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offline_journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, store_key TEXT NOT NULL, row TEXT NOT NULL);
"""


class SqliteJournal:
    """The offline journal alone (the Redis online store keeps its journal here)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()

    def append(self, journal: list[tuple[str, str]]) -> None:
        if not journal:
            return
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("INSERT INTO offline_journal (store_key, row) VALUES (?, ?)", journal)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def journal_take(self, limit: int) -> list[tuple[int, str, str]]:
        with self.lock:
            return self.db.execute(
                "SELECT seq, store_key, row FROM offline_journal ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()

    def journal_ack(self, seqs: list[int]) -> None:
        with self.lock:  # one transaction: one disk sync for the whole batch
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("DELETE FROM offline_journal WHERE seq = ?", [(s,) for s in seqs])
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self.lock:
            self.db.close()


class _Pending:
    __slots__ = ("done", "error", "journal", "key", "writes")

    def __init__(self, key: str, writes: list[Write], journal: list[tuple[str, str]]) -> None:
        self.key, self.writes, self.journal = key, writes, journal
        self.done = False
        self.error: BaseException | None = None


class SqliteOnlineStore(SqliteJournal):
    """Group commit: concurrent writers queue their changes; whichever holds the lock commits all
    that are queued in one transaction (one disk sync), and the others find theirs already done."""

    fast_reads = True  # reads use their own connection: a writer's disk sync never blocks them

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self.reader = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.read_lock = threading.Lock()

    def apply(self, key: str, writes: list[Write], journal: list[tuple[str, str]]) -> None:
        mine = _Pending(key, writes, journal)
        with self._queue_lock:
            self._queue.append(mine)
        with self.lock:
            if not mine.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if mine.error is not None:
            raise mine.error

    def apply_batch(self, changes: list[tuple[str, list[Write], list[tuple[str, str]]]]) -> list[BaseException | None]:
        """Several writers' changes in one transaction (one disk sync); per change, its error or None."""
        batch = [_Pending(key, writes, journal) for key, writes, journal in changes]
        with self.lock:
            self._commit(batch)
        return [pending.error for pending in batch]

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for pending in batch:
                    for write in pending.writes:
                        if write.online:
                            self._apply_one(pending.key, write)
                    if pending.journal:
                        self.db.executemany(
                            "INSERT INTO offline_journal (store_key, row) VALUES (?, ?)", pending.journal
                        )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        except BaseException as error:  # every writer of the batch sees the failure
            for pending in batch:
                pending.error = error
        finally:
            for pending in batch:
                pending.done = True

    def _apply_one(self, key: str, write: Write) -> None:
        current = self._get_locked(key, [write.record_id]).get(write.record_id)
        if not supersedes(write.event_time, current):
            return
        if write.hard_delete:
            self.db.execute("DELETE FROM online_records WHERE store_key = ? AND record_id = ?", (key, write.record_id))
            return
        record = None if write.values is None else json.dumps(write.values)
        self.db.execute(
            "INSERT OR REPLACE INTO online_records (store_key, record_id, event_time, record, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (key, write.record_id, write.event_time, record, write.expires_at),
        )

    def _get_locked(
        self, key: str, record_ids: list[str], db: sqlite3.Connection | None = None
    ) -> dict[str, StoredRecord]:
        db = db or self.db
        found: dict[str, StoredRecord] = {}
        for start in range(0, len(record_ids), 500):
            chunk = record_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT record_id, event_time, record, expires_at FROM online_records "
                f"WHERE store_key = ? AND record_id IN ({marks})",
                (key, *chunk),
            )
            for record_id, event_time, record, expires_at in rows:
                found[record_id] = StoredRecord(
                    record_id, event_time, json.loads(record) if record else None, expires_at
                )
        return found

    def get(self, key: str, record_ids: list[str]) -> dict[str, StoredRecord]:
        with self.read_lock:
            return self._get_locked(key, record_ids, self.reader)

    def scan(self, key: str, after: str, limit: int) -> list[StoredRecord]:
        with self.lock:
            rows = self.db.execute(
                "SELECT record_id, event_time, record, expires_at FROM online_records "
                "WHERE store_key = ? AND record_id > ? ORDER BY record_id LIMIT ?",
                (key, after, limit),
            ).fetchall()
        return [StoredRecord(r[0], r[1], json.loads(r[2]) if r[2] else None, r[3]) for r in rows]

    def drop(self, key: str) -> None:
        with self.lock:
            self.db.execute("DELETE FROM online_records WHERE store_key = ?", (key,))

    def size_bytes(self, key: str) -> int:
        with self.read_lock:
            row = self.reader.execute(
                "SELECT COALESCE(SUM(LENGTH(record_id) + COALESCE(LENGTH(record), 0) + 16), 0) "
                "FROM online_records WHERE store_key = ?",
                (key,),
            ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self.read_lock:
            self.reader.close()
        super().close()
