"""The DDL Athena runs itself (not through the engine): CREATE EXTERNAL TABLE over an S3 prefix and
DROP TABLE, turned into Glue Data Catalog tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CREATE = re.compile(
    r"^\s*CREATE\s+EXTERNAL\s+TABLE\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?(?P<name>[`\"\w.]+)\s*\((?P<columns>.*?)\)\s*"
    r"(?P<rest>(?:ROW\s+FORMAT|STORED\s+AS|LOCATION|TBLPROPERTIES|PARTITIONED|COMMENT|WITH).*?)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
DROP = re.compile(r"^\s*DROP\s+TABLE\s+(?P<exists>IF\s+EXISTS\s+)?(?P<name>[`\"\w.]+)\s*;?\s*$", re.IGNORECASE)
LOCATION = re.compile(r"LOCATION\s+'(?P<uri>[^']+)'", re.IGNORECASE)
SERDE = re.compile(r"ROW\s+FORMAT\s+SERDE\s+'(?P<serde>[^']+)'", re.IGNORECASE)
DELIMITED = re.compile(r"ROW\s+FORMAT\s+DELIMITED(?:\s+FIELDS\s+TERMINATED\s+BY\s+'(?P<sep>[^']*)')?", re.IGNORECASE)
STORED_AS = re.compile(r"STORED\s+AS\s+(?P<format>\w+)", re.IGNORECASE)
PROPERTIES = re.compile(r"WITH\s+SERDEPROPERTIES\s*\((?P<body>.*?)\)", re.IGNORECASE | re.DOTALL)
PROPERTY = re.compile(r"""(['"])(?P<key>.*?)\1\s*=\s*(['"])(?P<value>(?:\\.|(?!\3).)*)\3""", re.DOTALL)
OPEN_CSV = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
LAZY_SIMPLE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
PARQUET = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


class DdlError(Exception):
    pass


@dataclass
class CreateTable:
    database: str | None
    name: str
    if_not_exists: bool
    table_input: dict[str, Any] = field(default_factory=dict)


@dataclass
class DropTable:
    database: str | None
    name: str
    if_exists: bool


def _split_name(raw: str) -> tuple[str | None, str]:
    parts = [p.strip('`"') for p in raw.split(".")]
    return (parts[-2] if len(parts) > 1 else None), parts[-1].lower()


def _columns(body: str) -> list[dict[str, str]]:
    columns, depth, current = [], 0, ""
    for char in body + ",":
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        if char == "," and depth == 0:
            name, _, kind = current.strip().partition(" ")
            if not name or not kind.strip():
                raise DdlError(f"line 1:1: mismatched input '{current.strip()}': a column needs a name and a type")
            columns.append({"Name": name.strip('`"').lower(), "Type": kind.strip().lower()})
            current = ""
        else:
            current += char
    return columns


def parse(sql: str) -> CreateTable | DropTable | None:
    """The DDL statement, or None when ``sql`` is not DDL Athena handles itself."""
    dropped = DROP.match(sql)
    if dropped:
        database, name = _split_name(dropped.group("name"))
        return DropTable(database, name, bool(dropped.group("exists")))
    created = CREATE.match(sql)
    if not created:
        if re.match(r"^\s*(CREATE|ALTER|DROP|MSCK)\b", sql, re.IGNORECASE):
            raise DdlError("Only CREATE EXTERNAL TABLE and DROP TABLE DDL are supported by Sagecraft yet.")
        return None
    database, name = _split_name(created.group("name"))
    rest = created.group("rest")
    location = LOCATION.search(rest)
    if location is None:
        raise DdlError("CREATE EXTERNAL TABLE needs a LOCATION 's3://…'")
    serde, parameters = _serde(rest)
    table_input = {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE"},
        "PartitionKeys": [],
        "StorageDescriptor": {
            "Columns": _columns(created.group("columns")),
            "Location": location.group("uri"),
            "SerdeInfo": {"SerializationLibrary": serde, "Parameters": parameters},
        },
    }
    return CreateTable(database, name, bool(created.group("exists")), table_input)


def _serde(rest: str) -> tuple[str, dict[str, str]]:
    parameters = {}
    properties = PROPERTIES.search(rest)
    if properties:
        for match in PROPERTY.finditer(properties.group("body")):
            parameters[match.group("key")] = match.group("value").encode().decode("unicode_escape")
    serde = SERDE.search(rest)
    if serde:
        return serde.group("serde"), parameters
    delimited = DELIMITED.search(rest)
    if delimited:
        sep = (delimited.group("sep") or ",").encode().decode("unicode_escape")
        return LAZY_SIMPLE, {"field.delim": sep, **parameters}
    stored = STORED_AS.search(rest)
    if stored and stored.group("format").lower() == "parquet":
        return PARQUET, parameters
    if stored and stored.group("format").lower() == "textfile":
        return LAZY_SIMPLE, {"field.delim": "\x01", **parameters}
    raise DdlError(
        "Only CSV (OpenCSVSerde, ROW FORMAT DELIMITED) and Parquet external tables are supported by Sagecraft yet."
    )
