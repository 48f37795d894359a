"""Reading request bodies off the wire: in memory when small, spooled to a file when large,
hashed on the way in (SHA-256 for the signature, MD5 and CRCs for S3), `aws-chunked` decoded."""

from __future__ import annotations

import hashlib
import io
import os
import queue
import tempfile
import threading
from collections.abc import Awaitable, Callable

import anyio

from sagecraft.core.errors import ClientError
from sagecraft.storage.objects.checksums import new_checksum

SPOOL_THRESHOLD = 1 << 20  # bodies larger than this go to a file in the spool directory


class IncompleteBody(ClientError):
    code = "IncompleteBody"


class RequestBody:
    """A fully received request body. Large bodies live in a spool file the object store may
    take over by rename, so an 8 MB upload is written to disk once."""

    def __init__(self) -> None:
        self.size = 0
        self._buffer: bytearray | None = bytearray()
        self.path: str | None = None
        self.sha256: str | None = None
        self.md5: str | None = None
        self.checksums: dict[str, str] = {}  # algorithm (upper case) -> base64 value
        self.trailers: dict[str, str] = {}

    def read(self) -> bytes:
        if self._buffer is not None:
            return bytes(self._buffer)
        with open(self.path, "rb") as handle:
            return handle.read()

    def open(self):
        if self._buffer is not None:
            return io.BytesIO(self._buffer)
        return open(self.path, "rb")

    def take_file(self) -> str | None:
        """Hand the spool file over to the caller (who renames it); None when held in memory."""
        path, self.path = self.path, None
        if path:
            self._buffer = None
        return path

    def discard(self) -> None:
        if self.path and os.path.exists(self.path):
            os.unlink(self.path)
        self.path = None


class _SpoolWorker(threading.Thread):
    """Writes a large body to its spool file and feeds its MD5, in order, off the event loop:
    hashlib and file writes release the GIL, so this overlaps with the loop's SHA-256 and CRCs."""

    def __init__(self, file, md5) -> None:
        super().__init__(name="spool-writer", daemon=True)
        self.file = file
        self.md5 = md5
        self.queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.error is not None:
                continue  # keep draining so close() never blocks
            try:
                if self.md5 is not None:
                    self.md5.update(data)
                self.file.write(data)
            except BaseException as error:  # reported by finish()
                self.error = error

    async def close(self) -> None:
        self.queue.put(None)
        await anyio.to_thread.run_sync(self.join)
        self.file.close()
        if self.error is not None:
            raise self.error


class _Writer:
    def __init__(self, body: RequestBody, spool_dir: str | None, hash_sha256: bool, hash_md5: bool,
                 checksum_algorithms: list[str]) -> None:
        self.body = body
        self.spool_dir = spool_dir
        self.sha = hashlib.sha256() if hash_sha256 else None
        self.md5 = hashlib.md5() if hash_md5 else None
        self.crcs = {alg: new_checksum(alg) for alg in checksum_algorithms}
        self.worker: _SpoolWorker | None = None

    def write(self, data: bytes) -> None:
        if not data:
            return
        body = self.body
        body.size += len(data)
        if self.sha:
            self.sha.update(data)
        for checksum in self.crcs.values():
            checksum.update(data)
        if self.worker is not None:
            self.worker.queue.put(bytes(data))
            return
        if self.md5:
            self.md5.update(data)
        body._buffer.extend(data)
        if len(body._buffer) > SPOOL_THRESHOLD and self.spool_dir:
            fd, body.path = tempfile.mkstemp(dir=self.spool_dir, prefix="upload-")
            file = os.fdopen(fd, "wb")
            file.write(body._buffer)
            body._buffer = None
            self.worker = _SpoolWorker(file, self.md5)

    async def finish(self) -> None:
        body = self.body
        if self.worker is not None:
            worker, self.worker = self.worker, None
            await worker.close()
        body.sha256 = self.sha.hexdigest() if self.sha else None
        body.md5 = self.md5.hexdigest() if self.md5 else None
        body.checksums = {alg: c.base64() for alg, c in self.crcs.items()}

    async def abandon(self) -> None:
        if self.worker is not None:
            worker, self.worker = self.worker, None
            try:
                await worker.close()
            except BaseException:
                pass  # the body is being discarded anyway


class _ChunkDecoder:
    """Decodes ``aws-chunked`` framing: ``<hex size>[;chunk-signature=…]\\r\\n<data>\\r\\n`` … then
    a zero chunk and optional trailers (``x-amz-checksum-crc32:…``)."""

    def __init__(self, writer: _Writer, verify_chunk: Callable[[str, str], None] | None) -> None:
        self.writer = writer
        self.pending = bytearray()
        self.remaining = 0  # data bytes left in the current chunk (+2 for its CRLF once known)
        self.done = False
        self.verify_chunk = verify_chunk
        self.chunk_hash = hashlib.sha256() if verify_chunk else None
        self.chunk_signature = ""

    def feed(self, data: bytes) -> None:
        self.pending.extend(data)
        while not self.done:
            if self.remaining:
                take = min(self.remaining - 2, len(self.pending)) if self.remaining > 2 else 0
                if take:
                    piece = bytes(self.pending[:take])
                    del self.pending[:take]
                    self.writer.write(piece)
                    if self.chunk_hash:
                        self.chunk_hash.update(piece)
                    self.remaining -= take
                if self.remaining == 2:
                    if len(self.pending) < 2:
                        return
                    del self.pending[:2]
                    self.remaining = 0
                    self._chunk_done()
                if self.remaining:
                    return
                continue
            line_end = self.pending.find(b"\r\n")
            if line_end < 0:
                return
            header = bytes(self.pending[:line_end]).decode("latin-1")
            del self.pending[: line_end + 2]
            size_text, _, extension = header.partition(";")
            try:
                size = int(size_text.strip(), 16)
            except ValueError:
                raise IncompleteBody("The aws-chunked body is malformed.") from None
            if extension.startswith("chunk-signature="):
                self.chunk_signature = extension[len("chunk-signature="):]
            if size == 0:
                if self.chunk_hash:
                    self._chunk_done()
                self.done = True
                self._trailers()
                return
            self.remaining = size + 2

    def _chunk_done(self) -> None:
        if self.verify_chunk and self.chunk_hash:
            self.verify_chunk(self.chunk_signature, self.chunk_hash.hexdigest())
            self.chunk_hash = hashlib.sha256()

    def _trailers(self) -> None:
        text = bytes(self.pending).decode("latin-1")
        for line in text.split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                self.writer.body.trailers[name.strip().lower()] = value.strip()

    def close(self) -> None:
        if not self.done:
            raise IncompleteBody("The request body ended before its last aws-chunked chunk.")
        self._trailers()


async def read_body(
    receive: Callable[[], Awaitable[dict]],
    headers: dict[str, str],
    *,
    spool_dir: str | None,
    hash_sha256: bool,
    hash_md5: bool,
    verify_chunk: Callable[[str, str], None] | None = None,
) -> RequestBody:
    body = RequestBody()
    algorithms = [h[len("x-amz-checksum-"):].upper() for h in headers if h.startswith("x-amz-checksum-")
                  and h != "x-amz-checksum-mode" and h != "x-amz-checksum-type" and h != "x-amz-checksum-algorithm"]
    trailer = headers.get("x-amz-trailer", "")
    if trailer.startswith("x-amz-checksum-"):
        algorithms.append(trailer[len("x-amz-checksum-"):].upper())
    content_sha = headers.get("x-amz-content-sha256", "")
    chunked = "aws-chunked" in headers.get("content-encoding", "") or content_sha.startswith("STREAMING-")
    writer = _Writer(body, spool_dir, hash_sha256 and not chunked, hash_md5,
                     [a for a in algorithms if new_checksum(a) is not None])
    decoder = _ChunkDecoder(writer, verify_chunk if content_sha.startswith("STREAMING-AWS4-HMAC") else None) \
        if chunked else None
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise IncompleteBody("The client disconnected before sending the whole body.")
            data = message.get("body", b"")
            if decoder is not None:
                decoder.feed(data)
            else:
                writer.write(data)
            if not message.get("more_body"):
                break
        if decoder is not None:
            decoder.close()
        await writer.finish()
    except BaseException:
        await writer.abandon()
        body.discard()
        raise
    expected = headers.get("content-length")
    if decoder is None and expected is not None and expected.isdigit() and int(expected) != body.size:
        body.discard()
        raise IncompleteBody("The request body is shorter than its Content-Length.")
    return body

