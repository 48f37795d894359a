"""S3's errors, with the codes, statuses, messages and extra fields S3 sends."""

from __future__ import annotations

from sagecraft.core.errors import AwsError


def _error(code: str, status: int, message: str, **fields) -> AwsError:
    return AwsError(message, code=code, status=status, fields={k: str(v) for k, v in fields.items() if v is not None})


def no_such_bucket(bucket: str) -> AwsError:
    return _error("NoSuchBucket", 404, "The specified bucket does not exist", BucketName=bucket)


def no_such_key(key: str) -> AwsError:
    return _error("NoSuchKey", 404, "The specified key does not exist.", Key=key)


def no_such_upload(upload_id: str) -> AwsError:
    return _error("NoSuchUpload", 404, "The specified upload does not exist. The upload ID may be invalid, or the "
                  "upload may have been aborted or completed.", UploadId=upload_id)


def bucket_already_owned(bucket: str) -> AwsError:
    return _error("BucketAlreadyOwnedByYou", 409,
                  "Your previous request to create the named bucket succeeded and you already own it.",
                  BucketName=bucket)


def bucket_not_empty(bucket: str) -> AwsError:
    return _error("BucketNotEmpty", 409, "The bucket you tried to delete is not empty", BucketName=bucket)


def invalid_bucket_name(bucket: str) -> AwsError:
    return _error("InvalidBucketName", 400, "The specified bucket is not valid.", BucketName=bucket)


def access_denied() -> AwsError:
    return _error("AccessDenied", 403, "Access Denied")


def invalid_range(requested: str, size: int) -> AwsError:
    return _error("InvalidRange", 416, "The requested range is not satisfiable", RangeRequested=requested,
                  ActualObjectSize=size)


def invalid_part_number(requested: int, count: int) -> AwsError:
    return _error("InvalidPartNumber", 416, "The requested partnumber is not satisfiable",
                  PartNumberRequested=requested, ActualPartCount=count)


def precondition_failed(condition: str) -> AwsError:
    return _error("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold",
                  Condition=condition)


class NotModified(AwsError):
    """304: answered with headers and no body (the provider turns it into a plain response)."""

    code = "NotModified"
    status = 304


def bad_digest(message: str = "The Content-MD5 you specified did not match what we received.", **fields) -> AwsError:
    return _error("BadDigest", 400, message, **fields)


def invalid_digest(content_md5: str) -> AwsError:
    return _error("InvalidDigest", 400, "The Content-MD5 you specified was invalid.", **{"Content-MD5": content_md5})


def invalid_argument(message: str, name: str | None = None, value: object = None) -> AwsError:
    return _error("InvalidArgument", 400, message, ArgumentName=name, ArgumentValue=value)


def invalid_request(message: str) -> AwsError:
    return _error("InvalidRequest", 400, message)


def malformed_xml() -> AwsError:
    return _error("MalformedXML", 400, "The XML you provided was not well-formed or did not validate against our "
                  "published schema")


def invalid_part(upload_id: str, number: int | None = None, etag: str | None = None) -> AwsError:
    return _error("InvalidPart", 400, "One or more of the specified parts could not be found.  The part may not "
                  "have been uploaded, or the specified entity tag may not have matched the part's entity tag.",
                  UploadId=upload_id, PartNumber=number, ETag=etag)


def invalid_part_order(upload_id: str) -> AwsError:
    return _error("InvalidPartOrder", 400, "The list of parts was not in ascending order. Parts must be ordered by "
                  "part number.", UploadId=upload_id)


def entity_too_small(size: int, minimum: int, number: int, etag: str) -> AwsError:
    return _error("EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size.",
                  ProposedSize=size, MinSizeAllowed=minimum, PartNumber=number, ETag=etag)


def entity_too_large(size: int, maximum: int) -> AwsError:
    return _error("EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed size",
                  ProposedSize=size, MaxSizeAllowed=maximum)


def key_too_long(size: int) -> AwsError:
    return _error("KeyTooLongError", 400, "Your key is too long", Size=size, MaxSizeAllowed=1024)


def metadata_too_large(size: int) -> AwsError:
    return _error("MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size.",
                  Size=size, MaxSizeAllowed=2048)


def invalid_location_constraint(constraint: str) -> AwsError:
    return _error("InvalidLocationConstraint", 400, "The specified location-constraint is not valid",
                  LocationConstraint=constraint)


def illegal_location_constraint(constraint: str | None) -> AwsError:
    named = constraint if constraint else "unspecified"
    return _error("IllegalLocationConstraintException", 400,
                  f"The {named} location constraint is incompatible for the region specific endpoint this "
                  "request was sent to.")


def operation_aborted() -> AwsError:
    """An object changed under a request that had already looked at it."""
    return _error("OperationAborted", 409, "A conflicting conditional operation is currently in progress against "
                  "this resource. Please try again.")


def object_corrupted(key: str) -> AwsError:
    """An encrypted object whose stored bytes no longer authenticate: S3 never serves wrong bytes."""
    return _error("InternalError", 500, f"The stored bytes of {key} failed their integrity check: the object "
                  "was altered at rest and cannot be read.")
