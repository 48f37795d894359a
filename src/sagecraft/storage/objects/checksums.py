"""The checksums S3 computes and reports: CRC32, CRC32C, CRC64NVME, SHA1, SHA256 (base64 of the
big-endian digest), plus the MD5-based ETags of single and multipart objects."""

from __future__ import annotations

import base64
import hashlib
import zlib

from awscrt import checksums as crt

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")


class _Crc:
    def __init__(self, function, width: int) -> None:
        self._function = function
        self._width = width
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = self._function(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._width, "big")

    def base64(self) -> str:
        return base64.b64encode(self.digest()).decode()


class _Hash:
    def __init__(self, name: str) -> None:
        self._hash = hashlib.new(name)

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.digest()

    def base64(self) -> str:
        return base64.b64encode(self.digest()).decode()


def new_checksum(algorithm: str):
    """A running checksum for an S3 algorithm name, or None for a name S3 does not define."""
    algorithm = algorithm.upper()
    if algorithm == "CRC32":
        return _Crc(zlib.crc32, 4)
    if algorithm == "CRC32C":
        return _Crc(crt.crc32c, 4)
    if algorithm == "CRC64NVME":
        return _Crc(crt.crc64nvme, 8)
    if algorithm in ("SHA1", "SHA256"):
        return _Hash(algorithm.lower())
    return None


def checksum_of(algorithm: str, data: bytes) -> str:
    checksum = new_checksum(algorithm)
    checksum.update(data)
    return checksum.base64()


def multipart_etag(part_md5_hexes: list[str]) -> str:
    """S3's ETag of a multipart object: MD5 of the parts' binary MD5s, then ``-<part count>``."""
    joined = b"".join(bytes.fromhex(h) for h in part_md5_hexes)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(part_md5_hexes)}"'


def composite_checksum(algorithm: str, part_checksums: list[str]) -> str:
    """S3's COMPOSITE checksum of a multipart object: the checksum of the parts' raw checksums,
    then ``-<part count>``."""
    joined = b"".join(base64.b64decode(c) for c in part_checksums)
    return f"{checksum_of(algorithm, joined)}-{len(part_checksums)}"
