"""Query results as Athena returns them: the column metadata, and the result CSV read back (every
value double-quoted, NULL left empty; formatting.py has DuckDB write it)."""

from __future__ import annotations

import re
from typing import Any

ATHENA_TYPES = {
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "DOUBLE": "double",
    "FLOAT": "real",
    "VARCHAR": "varchar",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "BLOB": "varbinary",
    "HUGEINT": "decimal",
    "UBIGINT": "decimal",
    "UINTEGER": "bigint",
    "TIME": "time",
    "INTERVAL": "interval day to second",
}


def athena_type(duckdb_type: str) -> str:
    if duckdb_type.endswith("[]"):
        return "array"
    if duckdb_type.startswith("DECIMAL"):
        return "decimal"
    if duckdb_type.startswith(("STRUCT", "MAP")):
        return "row" if duckdb_type.startswith("STRUCT") else "map"
    return ATHENA_TYPES.get(duckdb_type, "varchar")


def column_info(columns: list[tuple[str, str]]) -> list[dict[str, Any]]:
    out = []
    for name, kind in columns:
        precision = re.search(r"\((\d+),\s*(\d+)\)", kind)
        athena = athena_type(kind)
        out.append(
            {
                "CatalogName": "hive",
                "SchemaName": "",
                "TableName": "",
                "Name": name,
                "Label": name,
                "Type": athena,
                "Precision": int(precision.group(1)) if precision else _precision(athena),
                "Scale": int(precision.group(2)) if precision else (3 if athena.startswith("timestamp") else 0),
                "Nullable": "UNKNOWN",
                "CaseSensitive": athena == "varchar",
            }
        )
    return out


def _precision(athena: str) -> int:
    return {
        "bigint": 19,
        "integer": 10,
        "smallint": 5,
        "tinyint": 3,
        "double": 17,
        "real": 7,
        "boolean": 0,
        "date": 0,
        "timestamp": 3,
        "varchar": 2147483647,
    }.get(athena, 0)


def parse_csv(body: bytes) -> list[list[str | None]]:
    """Rows of a result CSV: a quoted empty string stays "", an unquoted empty field is NULL."""
    rows: list[list[str | None]] = []
    data = body.decode()
    i, n = 0, len(data)
    row: list[str | None] = []
    while i < n:
        if data[i] == '"':
            j, chunks = i + 1, []
            while True:
                k = data.index('"', j)
                chunks.append(data[j:k])
                if k + 1 < n and data[k + 1] == '"':
                    chunks.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            row.append("".join(chunks))
        else:
            row.append(None)
        if i >= n or data[i] == "\n":
            rows.append(row)
            row = []
        i += 1
    return rows
