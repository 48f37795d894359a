"""The filesystem object store's index: one SQLite database (WAL, synchronous=NORMAL) holding
buckets, objects, multipart uploads and parts. Keys are BLOBs of their UTF-8 bytes, so SQLite's
memcmp ordering is S3's listing order.

Readers use one connection per thread; writers share one process-wide lock and ``BEGIN
IMMEDIATE`` so they queue in order instead of polling SQLite's busy handler."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sagecraft.storage.objects.base import ObjectInfo, ObjectMeta, PartInfo, PartLayout, UploadInfo

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY, region TEXT NOT NULL, created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, key BLOB NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    modified INTEGER NOT NULL, content_type TEXT NOT NULL, metadata TEXT NOT NULL, headers TEXT NOT NULL,
    checksums TEXT NOT NULL, checksum_type TEXT, sse TEXT NOT NULL, storage_class TEXT NOT NULL,
    blob TEXT, parts TEXT,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, initiated INTEGER NOT NULL,
    meta TEXT NOT NULL, checksum_algorithm TEXT, checksum_type TEXT
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, initiated, upload_id);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL, number INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    modified INTEGER NOT NULL, checksums TEXT NOT NULL, blob TEXT NOT NULL,
    PRIMARY KEY (upload_id, number)
) WITHOUT ROWID;
"""

OBJECT_COLUMNS = ("key, size, etag, modified, content_type, metadata, headers, checksums, checksum_type, sse, "
                  "storage_class, blob, parts")


class SqliteIndex:
    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self.write_lock = threading.RLock()
        with self.write_lock:
            self.conn().executescript(_SCHEMA)

    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-16000")
            self._local.conn = conn
            with self._guard:
                self._connections.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self.write_lock:
            conn = self.conn()
            if conn.in_transaction:  # nested: part of the caller's transaction
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._guard:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()


def now_ms() -> int:
    return int(time.time() * 1000)


def to_datetime(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)


def dumps(value: dict) -> str:
    return json.dumps(value, separators=(",", ":")) if value else "{}"


def _loads(text: str) -> dict:
    return json.loads(text) if text != "{}" else {}


def meta_columns(meta: ObjectMeta) -> tuple:
    """content_type, metadata, headers, checksums, checksum_type, sse, storage_class."""
    return (meta.content_type, dumps(meta.metadata), dumps(meta.headers), dumps(meta.checksums),
            meta.checksum_type, dumps(meta.sse), meta.storage_class)


def parts_column(parts: list[dict] | None) -> str | None:
    return json.dumps(parts, separators=(",", ":")) if parts is not None else None


def object_from_row(bucket: str, row: tuple) -> ObjectInfo:
    key, size, etag, modified, content_type, metadata, headers, checksums, checksum_type, sse, storage_class, \
        _blob, parts = row
    meta = ObjectMeta(content_type, _loads(metadata), _loads(headers), _loads(checksums), checksum_type,
                      _loads(sse), storage_class)
    layout = None
    if parts is not None:
        layout = tuple(PartLayout(p["size"], p.get("checksums", {})) for p in json.loads(parts))
    return ObjectInfo(bucket, key.decode(), size, etag, to_datetime(modified), meta, layout)


def segments_of(row: tuple) -> list[tuple[str, int]]:
    """The (blob, size) segments holding an object's bytes, from a full object row."""
    blob, parts = row[11], row[12]
    if parts is None:
        return [(blob, row[1])]
    return [(p["blob"], p["size"]) for p in json.loads(parts)]


def upload_from_row(row: tuple) -> UploadInfo:
    upload_id, bucket, key, initiated, meta, algorithm, checksum_type = row
    fields = json.loads(meta)
    return UploadInfo(bucket, key.decode(), upload_id, to_datetime(initiated), ObjectMeta(**fields),
                      algorithm, checksum_type)


def upload_meta_column(meta: ObjectMeta) -> str:
    return json.dumps(meta.__dict__, separators=(",", ":"))


def part_from_row(row: tuple) -> PartInfo:
    number, size, etag, modified, checksums = row[:5]
    return PartInfo(number, size, etag, to_datetime(modified), _loads(checksums))

