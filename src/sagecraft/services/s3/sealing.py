"""The at-rest format of encrypted objects: AES-256-GCM under the object's data key, in chunks so
that a ranged read decrypts only the chunks it covers.

An object is one segment per part (one for a single PutObject). A segment is a run of chunks, each
``nonce (12) ‖ ciphertext ‖ tag (16)`` sealing up to ``PLAIN_CHUNK`` bytes; the associated data
names the segment, the chunk's index and whether it is the segment's last, so reordered, dropped,
truncated or altered chunks fail authentication instead of yielding wrong bytes."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PLAIN_CHUNK = 1 << 20
NONCE = 12
TAG = 16
OVERHEAD = NONCE + TAG
SEALED_CHUNK = PLAIN_CHUNK + OVERHEAD


class CorruptObjectError(Exception):
    """Stored bytes that do not authenticate under the object's data key."""


def _aad(segment: int, index: int, last: bool) -> bytes:
    return b"sagecraft-s3:%d:%d:%d" % (segment, index, int(last))


def sealed_size(plain_size: int) -> int:
    """Bytes a segment of ``plain_size`` plaintext bytes occupies (an empty one still has a chunk)."""
    chunks = max(1, -(-plain_size // PLAIN_CHUNK))
    return plain_size + chunks * OVERHEAD


def plain_size(sealed: int) -> int:
    chunks = max(1, -(-sealed // SEALED_CHUNK))
    size = sealed - chunks * OVERHEAD
    if size < 0:
        raise CorruptObjectError("a segment shorter than its framing")
    return size


def _rechunk(chunks: Iterable[bytes]) -> Iterator[bytes | memoryview]:
    """Plaintext in exactly PLAIN_CHUNK pieces (the last shorter); at least one piece. Large
    incoming chunks are sliced without copying."""
    pending = bytearray()
    emitted = False
    for chunk in chunks:
        view = memoryview(chunk)
        if pending:
            taken = view[: PLAIN_CHUNK - len(pending)]
            pending += taken
            view = view[len(taken) :]
            if len(pending) < PLAIN_CHUNK:
                continue
            yield bytes(pending)
            pending.clear()
            emitted = True
        while len(view) >= PLAIN_CHUNK:
            yield view[:PLAIN_CHUNK]
            view = view[PLAIN_CHUNK:]
            emitted = True
        pending += view
    if pending or not emitted:
        yield bytes(pending)


def seal_segment(data_key: bytes, segment: int, plaintext: Iterable[bytes]) -> Iterator[bytes]:
    """Sealed chunks of a plaintext stream."""
    aead = AESGCM(data_key)
    pieces = _rechunk(plaintext)
    current = next(pieces)
    index = 0
    for following in pieces:
        nonce = secrets.token_bytes(NONCE)
        yield nonce + aead.encrypt(nonce, current, _aad(segment, index, False))
        current, index = following, index + 1
    # An exact multiple of PLAIN_CHUNK ends on a full chunk marked last (no empty trailer).
    nonce = secrets.token_bytes(NONCE)
    yield nonce + aead.encrypt(nonce, current, _aad(segment, index, True))


@dataclass(frozen=True)
class Segment:
    """Where one segment lies: in the stored bytes and in the plaintext."""

    number: int
    sealed_start: int
    sealed_size: int
    plain_start: int
    plain_size: int


def layout(sealed_sizes: list[int]) -> list[Segment]:
    segments, sealed_at, plain_at = [], 0, 0
    for number, size in enumerate(sealed_sizes, start=1):
        plain = plain_size(size)
        segments.append(Segment(number, sealed_at, size, plain_at, plain))
        sealed_at, plain_at = sealed_at + size, plain_at + plain
    return segments


@dataclass(frozen=True)
class Piece:
    """One stored chunk to open, and which of its plaintext bytes the range keeps."""

    segment: int
    index: int
    last: bool
    sealed_len: int
    skip: int
    keep: int


@dataclass(frozen=True)
class SealedRange:
    """The stored bytes to read for plaintext ``start..end`` and how to open them."""

    sealed_start: int
    sealed_end: int  # inclusive
    pieces: list[Piece]


def sealed_range(segments: list[Segment], start: int, end: int) -> SealedRange:
    """The whole chunks covering plaintext bytes ``start..end`` (inclusive; end < start: none).
    Empty segments are opened too when inside the range, so their framing is checked."""
    pieces: list[Piece] = []
    for segment in segments:
        chunks = max(1, -(-segment.plain_size // PLAIN_CHUNK))
        for index in range(chunks):
            chunk_start = segment.plain_start + index * PLAIN_CHUNK
            chunk_len = min(PLAIN_CHUNK, segment.plain_size - index * PLAIN_CHUNK)
            chunk_end = chunk_start + chunk_len - 1
            if chunk_len and (chunk_end < start or chunk_start > end):
                continue
            if not chunk_len and not start <= chunk_start <= end + 1:
                continue
            skip = max(0, start - chunk_start)
            keep = max(0, min(end, chunk_end) - chunk_start + 1 - skip)
            pieces.append(Piece(segment.number, index, index == chunks - 1, chunk_len + OVERHEAD, skip, keep))
    if not pieces:
        return SealedRange(0, -1, [])
    first = next(s for s in segments if s.number == pieces[0].segment)
    last = next(s for s in segments if s.number == pieces[-1].segment)
    sealed_start = first.sealed_start + pieces[0].index * SEALED_CHUNK
    sealed_end = last.sealed_start + pieces[-1].index * SEALED_CHUNK + pieces[-1].sealed_len - 1
    return SealedRange(sealed_start, sealed_end, pieces)


def open_range(data_key: bytes, plan: SealedRange, stored: Iterable[bytes]) -> Iterator[bytes]:
    """Plaintext of the planned range from the stored bytes ``plan.sealed_start..sealed_end``."""
    aead = AESGCM(data_key)
    source = iter(stored)
    view, offset = memoryview(b""), 0
    for piece in plan.pieces:
        if len(view) - offset >= piece.sealed_len:  # the whole chunk is in hand: no copy
            chunk = view[offset : offset + piece.sealed_len]
            offset += piece.sealed_len
        else:
            gathered = bytearray(view[offset:])
            while len(gathered) < piece.sealed_len:
                try:
                    gathered += next(source)
                except StopIteration:
                    raise CorruptObjectError("the stored object is shorter than its framing") from None
            view, offset = memoryview(bytes(gathered)), piece.sealed_len
            chunk = view[: piece.sealed_len]
        try:
            plain = aead.decrypt(chunk[:NONCE], chunk[NONCE:], _aad(piece.segment, piece.index, piece.last))
        except InvalidTag:
            raise CorruptObjectError("the stored object does not authenticate: it was altered") from None
        if piece.keep:
            yield plain if piece.skip == 0 and piece.keep == len(plain) else plain[piece.skip : piece.skip + piece.keep]
    if len(view) > offset or next(source, b""):
        raise CorruptObjectError("the stored object is longer than its framing")
