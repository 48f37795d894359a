"""Multipart uploads of the filesystem object store. Each part is a blob; completing an upload
writes no bytes: the object's row lists its part blobs in order, and reads stream across them."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

from sagecraft.storage.objects.base import (
    BucketNotFound,
    ObjectInfo,
    ObjectMeta,
    PartInfo,
    PartMismatch,
    Precondition,
    Source,
    UploadInfo,
    UploadNotFound,
    UploadPage,
    key_successor,
)
from sagecraft.storage.objects.index import (
    dumps,
    now_ms,
    object_from_row,
    part_from_row,
    segments_of,
    to_datetime,
    upload_from_row,
    upload_meta_column,
)

_UPLOAD_COLUMNS = "upload_id, bucket, key, initiated, meta, checksum_algorithm, checksum_type"
_PART_COLUMNS = "number, size, etag, modified, checksums, blob"


class MultipartMixin:
    """Mixed into FilesystemObjectStore (which provides ``index``, ``blobs`` and the helpers)."""

    def create_upload(self, bucket: str, key: str, meta: ObjectMeta, checksum_algorithm: str | None,
                      checksum_type: str | None) -> UploadInfo:
        upload_id = secrets.token_urlsafe(48)
        initiated = now_ms()
        with self.index.write() as conn:
            self._require_bucket(conn, bucket)
            conn.execute(f"INSERT INTO uploads ({_UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (upload_id, bucket, key.encode(), initiated, upload_meta_column(meta), checksum_algorithm,
                          checksum_type))
        return UploadInfo(bucket, key, upload_id, to_datetime(initiated), meta, checksum_algorithm, checksum_type)

    def get_upload(self, bucket: str, key: str, upload_id: str) -> UploadInfo:
        conn = self.index.conn()
        row = conn.execute(f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ? AND bucket = ? AND key = ?",
                           (upload_id, bucket, key.encode())).fetchone()
        if row is None:
            self._require_bucket(conn, bucket)
            raise UploadNotFound(upload_id)
        return upload_from_row(row)

    def upload_part(self, upload: UploadInfo, number: int, source: Source, checksums: dict[str, str]) -> PartInfo:
        blob, size, md5 = self.blobs.store(source)
        try:
            return self._commit_part(upload, number, blob, size, f'"{md5}"', checksums)
        except BaseException:
            self.blobs.remove([blob])
            raise

    def copy_part(self, upload: UploadInfo, number: int, src_bucket: str, src_key: str, start: int, end: int, *,
                  source_check: Callable[[ObjectInfo], None] | None = None,
                  algorithms: tuple[str, ...] = ()) -> PartInfo:
        for attempt in range(3):
            row = self._object_row(src_bucket, src_key)
            if source_check is not None:
                source_check(object_from_row(src_bucket, row))
            try:
                blob, size, md5, checksums = self.blobs.copy_range(segments_of(row), start, end, algorithms)
                break
            except FileNotFoundError:  # the source was replaced while we read it: read it again
                if attempt == 2:
                    raise
        try:
            return self._commit_part(upload, number, blob, size, f'"{md5}"', checksums)
        except BaseException:
            self.blobs.remove([blob])
            raise

    def _commit_part(self, upload: UploadInfo, number: int, blob: str, size: int, etag: str,
                     checksums: dict[str, str]) -> PartInfo:
        modified = now_ms()
        with self.index.write() as conn:
            if not conn.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload.upload_id,)).fetchone():
                raise UploadNotFound(upload.upload_id)
            old = conn.execute("SELECT blob FROM parts WHERE upload_id = ? AND number = ?",
                               (upload.upload_id, number)).fetchone()
            conn.execute(f"INSERT OR REPLACE INTO parts (upload_id, {_PART_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (upload.upload_id, number, size, etag, modified, dumps(checksums), blob))
        if old is not None:
            self.blobs.remove([old[0]])
        return PartInfo(number, size, etag, to_datetime(modified), checksums)

    def list_parts(self, upload: UploadInfo, after: int = 0, max_parts: int = 10000) -> list[PartInfo]:
        rows = self.index.conn().execute(
            f"SELECT {_PART_COLUMNS} FROM parts WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?",
            (upload.upload_id, after, max_parts))
        return [part_from_row(row) for row in rows]

    def complete_upload(self, upload: UploadInfo, parts: list[tuple[int, str]], etag: str, meta: ObjectMeta, *,
                        precondition: Precondition | None = None) -> ObjectInfo:
        unused: list[str] = []
        layout: list[dict] = []

        def consume(conn) -> None:
            if not conn.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload.upload_id,)).fetchone():
                raise UploadNotFound(upload.upload_id)
            stored = {row[0]: row for row in conn.execute(
                f"SELECT {_PART_COLUMNS} FROM parts WHERE upload_id = ?", (upload.upload_id,))}
            for number, part_etag in parts:
                row = stored.pop(number, None)
                if row is None or row[2].strip('"') != part_etag.strip('"'):
                    raise PartMismatch(number, part_etag)
                entry = {"blob": row[5], "size": row[1]}
                if row[4] != "{}":
                    entry["checksums"] = json.loads(row[4])
                layout.append(entry)
            unused.extend(row[5] for row in stored.values())
            conn.execute("DELETE FROM parts WHERE upload_id = ?", (upload.upload_id,))
            conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload.upload_id,))

        with self.index.write() as conn:
            consume(conn)
            size = sum(p["size"] for p in layout)
            info, replaced = self._replace_row(conn, upload.bucket, upload.key, size, etag, meta, None, layout,
                                               precondition)
        self.blobs.remove(unused + replaced)
        return info

    def abort_upload(self, upload: UploadInfo) -> None:
        with self.index.write() as conn:
            if not conn.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload.upload_id,)).fetchone():
                raise UploadNotFound(upload.upload_id)
            blobs = [row[0] for row in conn.execute("SELECT blob FROM parts WHERE upload_id = ?",
                                                    (upload.upload_id,))]
            conn.execute("DELETE FROM parts WHERE upload_id = ?", (upload.upload_id,))
            conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload.upload_id,))
        self.blobs.remove(blobs)

    def list_uploads(self, bucket: str, *, prefix: str = "", delimiter: str = "", key_marker: str = "",
                     upload_id_marker: str = "", max_uploads: int = 1000) -> UploadPage:
        conn = self.index.conn()
        if not conn.execute("SELECT 1 FROM buckets WHERE name = ?", (bucket,)).fetchone():
            raise BucketNotFound(bucket)
        prefix_b, marker_b = prefix.encode(), key_marker.encode()
        upper = key_successor(prefix_b) if prefix_b else None
        sql = f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE bucket = ? AND key >= ?"
        args: tuple = (bucket, max(prefix_b, marker_b))
        if upper is not None:
            sql += " AND key < ?"
            args += (upper,)
        rows = conn.execute(sql + " ORDER BY key, initiated, upload_id", args).fetchall()
        if key_marker:
            rows = _after_marker(rows, marker_b, upload_id_marker)
        page = UploadPage([], [], False)
        seen_prefixes: set[bytes] = set()
        delim_b = delimiter.encode()
        for row in rows:
            key = row[2]
            cut = key.find(delim_b, len(prefix_b)) if delim_b else -1
            if cut >= 0:
                common = key[: cut + len(delim_b)]
                if common in seen_prefixes or (key_marker and common <= marker_b):
                    continue
                if len(page.uploads) + len(page.common_prefixes) >= max_uploads:
                    page.truncated = True
                    break
                seen_prefixes.add(common)
                page.common_prefixes.append(common.decode())
                continue
            if len(page.uploads) + len(page.common_prefixes) >= max_uploads:
                page.truncated = True
                break
            page.uploads.append(upload_from_row(row))
        return page


def _after_marker(rows: list[tuple], marker: bytes, upload_id_marker: str) -> list[tuple]:
    """Uploads after (key-marker, upload-id-marker): later keys, and later uploads of the marker key."""
    if not upload_id_marker:
        return [row for row in rows if row[2] > marker]
    position = next((i for i, row in enumerate(rows) if row[2] == marker and row[0] == upload_id_marker), None)
    if position is None:
        return [row for row in rows if row[2] > marker]
    return rows[position + 1:]
