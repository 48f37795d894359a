"""Data integrity as S3 checks it: Content-MD5, the x-amz-checksum-* algorithms, the ETag and
checksums of multipart objects."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from awscrt import checksums as crt

from sagecraft.services.s3 import errors
from sagecraft.storage.objects.base import CHUNK_SIZE
from sagecraft.storage.objects.checksums import ALGORITHMS, composite_checksum, multipart_etag, new_checksum

DIGEST_BYTES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}
CRC_ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME")
DEFAULT_ALGORITHM = "CRC64NVME"  # what S3 computes when a client sends no checksum
_COMBINE = {"CRC32": crt.combine_crc32, "CRC32C": crt.combine_crc32c, "CRC64NVME": crt.combine_crc64nvme}


def check_algorithm(algorithm: str) -> str:
    name = algorithm.upper()
    if name not in ALGORITHMS:
        raise errors.invalid_request(f"Checksum algorithm provided is unsupported. Please try again with any of the "
                                     f"valid types: [{', '.join(ALGORITHMS)}]")
    return name


def verify_content_md5(content_md5: str | None, md5_hex: str | None) -> None:
    if content_md5 is None:
        return
    try:
        claimed = base64.b64decode(content_md5, validate=True)
    except (binascii.Error, ValueError):
        raise errors.invalid_digest(content_md5) from None
    if len(claimed) != 16:
        raise errors.invalid_digest(content_md5)
    if md5_hex is not None and claimed.hex() != md5_hex:
        raise errors.bad_digest(ExpectedDigest=claimed.hex(), CalculatedDigest=md5_hex)


def _check_format(algorithm: str, value: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != DIGEST_BYTES[algorithm]:
        raise errors.invalid_request(f"Value for x-amz-checksum-{algorithm.lower()} header is invalid.")


def body_checksum(body: Any, algorithm: str) -> str:
    """A checksum of a received body: the one computed on the way in, else computed now."""
    known = getattr(body, "checksums", {}).get(algorithm)
    if known:
        return known
    checksum = new_checksum(algorithm)
    if isinstance(body, bytes | bytearray):
        checksum.update(body)
    else:
        with body.open() as handle:
            while chunk := handle.read(CHUNK_SIZE):
                checksum.update(chunk)
    return checksum.base64()


def verify_checksums(claimed: dict[str, str], body: Any) -> dict[str, str]:
    """Check the client's x-amz-checksum-* claims against the body; the verified checksums.
    S3 accepts one checksum per request."""
    if len(claimed) > 1:
        raise errors.invalid_request("Expecting a single x-amz-checksum- header. Multiple checksum Types are not "
                                     "allowed.")
    verified = {}
    for algorithm, value in claimed.items():
        algorithm = check_algorithm(algorithm)
        _check_format(algorithm, value)
        if body_checksum(body, algorithm) != value:
            raise errors.bad_digest(f"The {algorithm} you specified did not match the calculated checksum.")
        verified[algorithm] = value
    return verified


def multipart_object_etag(part_etags: list[str]) -> str:
    return multipart_etag([etag.strip('"') for etag in part_etags])


def combine_full_object(algorithm: str, parts: list[tuple[str, int]]) -> str:
    """The FULL_OBJECT CRC of a multipart object from its parts' CRCs and sizes."""
    combine = _COMBINE[algorithm]
    total = 0
    for index, (value, size) in enumerate(parts):
        crc = int.from_bytes(base64.b64decode(value), "big")
        total = crc if index == 0 else combine(total, crc, size)
    return base64.b64encode(total.to_bytes(DIGEST_BYTES[algorithm], "big")).decode()


def combine_composite(algorithm: str, part_values: list[str]) -> str:
    return composite_checksum(algorithm, part_values)
