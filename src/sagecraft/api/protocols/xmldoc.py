"""XML documents <-> Python values, shape by shape (shared by rest-xml and query)."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from botocore.model import Shape

from sagecraft.api.protocols.values import format_text_scalar, parse_text_scalar
from sagecraft.core.errors import ValidationException


class MalformedXML(ValidationException):
    code = "MalformedXML"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def parse_xml(raw: bytes) -> ET.Element:
    try:
        return ET.fromstring(raw)
    except ET.ParseError:
        raise MalformedXML(
            "The XML you provided was not well-formed or did not validate against our published schema"
        ) from None


def _member_tag(name: str, member: Shape) -> str:
    return member.serialization.get("name", name)


def from_xml(shape: Shape, element: ET.Element, path: str):
    kind = shape.type_name
    if kind == "structure":
        out = {}
        children: dict[str, list[ET.Element]] = {}
        for child in element:
            children.setdefault(_local(child.tag), []).append(child)
        for name, member in shape.members.items():
            tag = _member_tag(name, member)
            sub = f"{path}.{name}" if path else name
            if member.serialization.get("xmlAttribute"):
                for key, value in element.attrib.items():
                    if _local(key) == tag:
                        out[name] = parse_text_scalar(member, value, sub)
                continue
            found = children.get(tag)
            if not found:
                continue
            if member.type_name in ("list", "map") and member.serialization.get("flattened"):
                out[name] = [from_xml(member.member, c, sub) for c in found] if member.type_name == "list" \
                    else _flat_map(member, found, sub)
            else:
                out[name] = from_xml(member, found[0], sub)
        return out
    if kind == "list":
        item_tag = shape.member.serialization.get("name", "member")
        items = [c for c in element if _local(c.tag) == item_tag]
        return [from_xml(shape.member, c, f"{path}.{i + 1}") for i, c in enumerate(items)]
    if kind == "map":
        return _flat_map(shape, [c for c in element if _local(c.tag) == "entry"], path)
    return parse_text_scalar(shape, element.text or "", path)


def _flat_map(shape: Shape, entries: list[ET.Element], path: str) -> dict:
    key_tag = shape.key.serialization.get("name", "key")
    value_tag = shape.value.serialization.get("name", "value")
    out = {}
    for entry in entries:
        key = value = None
        for child in entry:
            if _local(child.tag) == key_tag:
                key = child.text or ""
            elif _local(child.tag) == value_tag:
                value = from_xml(shape.value, child, f"{path}.{key}")
        if key is not None:
            out[key] = value
    return out


def to_xml(shape: Shape, value, tag: str, namespace: str | None = None) -> str:
    """Serialize ``value`` as element ``tag`` (with an xmlns when given)."""
    parts: list[str] = []
    _write(shape, value, tag, parts, namespace)
    return "".join(parts)


def _open(tag: str, namespace: str | None, attrs: str = "") -> str:
    ns = f" xmlns={quoteattr(namespace)}" if namespace else ""
    return f"<{tag}{ns}{attrs}>"


def _write(shape: Shape, value, tag: str, out: list[str], namespace: str | None = None) -> None:
    kind = shape.type_name
    if kind == "structure":
        attrs = ""
        body: list[str] = []
        members = shape.members
        for name, item in value.items():
            member = members.get(name)
            if member is None or item is None or member.serialization.get("location"):
                continue
            member_tag = _member_tag(name, member)
            if member.serialization.get("xmlAttribute"):
                attrs += f" {member_tag}={quoteattr(format_text_scalar(member, item))}"
            elif member.type_name == "list" and member.serialization.get("flattened"):
                for entry in item:
                    _write(member.member, entry, member_tag, body)
            elif member.type_name == "map" and member.serialization.get("flattened"):
                _write_map_entries(member, item, body, member_tag)
            else:
                _write(member, item, member_tag, body)
        out.append(_open(tag, namespace, attrs))
        out.extend(body)
        out.append(f"</{tag}>")
        return
    if kind == "list":
        item_tag = shape.member.serialization.get("name", "member")
        out.append(_open(tag, namespace))
        for entry in value:
            _write(shape.member, entry, item_tag, out)
        out.append(f"</{tag}>")
        return
    if kind == "map":
        out.append(_open(tag, namespace))
        _write_map_entries(shape, value, out, "entry")
        out.append(f"</{tag}>")
        return
    text = format_text_scalar(shape, value) if isinstance(value, dt.datetime) or kind != "string" else value
    out.append(f"{_open(tag, namespace)}{escape(text)}</{tag}>")


def _write_map_entries(shape: Shape, value: dict, out: list[str], entry_tag: str) -> None:
    key_tag = shape.key.serialization.get("name", "key")
    value_tag = shape.value.serialization.get("name", "value")
    for key, item in value.items():
        out.append(f"<{entry_tag}><{key_tag}>{escape(str(key))}</{key_tag}>")
        _write(shape.value, item, value_tag, out)
        out.append(f"</{entry_tag}>")
