"""S3's multipart upload rules: part numbers and sizes, part order, the ``md5-of-md5s-N`` ETag,
COMPOSITE and FULL_OBJECT checksums."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from sagecraft.services.s3 import errors
from sagecraft.services.s3.conditions import check_copy_source, check_write, parse_copy_range
from sagecraft.services.s3.integrity import (
    CRC_ALGORITHMS,
    DEFAULT_ALGORITHM,
    body_checksum,
    check_algorithm,
    combine_composite,
    combine_full_object,
    multipart_object_etag,
    verify_checksums,
    verify_content_md5,
)
from sagecraft.services.s3.models import MAX_PART_NUMBER, MIN_PART_SIZE, Conditions, CopySource, ObjectWrite
from sagecraft.services.s3.naming import check_key, check_metadata
from sagecraft.services.s3.service import S3Service, body_md5, translated, with_default_sse
from sagecraft.storage.objects.base import ObjectInfo, PartInfo, UploadInfo, UploadPage


@dataclass
class CompletedPart:
    number: int
    etag: str
    checksums: dict[str, str] = field(default_factory=dict)  # as the client listed them


class MultipartService:
    def __init__(self, objects: S3Service) -> None:
        self.objects = objects
        self.store = objects.store

    def create(self, bucket: str, key: str, write: ObjectWrite, checksum_type: str | None) -> UploadInfo:
        check_key(key)
        check_metadata(write.meta.metadata)
        algorithm = check_algorithm(write.checksum_algorithm) if write.checksum_algorithm else None
        if checksum_type is not None:
            checksum_type = checksum_type.upper()
            if algorithm is None:
                raise errors.invalid_request("The x-amz-checksum-type header can only be used with the "
                                             "x-amz-checksum-algorithm header.")
            if checksum_type == "FULL_OBJECT" and algorithm not in CRC_ALGORITHMS:
                raise errors.invalid_request(f"The FULL_OBJECT checksum type cannot be used with the "
                                             f"{algorithm.lower()} checksum algorithm.")
            if checksum_type == "COMPOSITE" and algorithm == "CRC64NVME":
                raise errors.invalid_request("The COMPOSITE checksum type cannot be used with the crc64nvme checksum "
                                             "algorithm.")
        elif algorithm is not None:
            checksum_type = "FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE"
        meta = replace(write.meta, sse=with_default_sse(write.meta))
        with translated(bucket, key):
            return self.store.create_upload(bucket, key, meta, algorithm, checksum_type)

    def upload(self, bucket: str, key: str, upload_id: str) -> UploadInfo:
        with translated(bucket, key, upload_id):
            return self.store.get_upload(bucket, key, upload_id)

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, body: Any,
                    write: ObjectWrite) -> tuple[UploadInfo, PartInfo]:
        _check_part_number(number)
        upload = self.upload(bucket, key, upload_id)
        verify_content_md5(write.content_md5, body_md5(body))
        checksums = verify_checksums(write.checksums, body)
        expected = upload.checksum_algorithm
        if expected is not None and expected not in checksums:
            given = next(iter(checksums), "null").lower()
            raise errors.invalid_request(f"Checksum Type mismatch occurred, expected checksum Type: "
                                         f"{expected.lower()}, actual checksum Type: {given}")
        if expected is None:  # for the CRC64NVME S3 gives objects uploaded without a checksum
            checksums[DEFAULT_ALGORITHM] = body_checksum(body, DEFAULT_ALGORITHM)
        with translated(bucket, key, upload_id):
            part = self.store.upload_part(upload, number, body, checksums)
        return upload, part

    def upload_part_copy(self, bucket: str, key: str, upload_id: str, number: int, source: CopySource,
                         range_header: str | None, source_conditions: Conditions) -> tuple[UploadInfo, PartInfo]:
        _check_part_number(number)
        upload = self.upload(bucket, key, upload_id)
        with translated(source.bucket, source.key):
            current = self.store.head_object(source.bucket, source.key)
        check_copy_source(current, source_conditions)
        chosen = parse_copy_range(range_header, current.size) if range_header else None
        start, end = (chosen.start, chosen.end) if chosen else (0, current.size - 1)

        def still_valid(info: ObjectInfo) -> None:
            check_copy_source(info, source_conditions)
            if end >= info.size:
                raise errors.invalid_argument(f"Range specified is not valid for source object of size: {info.size}",
                                              "x-amz-copy-source-range", range_header)

        algorithm = upload.checksum_algorithm or DEFAULT_ALGORITHM
        with translated(source.bucket, source.key, upload_id):
            part = self.store.copy_part(upload, number, source.bucket, source.key, start, end,
                                        source_check=still_valid, algorithms=(algorithm,))
        return upload, part

    def complete(self, bucket: str, key: str, upload_id: str, parts: list[CompletedPart], *,
                 claimed: dict[str, str], object_size: int | None, if_match: str | None = None,
                 if_none_match: str | None = None) -> ObjectInfo:
        upload = self.upload(bucket, key, upload_id)
        if not parts:
            raise errors.malformed_xml()
        numbers = [p.number for p in parts]
        if any(b <= a for a, b in itertools.pairwise(numbers)):
            raise errors.invalid_part_order(upload_id)
        stored = {p.number: p for p in self.store.list_parts(upload)}
        chosen: list[PartInfo] = []
        for index, requested in enumerate(parts):
            part = stored.get(requested.number)
            if part is None or part.etag.strip('"') != requested.etag.strip('"'):
                raise errors.invalid_part(upload_id, requested.number, requested.etag)
            for algorithm, value in requested.checksums.items():
                if part.checksums.get(algorithm) != value:
                    raise errors.invalid_part(upload_id, requested.number, requested.etag)
            if index < len(parts) - 1 and part.size < MIN_PART_SIZE:
                raise errors.entity_too_small(part.size, MIN_PART_SIZE, part.number, requested.etag)
            chosen.append(part)
        total = sum(p.size for p in chosen)
        if object_size is not None and object_size != total:
            raise errors.invalid_request(f"The provided 'x-amz-mp-object-size' header value {object_size} does not "
                                         f"match what was computed: {total}")
        checksums, checksum_type = _object_checksums(upload, chosen)
        for algorithm, value in claimed.items():
            if checksum_type == "FULL_OBJECT" and checksums.get(algorithm.upper()) != value:
                raise errors.bad_digest(f"The {algorithm.upper()} you specified did not match the calculated "
                                        "checksum.")
        etag = multipart_object_etag([p.etag for p in chosen])
        meta = replace(upload.meta, checksums=checksums, checksum_type=checksum_type)
        precondition = None
        if if_match is not None or if_none_match is not None:
            def precondition(current: ObjectInfo | None) -> None:
                check_write(current, key, if_match, if_none_match)
        with translated(bucket, key, upload_id):
            return self.store.complete_upload(upload, [(p.number, p.etag) for p in chosen], etag, meta,
                                              precondition=precondition)

    def abort(self, bucket: str, key: str, upload_id: str) -> None:
        upload = self.upload(bucket, key, upload_id)
        with translated(bucket, key, upload_id):
            self.store.abort_upload(upload)

    def list_parts(self, bucket: str, key: str, upload_id: str, after: int,
                   max_parts: int) -> tuple[UploadInfo, list[PartInfo], bool]:
        if max_parts < 0:
            raise errors.invalid_argument("Argument max-parts must be an integer between 0 and 2147483647",
                                          "max-parts", max_parts)
        upload = self.upload(bucket, key, upload_id)
        limit = min(max_parts, 1000)
        parts = self.store.list_parts(upload, after, limit + 1)
        return upload, parts[:limit], len(parts) > limit

    def list_uploads(self, bucket: str, *, prefix: str, delimiter: str, key_marker: str, upload_id_marker: str,
                     max_uploads: int) -> UploadPage:
        if max_uploads < 0:
            raise errors.invalid_argument("Argument max-uploads must be an integer between 0 and 2147483647",
                                          "max-uploads", max_uploads)
        with translated(bucket):
            return self.store.list_uploads(bucket, prefix=prefix, delimiter=delimiter, key_marker=key_marker,
                                           upload_id_marker=upload_id_marker, max_uploads=min(max_uploads, 1000))


def _check_part_number(number: int) -> None:
    if not 1 <= number <= MAX_PART_NUMBER:
        raise errors.invalid_argument("Part number must be an integer between 1 and 10000, inclusive",
                                      "partNumber", number)


def _object_checksums(upload: UploadInfo, parts: list[PartInfo]) -> tuple[dict[str, str], str | None]:
    algorithm = upload.checksum_algorithm or DEFAULT_ALGORITHM
    values = [p.checksums.get(algorithm) for p in parts]
    if any(v is None for v in values):
        return {}, None  # parts copied from elsewhere before checksums were kept: report none
    if upload.checksum_algorithm is None or upload.checksum_type == "FULL_OBJECT":
        return {algorithm: combine_full_object(algorithm, list(zip(values, [p.size for p in parts],
                                                                   strict=True)))}, "FULL_OBJECT"
    return {algorithm: combine_composite(algorithm, values)}, "COMPOSITE"
