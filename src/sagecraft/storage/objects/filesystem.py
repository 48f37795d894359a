"""``FilesystemObjectStore``: the embedded default. Bytes live in blob files with generated names
(no key can reach outside its bucket, and ``a`` and ``a/b`` coexist); facts live in a SQLite
index. A write lands its blob first, then commits the index row in one transaction, so a crash
never leaves a torn or partly visible object; orphan blobs are swept at the next start."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from sagecraft.storage.objects.base import (
    BucketExists,
    BucketInfo,
    BucketNotEmpty,
    BucketNotFound,
    ListPage,
    ObjectInfo,
    ObjectMeta,
    ObjectNotFound,
    PartLayout,
    Precondition,
    Source,
    key_successor,
)
from sagecraft.storage.objects.blobs import BlobDir, BlobReader
from sagecraft.storage.objects.index import (
    OBJECT_COLUMNS,
    SqliteIndex,
    meta_columns,
    now_ms,
    object_from_row,
    parts_column,
    segments_of,
    to_datetime,
)
from sagecraft.storage.objects.multipart import MultipartMixin

log = logging.getLogger("sagecraft.storage.objects")

_CLEAN_MARK = "clean-shutdown"
_LIST_COLUMNS = "key, size, etag, modified, storage_class, checksums, checksum_type, sse"  # sse: encrypted sizes


class FilesystemObjectStore(MultipartMixin):
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.blobs = BlobDir(self.root / "blobs")
        self.index = SqliteIndex(self.root / "index.sqlite3")
        mark = self.root / _CLEAN_MARK
        if mark.exists():
            mark.unlink()  # from now on we are running: a crash leaves no mark
        else:
            self.sweep_orphans()

    def close(self) -> None:
        self.index.close()
        (self.root / _CLEAN_MARK).write_text("ok")

    def sweep_orphans(self) -> int:
        """Delete blob files no index row refers to (left by a crash between a blob write and its
        commit, or between a commit and the unlink of the blobs it replaced)."""
        conn = self.index.conn()
        referenced = {row[0] for row in conn.execute("SELECT blob FROM objects WHERE blob IS NOT NULL")}
        for (parts,) in conn.execute("SELECT parts FROM objects WHERE parts IS NOT NULL"):
            referenced.update(p["blob"] for p in json.loads(parts))
        referenced.update(row[0] for row in conn.execute("SELECT blob FROM parts"))
        orphans = [name for name in self.blobs.names() if name not in referenced]
        self.blobs.remove(orphans)
        if orphans:
            log.info("removed %d orphan blob(s) left by an unclean shutdown", len(orphans))
        return len(orphans)

    # buckets

    def create_bucket(self, name: str, region: str) -> BucketInfo:
        created = now_ms()
        with self.index.write() as conn:
            if conn.execute("SELECT 1 FROM buckets WHERE name = ?", (name,)).fetchone():
                raise BucketExists(name)
            conn.execute("INSERT INTO buckets (name, region, created) VALUES (?, ?, ?)", (name, region, created))
        return BucketInfo(name, region, to_datetime(created))

    def get_bucket(self, name: str) -> BucketInfo | None:
        row = self.index.conn().execute("SELECT name, region, created FROM buckets WHERE name = ?",
                                        (name,)).fetchone()
        return BucketInfo(row[0], row[1], to_datetime(row[2])) if row else None

    def list_buckets(self) -> list[BucketInfo]:
        rows = self.index.conn().execute("SELECT name, region, created FROM buckets ORDER BY name")
        return [BucketInfo(name, region, to_datetime(created)) for name, region, created in rows]

    def delete_bucket(self, name: str) -> None:
        with self.index.write() as conn:
            self._require_bucket(conn, name)
            if conn.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                raise BucketNotEmpty(name)
            blobs = [row[0] for row in conn.execute(
                "SELECT p.blob FROM parts p JOIN uploads u ON p.upload_id = u.upload_id WHERE u.bucket = ?", (name,))]
            conn.execute("DELETE FROM parts WHERE upload_id IN (SELECT upload_id FROM uploads WHERE bucket = ?)",
                         (name,))
            conn.execute("DELETE FROM uploads WHERE bucket = ?", (name,))
            conn.execute("DELETE FROM buckets WHERE name = ?", (name,))
        self.blobs.remove(blobs)

    @staticmethod
    def _require_bucket(conn, name: str) -> None:
        if not conn.execute("SELECT 1 FROM buckets WHERE name = ?", (name,)).fetchone():
            raise BucketNotFound(name)

    # objects

    def put_object(self, bucket: str, key: str, source: Source, meta: ObjectMeta, *,
                   precondition: Precondition | None = None) -> ObjectInfo:
        blob, size, md5 = self.blobs.store(source)
        try:
            with self.index.write() as conn:
                info, replaced = self._replace_row(conn, bucket, key, size, f'"{md5}"', meta, blob, None,
                                                   precondition)
        except BaseException:
            self.blobs.remove([blob])
            raise
        self.blobs.remove(replaced)
        return info

    def _replace_row(self, conn, bucket: str, key: str, size: int, etag: str, meta: ObjectMeta, blob: str | None,
                     parts: list[dict] | None, precondition: Precondition | None) -> tuple[ObjectInfo, list[str]]:
        """Insert or replace an object row inside the caller's write transaction. Returns the blobs
        the old row held: the caller unlinks them once the transaction has committed, so a crash
        before the commit leaves the old object whole."""
        modified = now_ms()
        key_bytes = key.encode()
        self._require_bucket(conn, bucket)
        old = conn.execute(f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?",
                           (bucket, key_bytes)).fetchone()
        if precondition is not None:
            precondition(object_from_row(bucket, old) if old else None)
        conn.execute(
            f"INSERT OR REPLACE INTO objects (bucket, {OBJECT_COLUMNS}) VALUES (?{', ?' * 13})",
            (bucket, key_bytes, size, etag, modified, *meta_columns(meta), blob, parts_column(parts)),
        )
        layout = None
        if parts is not None:
            layout = tuple(PartLayout(p["size"], p.get("checksums", {})) for p in parts)
        replaced = [name for name, _ in segments_of(old)] if old is not None else []
        return ObjectInfo(bucket, key, size, etag, to_datetime(modified), meta, layout), replaced

    def _object_row(self, bucket: str, key: str, conn=None) -> tuple:
        conn = conn or self.index.conn()
        row = conn.execute(f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?",
                           (bucket, key.encode())).fetchone()
        if row is None:
            self._require_bucket(conn, bucket)
            raise ObjectNotFound(key)
        return row

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        return object_from_row(bucket, self._object_row(bucket, key))

    def open_object(self, bucket: str, key: str, start: int = 0,
                    end: int | None = None) -> tuple[ObjectInfo, Iterator[bytes]]:
        for attempt in range(3):
            row = self._object_row(bucket, key)
            info = object_from_row(bucket, row)
            last = info.size - 1 if end is None else min(end, info.size - 1)
            try:
                return info, BlobReader(self.blobs, segments_of(row), start, last)
            except FileNotFoundError:  # overwritten between our read of the row and the open
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def link_object(self, bucket: str, key: str, directory: Path,
                    check: Callable[[ObjectInfo], None] | None = None) -> list[Path]:
        """Hard links to the object's bytes in ``directory`` (one file per part, in order), for a
        reader that wants them in place without a copy. Blobs are immutable, so a link keeps the
        bytes of this version even if the object is overwritten or deleted meanwhile. ``check``
        sees the very version that gets linked (it may raise to refuse it). Raises OSError (e.g.
        EXDEV) where links cannot be made; the caller copies then."""
        directory.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            row = self._object_row(bucket, key)
            if check is not None:
                check(object_from_row(bucket, row))
            segments = segments_of(row)
            made: list[Path] = []
            try:
                for number, (name, _size) in enumerate(segments):
                    target = directory / f"{number:05d}"
                    os.link(self.blobs.path(name), target)
                    made.append(target)
                return made
            except FileNotFoundError:  # overwritten between our read of the row and the link
                for path in made:
                    path.unlink(missing_ok=True)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def delete_object(self, bucket: str, key: str) -> bool:
        with self.index.write() as conn:
            row = conn.execute(f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?",
                               (bucket, key.encode())).fetchone()
            if row is None:
                self._require_bucket(conn, bucket)
                return False
            conn.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key.encode()))
        self.blobs.remove(name for name, _ in segments_of(row))
        return True

    def delete_objects(self, bucket: str, keys: list[str]) -> None:
        doomed: list[str] = []
        with self.index.write() as conn:
            self._require_bucket(conn, bucket)
            for key in keys:
                row = conn.execute(f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?",
                                   (bucket, key.encode())).fetchone()
                if row is not None:
                    conn.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key.encode()))
                    doomed.extend(name for name, _ in segments_of(row))
        self.blobs.remove(doomed)

    def copy_object(self, src_bucket: str, src_key: str, bucket: str, key: str, meta: ObjectMeta | None, *,
                    source_check: Callable[[ObjectInfo], None] | None = None,
                    precondition: Precondition | None = None) -> ObjectInfo:
        # Under the write lock, so the source cannot be deleted between reading its row and linking.
        with self.index.write() as conn:
            row = self._object_row(src_bucket, src_key, conn)
            source = object_from_row(src_bucket, row)
            if source_check is not None:
                source_check(source)
            self._require_bucket(conn, bucket)
            if row[12] is None:
                new_blob, new_parts = self.blobs.link(row[11]), None
                linked = [new_blob]
            else:
                new_blob, new_parts = None, [{**p, "blob": self.blobs.link(p["blob"])} for p in json.loads(row[12])]
                linked = [p["blob"] for p in new_parts]
            try:
                info, replaced = self._replace_row(conn, bucket, key, source.size, source.etag, meta or source.meta,
                                                   new_blob, new_parts, precondition)
            except BaseException:
                self.blobs.remove(linked)
                raise
        self.blobs.remove(replaced)
        return info

    # listing

    def list_objects(self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "",
                     max_keys: int = 1000) -> ListPage:
        conn = self.index.conn()
        self._require_bucket(conn, bucket)
        page = ListPage([], [], False)
        prefix_b, delim_b, after_b = prefix.encode(), delimiter.encode(), after.encode()
        upper = key_successor(prefix_b) if prefix_b else None
        # Start at the prefix or just after ``after``, whichever is later.
        low, inclusive = (after_b, False) if after_b >= prefix_b else (prefix_b, True)
        count = 0
        while True:
            sql = (f"SELECT {_LIST_COLUMNS} FROM objects WHERE bucket = ? AND key {'>=' if inclusive else '>'} ?"
                   + (" AND key < ?" if upper is not None else "") + " ORDER BY key")
            args = (bucket, low, upper) if upper is not None else (bucket, low)
            jumped = False
            for row in conn.execute(sql, args):
                key = row[0]
                cut = key.find(delim_b, len(prefix_b)) if delim_b else -1
                if cut >= 0:
                    common = key[: cut + len(delim_b)]
                    if common > after_b:  # a common prefix sorts where its string does
                        if count >= max_keys:
                            page.truncated = True
                            return page
                        page.common_prefixes.append(common.decode())
                        count += 1
                    successor = key_successor(common)
                    if successor is None:
                        return page
                    low, inclusive, jumped = successor, True, True
                    break  # skip every other key under this common prefix
                if count >= max_keys:
                    page.truncated = True
                    return page
                page.objects.append(_listed(bucket, row))
                count += 1
            if not jumped:
                return page


def _listed(bucket: str, row: tuple) -> ObjectInfo:
    key, size, etag, modified, storage_class, checksums, checksum_type, sse = row
    meta = ObjectMeta(storage_class=storage_class, checksums=json.loads(checksums) if checksums != "{}" else {},
                      checksum_type=checksum_type, sse=json.loads(sse) if sse != "{}" else {})
    return ObjectInfo(bucket, key.decode(), size, etag, to_datetime(modified), meta)
