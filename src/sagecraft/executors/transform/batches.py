"""Mini-batches of an input file, read in chunks (never the whole file at once for SplitType Line).

MultiRecord: as many whole lines as fit in MaxPayloadInMB. SingleRecord: one line each. SplitType
None: the whole object is one record. A record larger than MaxPayloadInMB fails the job, as on
SageMaker. MaxPayloadInMB 0 means no limit (chunks of 6 MB, any record size)."""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

MB = 1024 * 1024
UNLIMITED_CHUNK = 6 * MB


class PayloadTooLarge(ValueError):
    pass


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Too much data for max payload size: a record is larger than MaxPayloadInMB ({limit // MB} MB)."
    )


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


def line_chunks(stream: Readable, limit: int | None) -> Iterator[bytes]:
    """Chunks that end at a line boundary, each at most ``limit`` bytes (None: any size)."""
    rest = b""
    while True:
        want = (limit - len(rest)) if limit else UNLIMITED_CHUNK
        data = stream.read(want) if want > 0 else b""
        if not data:
            if limit and len(rest) > limit:
                raise _too_large(limit)
            if rest.strip():
                yield rest
            return
        buffer = rest + data
        cut = buffer.rfind(b"\n")
        if cut < 0:
            if limit and len(buffer) >= limit:
                raise _too_large(limit)
            rest = buffer
            continue
        yield buffer[: cut + 1]
        rest = buffer[cut + 1 :]


def lines(chunk: bytes) -> list[bytes]:
    """The non-empty records of a chunk, without their line endings."""
    return [line.rstrip(b"\r") for line in chunk.split(b"\n") if line.strip()]


Batch = tuple[bytes, list[bytes] | None]


class GrowingFile:
    """A file still being written: ``read`` waits for more until ``complete`` (a marker) exists."""

    def __init__(self, path: Path, complete: Path, poll: float = 0.005) -> None:
        self.file = open(path, "rb", buffering=0)  # noqa: SIM115  (closed by close())
        self.complete = complete
        self.poll = poll

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = 1 << 62
        parts: list[bytes] = []
        while size > 0:
            data = self.file.read(min(size, UNLIMITED_CHUNK))
            if data:
                parts.append(data)
                size -= len(data)
                continue
            if self.complete.exists():
                data = self.file.read(min(size, UNLIMITED_CHUNK))  # what was written before the marker appeared
                if not data:
                    break
                parts.append(data)
                size -= len(data)
                continue
            time.sleep(self.poll)
        return b"".join(parts)

    def close(self) -> None:
        self.file.close()


class Parts:
    """An object's bytes read in place: its part files (hard links to the store's blobs), in order."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = list(paths)
        self.file: BinaryIO | None = None

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = 1 << 62
        parts: list[bytes] = []
        while size > 0:
            if self.file is None:
                if not self.paths:
                    break
                self.file = open(self.paths.pop(0), "rb", buffering=0)  # noqa: SIM115  (closed below)
            data = self.file.read(min(size, UNLIMITED_CHUNK))
            if not data:
                self.file.close()
                self.file = None
                continue
            parts.append(data)
            size -= len(data)
        return b"".join(parts)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        self.paths.clear()


class Gunzip:
    """Gzip data decompressed while it is read (several members, as ``gzip`` writes them, included)."""

    def __init__(self, raw: Readable) -> None:
        self.raw = raw
        self.file = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[arg-type]

    def read(self, size: int = -1) -> bytes:
        try:
            return self.file.read(size)
        except (OSError, EOFError, zlib.error) as error:
            raise BadInput(f"The input is not gzip data (CompressionType Gzip): {error}") from None

    def close(self) -> None:
        self.file.close()
        self.raw.close()  # type: ignore[attr-defined]


class BadInput(ValueError):
    pass


def batches(stream: Readable, split_type: str, strategy: str, max_payload_mb: int) -> Iterator[Batch]:
    """(payload, records) per mini-batch; records is None for MultiRecord (split only when needed)."""
    limit = max_payload_mb * MB if max_payload_mb else None
    if split_type != "Line":
        body = stream.read(limit + 1) if limit else stream.read(-1)
        if limit and len(body) > limit:
            raise _too_large(limit)
        if body:
            yield body, [body]
        return
    for chunk in line_chunks(stream, limit):
        if strategy == "SingleRecord":
            for record in lines(chunk):
                yield record, [record]
        else:
            yield chunk, None
