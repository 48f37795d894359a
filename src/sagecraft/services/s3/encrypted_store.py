"""Server-side encryption at rest, as an ObjectStore around the real one: every reader and writer
(the S3 API, jobs, transform, endpoints' capture) gets plaintext in and out, and objects written
with ``ServerSideEncryption`` (asked for, or the bucket's default encryption) are stored sealed.

Each encrypted object has its own data key, wrapped by the keyring (by a KMS key for ``aws:kms``,
by the S3 master key for ``AES256``) and kept beside the object's metadata with its plaintext size
and ETag. Objects written without encryption are passed through untouched: their reads and
writes cost what they did before (one extra dict lookup)."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any, Protocol

from sagecraft.services.s3 import sealing
from sagecraft.storage.objects.base import (
    CHUNK_SIZE,
    ObjectInfo,
    ObjectMeta,
    ObjectNotFound,
    ObjectStore,
    PartInfo,
    PartLayout,
    Precondition,
    Source,
    UploadInfo,
)
from sagecraft.storage.objects.checksums import new_checksum

# Internal members of ObjectMeta.sse (never sent on the wire: see wire.sse_members).
DATA_KEY = "x-sagecraft-data-key"
PLAIN_SIZE = "x-sagecraft-size"
PLAIN_ETAG = "x-sagecraft-etag"
INTERNAL = (DATA_KEY, PLAIN_SIZE, PLAIN_ETAG)
IN_MEMORY = 8 * CHUNK_SIZE  # encrypted objects up to this size are decrypted before answering


class Keyring(Protocol):
    def new_data_key(self, sse: dict[str, str], object_arn: str) -> tuple[dict[str, str], bytes, str]:
        """(the sse members to store — the KMS key as its ARN —, the data key, the wrapped data key)."""

    def open_data_key(self, sse: dict[str, str], wrapped: str, object_arn: str) -> bytes: ...


class ObjectCorrupted(Exception):
    """An encrypted object's stored bytes do not authenticate."""


def is_encrypted(meta: ObjectMeta) -> bool:
    return DATA_KEY in meta.sse


def public_sse(sse: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in sse.items() if name not in INTERNAL}


def _object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _plain(info: ObjectInfo) -> ObjectInfo:
    """An encrypted object as its readers see it: plaintext size, ETag and part sizes."""
    sse = info.meta.sse
    if DATA_KEY not in sse:
        return info
    parts = None
    if info.parts is not None:
        parts = tuple(PartLayout(sealing.plain_size(p.size), p.checksums) for p in info.parts)
    return replace(info, size=int(sse[PLAIN_SIZE]), etag=sse.get(PLAIN_ETAG, info.etag), parts=parts)


def _plain_check(check: Callable[[ObjectInfo | None], None] | None) -> Callable[[Any], None] | None:
    if check is None:
        return None
    return lambda current: check(_plain(current) if current is not None else None)


def _chunks_of(source: Source) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        yield bytes(source)
        return
    if isinstance(source, str):
        with open(source, "rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                yield chunk
        return
    if not hasattr(source, "open"):
        yield source.read()
        return
    with source.open() as handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk


def _close(reader: object) -> None:
    close = getattr(reader, "close", None)
    if close is not None:
        close()


class EncryptedObjectStore:
    def __init__(
        self,
        inner: ObjectStore,
        keyring: Keyring,
        bucket_default: Callable[[str], dict[str, str] | None] = lambda bucket: None,
        scratch_dir: str | None = None,
    ) -> None:
        self.inner = inner
        self.keyring = keyring
        self.bucket_default = bucket_default
        self.scratch_dir = scratch_dir

    def __getattr__(self, name: str) -> Any:  # buckets, deletes, uploads' listing and abort
        return getattr(self.inner, name)

    # --- writing ---------------------------------------------------------------------------------

    def _encryption(self, bucket: str, meta: ObjectMeta) -> dict[str, str] | None:
        """The encryption a write gets: the one asked for, else the bucket's default, else none."""
        sse = public_sse(meta.sse)
        if not sse.get("ServerSideEncryption"):
            default = self.bucket_default(bucket)
            if not default:
                return None
            sse = {**{k: v for k, v in sse.items() if k != "ServerSideEncryption"}, **default}
        return sse

    def _sealed_source(self, data_key: bytes, segment: int, source: Source) -> tuple[Source, int, str]:
        """The sealed bytes of ``source`` (in memory, or a scratch file for large ones), its plaintext
        size and MD5."""
        md5, size = hashlib.md5(), 0

        def counted() -> Iterator[bytes]:
            nonlocal size
            for chunk in _chunks_of(source):
                md5.update(chunk)
                size += len(chunk)
                yield chunk

        declared = len(source) if isinstance(source, bytes) else getattr(source, "size", None)
        if declared is not None and declared <= IN_MEMORY:
            sealed = b"".join(sealing.seal_segment(data_key, segment, counted()))
            return sealed, size, md5.hexdigest()
        fd, path = tempfile.mkstemp(prefix="sealed-", dir=self.scratch_dir)
        with os.fdopen(fd, "wb") as handle:
            for chunk in sealing.seal_segment(data_key, segment, counted()):
                handle.write(chunk)
        return path, size, md5.hexdigest()

    def put_object(
        self, bucket: str, key: str, source: Source, meta: ObjectMeta, *, precondition: Precondition | None = None
    ) -> ObjectInfo:
        sse = self._encryption(bucket, meta)
        if sse is None:  # conditions see the current object as its readers do (it may be encrypted)
            return self.inner.put_object(bucket, key, source, meta, precondition=_plain_check(precondition))
        stored_sse, data_key, wrapped = self.keyring.new_data_key(sse, _object_arn(bucket, key))
        sealed, size, md5 = self._sealed_source(data_key, 1, source)
        stored = replace(meta, sse={**stored_sse, DATA_KEY: wrapped, PLAIN_SIZE: str(size), PLAIN_ETAG: f'"{md5}"'})
        try:
            return _plain(self.inner.put_object(bucket, key, sealed, stored, precondition=_plain_check(precondition)))
        finally:
            _remove_scratch(sealed)

    def copy_object(
        self,
        src_bucket: str,
        src_key: str,
        bucket: str,
        key: str,
        meta: ObjectMeta | None,
        *,
        source_check: Callable[[ObjectInfo], None] | None = None,
        precondition: Precondition | None = None,
    ) -> ObjectInfo:
        current = self.inner.head_object(src_bucket, src_key)
        target = meta if meta is not None else current.meta
        if not is_encrypted(current.meta) and self._encryption(bucket, target) is None:
            return self.inner.copy_object(
                src_bucket,
                src_key,
                bucket,
                key,
                meta,
                source_check=source_check,
                precondition=_plain_check(precondition),
            )
        # Re-encrypted under the destination's own data key (or decrypted): read, check, write.
        info, reader = self.open_object(src_bucket, src_key)
        if source_check is not None:
            try:
                source_check(info)
            except BaseException:
                _close(reader)
                raise
        written = replace(target, sse=public_sse(target.sse)) if meta is not None else replace(current.meta, sse={})
        plaintext = self._materialized(reader, info.size)
        try:
            return self.put_object(bucket, key, plaintext, written, precondition=precondition)
        finally:
            _remove_scratch(plaintext)

    def _materialized(self, reader: Iterator[bytes], size: int) -> bytes | str:
        """A decrypted stream as a write source: bytes, or a scratch file for large objects."""
        if size <= IN_MEMORY:
            return _read_all(reader)
        fd, path = tempfile.mkstemp(prefix="plain-", dir=self.scratch_dir)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in reader:
                    handle.write(chunk)
        finally:
            _close(reader)
        return path

    # --- reading ---------------------------------------------------------------------------------

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        return _plain(self.inner.head_object(bucket, key))

    def open_object(
        self, bucket: str, key: str, start: int = 0, end: int | None = None
    ) -> tuple[ObjectInfo, Iterator[bytes]]:
        info, reader = self.inner.open_object(bucket, key, start, end)
        if not is_encrypted(info.meta):
            return info, reader
        whole = start == 0 and end is None  # the reader already holds every stored byte
        for _attempt in range(3):
            plain = _plain(info)
            last = plain.size - 1 if end is None else min(end, plain.size - 1)
            sizes = [p.size for p in info.parts] if info.parts else [info.size]
            plan = sealing.sealed_range(sealing.layout(sizes), start, last)
            try:
                data_key = self.keyring.open_data_key(
                    public_sse(info.meta.sse), info.meta.sse[DATA_KEY], _object_arn(bucket, key)
                )
            except BaseException:
                _close(reader)
                raise
            if not whole:
                _close(reader)
                again, reader = self.inner.open_object(bucket, key, plan.sealed_start, plan.sealed_end)
                if again.etag != info.etag:  # replaced meanwhile: plan again for the new version
                    info = again
                    continue
            body = _opened(sealing.open_range(data_key, plan, reader), reader)
            if last - start + 1 <= IN_MEMORY:  # a tampered object fails here, before any byte is sent
                return plain, iter([_read_all(body)])
            return plain, body
        _close(reader)
        raise ObjectNotFound(key)

    def link_object(self, bucket: str, key: str, directory: Any) -> list:
        """The inner store's links, refused for a sealed object: the refusal is decided on the very
        version the inner store links (a version replaced meanwhile is checked afresh)."""
        link = getattr(self.inner, "link_object", None)
        if link is None:
            raise OSError(errno.EOPNOTSUPP, "the object store cannot lend its files")
        return link(bucket, key, directory, check=_refuse_sealed)

    def list_objects(self, bucket: str, **options: Any) -> Any:
        page = self.inner.list_objects(bucket, **options)
        page.objects = [_plain(info) for info in page.objects]
        return page

    # --- multipart uploads -----------------------------------------------------------------------

    def create_upload(
        self, bucket: str, key: str, meta: ObjectMeta, checksum_algorithm: str | None, checksum_type: str | None
    ) -> UploadInfo:
        sse = self._encryption(bucket, meta)
        if sse is not None:
            stored_sse, _, wrapped = self.keyring.new_data_key(sse, _object_arn(bucket, key))
            meta = replace(meta, sse={**stored_sse, DATA_KEY: wrapped})
        return self.inner.create_upload(bucket, key, meta, checksum_algorithm, checksum_type)

    def _upload_key(self, upload: UploadInfo) -> bytes:
        return self.keyring.open_data_key(
            public_sse(upload.meta.sse), upload.meta.sse[DATA_KEY], _object_arn(upload.bucket, upload.key)
        )

    def upload_part(self, upload: UploadInfo, number: int, source: Source, checksums: dict[str, str]) -> PartInfo:
        if not is_encrypted(upload.meta):
            return self.inner.upload_part(upload, number, source, checksums)
        sealed, size, _ = self._sealed_source(self._upload_key(upload), number, source)
        try:
            return replace(self.inner.upload_part(upload, number, sealed, checksums), size=size)
        finally:
            _remove_scratch(sealed)

    def copy_part(
        self,
        upload: UploadInfo,
        number: int,
        src_bucket: str,
        src_key: str,
        start: int,
        end: int,
        *,
        source_check: Callable[[ObjectInfo], None] | None = None,
        algorithms: tuple[str, ...] = (),
    ) -> PartInfo:
        source = self.inner.head_object(src_bucket, src_key)
        if not is_encrypted(upload.meta) and not is_encrypted(source.meta):
            return self.inner.copy_part(
                upload, number, src_bucket, src_key, start, end, source_check=source_check, algorithms=algorithms
            )
        info, reader = self.open_object(src_bucket, src_key, start, end)
        if source_check is not None:
            try:
                source_check(info)
            except BaseException:
                _close(reader)
                raise
        data = _read_all(reader)
        checksums = {}
        for algorithm in algorithms:
            checksum = new_checksum(algorithm)
            checksum.update(data)
            checksums[algorithm] = checksum.base64()
        return self.upload_part(upload, number, data, checksums)

    def list_parts(self, upload: UploadInfo, after: int = 0, max_parts: int = 10000) -> list[PartInfo]:
        parts = self.inner.list_parts(upload, after, max_parts)
        if not is_encrypted(upload.meta):
            return parts
        return [replace(p, size=sealing.plain_size(p.size)) for p in parts]

    def complete_upload(
        self,
        upload: UploadInfo,
        parts: list[tuple[int, str]],
        etag: str,
        meta: ObjectMeta,
        *,
        precondition: Precondition | None = None,
    ) -> ObjectInfo:
        if not is_encrypted(upload.meta):
            return self.inner.complete_upload(upload, parts, etag, meta, precondition=_plain_check(precondition))
        sizes = {p.number: p.size for p in self.list_parts(upload)}
        size = sum(sizes.get(number, 0) for number, _ in parts)
        stored = replace(meta, sse={**public_sse(meta.sse), **upload.meta.sse, PLAIN_SIZE: str(size)})
        return _plain(self.inner.complete_upload(upload, parts, etag, stored, precondition=_plain_check(precondition)))


def _refuse_sealed(info: ObjectInfo) -> None:
    if is_encrypted(info.meta):
        raise OSError(errno.EACCES, "the object is encrypted at rest: its stored bytes are not its content")


def _opened(plain: Iterator[bytes], stored: Iterator[bytes]) -> Iterator[bytes]:
    """Decrypted chunks; the stored reader is closed when done, and tampering reported as such."""
    try:
        yield from plain
    except sealing.CorruptObjectError as error:
        raise ObjectCorrupted(str(error)) from None
    finally:
        _close(stored)


def _remove_scratch(source: object) -> None:
    """A scratch file made for one write (bytes and request bodies need no cleaning)."""
    if isinstance(source, str) and os.path.exists(source):
        os.unlink(source)


def _read_all(reader: Iterable[bytes]) -> bytes:
    try:
        return b"".join(reader)
    finally:
        _close(reader)
