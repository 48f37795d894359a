"""Blob files of the filesystem object store: immutable, named by random ids (never by key), fanned
out over 256 folders. An object's bytes are one blob, or a multipart object's list of part blobs."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from sagecraft.storage.objects.base import CHUNK_SIZE, Source
from sagecraft.storage.objects.checksums import new_checksum

Segment = tuple[str, int]  # (blob name, size)


class BlobDir:
    def __init__(self, root: Path) -> None:
        self.root = root
        for i in range(256):
            (root / f"{i:02x}").mkdir(parents=True, exist_ok=True)
        self._root = str(root)

    def path(self, name: str) -> str:
        return f"{self._root}/{name[:2]}/{name}"

    @staticmethod
    def new_name() -> str:
        return secrets.token_hex(16)

    def store(self, source: Source) -> tuple[str, int, str]:
        """Write ``source`` as a new blob: (name, size, md5 hex). A spooled request body is taken
        over by rename, so its bytes are not copied again."""
        name = self.new_name()
        path = self.path(name)
        if isinstance(source, bytes | bytearray | memoryview):
            _write_new(path, source)
            return name, len(source), hashlib.md5(source).hexdigest()
        if isinstance(source, str):
            size, md5 = _copy_file(source, path)
            return name, size, md5
        taken = source.take_file()
        if taken is None:
            data = source.read()
            _write_new(path, data)
            return name, len(data), source.md5 or hashlib.md5(data).hexdigest()
        try:
            os.replace(taken, path)
        except OSError as error:
            if error.errno != errno.EXDEV:
                _unlink(taken)
                raise
            shutil.move(taken, path)  # the spool folder is on another filesystem
        return name, source.size, getattr(source, "md5", None) or _file_md5(path)

    def link(self, name: str) -> str:
        """A new name for the same immutable bytes (a hard link; a copy where links fail)."""
        new = self.new_name()
        try:
            os.link(self.path(name), self.path(new))
        except OSError as error:
            if error.errno in (errno.ENOENT,):
                raise
            shutil.copyfile(self.path(name), self.path(new))
        return new

    def copy_range(self, segments: list[Segment], start: int, end: int,
                   algorithms: tuple[str, ...] = ()) -> tuple[str, int, str, dict[str, str]]:
        """A new blob holding bytes ``start..end`` (inclusive) of an object: (name, size, md5,
        checksums of the given algorithms)."""
        name = self.new_name()
        md5 = hashlib.md5()
        checksums = {algorithm: new_checksum(algorithm) for algorithm in algorithms}
        size = 0
        fd = os.open(self.path(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with BlobReader(self, segments, start, end) as reader:
                for chunk in reader:
                    md5.update(chunk)
                    for checksum in checksums.values():
                        checksum.update(chunk)
                    os.write(fd, chunk)
                    size += len(chunk)
        except BaseException:
            os.close(fd)
            _unlink(self.path(name))
            raise
        os.close(fd)
        return name, size, md5.hexdigest(), {a: c.base64() for a, c in checksums.items()}

    def remove(self, names: Iterable[str]) -> None:
        for name in names:
            _unlink(self.path(name))

    def names(self) -> Iterator[str]:
        for folder in os.scandir(self._root):
            if folder.is_dir():
                for entry in os.scandir(folder.path):
                    yield entry.name


class BlobReader:
    """Streams bytes ``start..end`` (inclusive) of a list of segments in ~1 MiB chunks. The first
    file is opened at once, so a concurrent overwrite (which unlinks the old blob) cannot pull
    it away from a read that has started."""

    def __init__(self, blobs: BlobDir, segments: list[Segment], start: int, end: int) -> None:
        self._blobs = blobs
        self._remaining = end - start + 1
        self._queue: list[tuple[str, int]] = []  # (name, offset in segment) still to read
        offset = 0
        for name, size in segments:
            if offset + size > start and offset <= end:
                self._queue.append((name, max(0, start - offset)))
            offset += size
        self._file = None
        self._next_file()

    def _next_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._queue and self._remaining > 0:
            name, offset = self._queue.pop(0)
            self._file = open(self._blobs.path(name), "rb", buffering=0)  # noqa: SIM115
            if offset:
                self._file.seek(offset)

    def __iter__(self) -> BlobReader:
        return self

    def __next__(self) -> bytes:
        while self._file is not None:
            chunk = self._file.read(min(CHUNK_SIZE, self._remaining))
            if chunk:
                self._remaining -= len(chunk)
                return chunk
            self._next_file()
        raise StopIteration

    def read_all(self) -> bytes:
        return b"".join(self)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._queue.clear()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _write_new(path: str, data) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)


def _copy_file(source: str, path: str) -> tuple[int, str]:
    md5 = hashlib.md5()
    size = 0
    with open(source, "rb") as reader, open(path, "xb") as writer:
        while chunk := reader.read(CHUNK_SIZE):
            md5.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return size, md5.hexdigest()


def _file_md5(path: str) -> str:
    md5 = hashlib.md5()
    with open(path, "rb") as reader:
        while chunk := reader.read(CHUNK_SIZE):
            md5.update(chunk)
    return md5.hexdigest()


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
