"""JSON documents <-> Python values, shape by shape (shared by json and rest-json)."""

from __future__ import annotations

import datetime as dt

from botocore.model import Shape

from sagecraft.api.protocols.values import (
    encode_blob,
    format_timestamp,
    parse_blob,
    parse_timestamp,
    timestamp_format,
)
from sagecraft.core.errors import ValidationException

_JSON_TYPES = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
}


def _wire_name(name: str, shape: Shape) -> str:
    return shape.serialization.get("name", name)


def from_json(shape: Shape, value, path: str):
    """A JSON value as sent by a client -> the Python value the services see."""
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise ValidationException(f"Value at '{path}' must be a structure.")
        if shape.is_document_type:
            return value
        out = {}
        for name, member in shape.members.items():
            wire = _wire_name(name, member)
            if wire in value and value[wire] is not None:
                out[name] = from_json(member, value[wire], f"{path}.{name}" if path else name)
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise ValidationException(f"Value at '{path}' must be a list.")
        return [from_json(shape.member, item, f"{path}.{i + 1}.member") for i, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise ValidationException(f"Value at '{path}' must be a map.")
        return {k: from_json(shape.value, v, f"{path}.{k}") for k, v in value.items()}
    if kind == "timestamp":
        return parse_timestamp(value, path)
    if kind == "blob":
        if not isinstance(value, str):
            raise ValidationException(f"Value at '{path}' must be a base64 string.")
        return parse_blob(value, path)
    expected = _JSON_TYPES.get(kind)
    if expected and (not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool))):
        raise ValidationException(f"Value '{value}' at '{path}' must be of type {kind}.")
    if kind in ("float", "double"):
        return float(value)
    return value


def to_json(shape: Shape, value, timestamp_default: str = "unixTimestamp"):
    """A Python value from a service -> the JSON value a client expects."""
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return value
        out = {}
        members = shape.members
        for name, item in value.items():
            member = members.get(name)
            if member is None or item is None:
                continue
            out[_wire_name(name, member)] = to_json(member, item, timestamp_default)
        return out
    if kind == "list":
        return [to_json(shape.member, item, timestamp_default) for item in value]
    if kind == "map":
        return {k: to_json(shape.value, v, timestamp_default) for k, v in value.items()}
    if kind == "timestamp":
        if not isinstance(value, dt.datetime):
            value = parse_timestamp(value, "")
        return format_timestamp(value, timestamp_format(shape, timestamp_default))
    if kind == "blob":
        return encode_blob(value)
    return value
