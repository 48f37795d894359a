"""Scalar conversions shared by the protocols: timestamps, blobs, booleans, numbers."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json

from botocore.model import Shape

from sagecraft.core.errors import ValidationException

UTC = dt.timezone.utc


def parse_timestamp(value: str | float | int, name: str) -> dt.datetime:
    """Any of the three AWS timestamp formats (epoch seconds, ISO 8601, RFC 822) to aware UTC."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationException(f"Value at '{name}' is not a timestamp.")
    if isinstance(value, int | float):
        return _from_epoch(value, name)
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return _from_epoch(seconds, name)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text).astimezone(UTC)
    except (TypeError, ValueError):
        raise ValidationException(f"Value '{text}' at '{name}' is not a valid timestamp.") from None


def _from_epoch(seconds: float, name: str) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValidationException(f"Value '{seconds}' at '{name}' is not a valid timestamp.") from None


def format_timestamp(value: dt.datetime, fmt: str) -> str | float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if fmt == "unixTimestamp":
        return round(value.timestamp(), 3)
    if fmt == "rfc822":
        return email.utils.format_datetime(value.astimezone(UTC), usegmt=True)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def timestamp_format(shape: Shape, default: str) -> str:
    return shape.serialization.get("timestampFormat") or default


def parse_blob(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (ValueError, TypeError):
        raise ValidationException(f"Value at '{name}' is not valid base64.") from None


def encode_blob(value: bytes | str) -> str:
    if isinstance(value, str):
        value = value.encode()
    return base64.b64encode(value).decode()


def parse_text_scalar(shape: Shape, text: str, name: str, timestamp_default: str = "iso8601"):
    """A scalar that arrived as text (header, query string, URI label, XML, form field)."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        raise ValidationException(f"Value '{text}' at '{name}' is not a valid {kind}.") from None
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ValidationException(f"Value '{text}' at '{name}' is not a valid boolean.")
        return lowered == "true"
    if kind == "timestamp":
        return parse_timestamp(text, name)
    if kind == "blob":
        return text.encode()
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return json.loads(base64.b64decode(text))
    return text


def format_text_scalar(shape: Shape, value, timestamp_default: str = "iso8601") -> str:
    """A scalar as text for a header, query string or XML element."""
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return str(format_timestamp(value, timestamp_format(shape, timestamp_default)))
    if kind == "blob":
        return encode_blob(value)
    if kind in ("float", "double") and float(value).is_integer():
        return str(value)
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value).encode()).decode()
    return str(value)
