"""Result values printed by DuckDB itself, as Athena prints them, so a result set of millions of
values becomes its CSV without a Python loop: each column becomes a VARCHAR expression and DuckDB's
COPY writes the file (every value double-quoted, NULL left empty)."""

from __future__ import annotations

from sagecraft.services.athena.tables import quote

INTEGERS = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")


def as_text(column: str, duckdb_type: str) -> str:
    """A SQL expression printing ``column`` (a quoted identifier) of ``duckdb_type`` as Trino does."""
    if duckdb_type in ("DOUBLE", "FLOAT"):
        # Shortest round-trip digits; an exponent reads 1.0E20 / 1.5E-7, as Java prints it.
        printed = (
            f"regexp_replace(regexp_replace(CAST({column} AS VARCHAR), '^(-?[0-9]+)e', '\\1.0e'), "
            "'e\\+?(-?)0*([0-9])', 'E\\1\\2')"
        )
        return (
            f"CASE WHEN isnan({column}) THEN 'NaN' WHEN isinf({column}) AND {column} > 0 THEN 'Infinity' "
            f"WHEN isinf({column}) THEN '-Infinity' ELSE {printed} END"
        )
    if duckdb_type == "TIMESTAMP":
        return f"strftime({column}, '%Y-%m-%d %H:%M:%S.%g')"
    if duckdb_type == "TIMESTAMP WITH TIME ZONE":
        return f"strftime({column}, '%Y-%m-%d %H:%M:%S.%g') || ' UTC'"
    if duckdb_type.endswith("[]"):
        return f"regexp_replace(CAST({column} AS VARCHAR), '\\bNULL\\b', 'null', 'g')"
    return f"CAST({column} AS VARCHAR)"


def copy_statement(sql: str, types: list[str], path: str) -> str:
    """COPY the query's result to ``path`` as Athena's CSV body (the header is written apart)."""
    names = [f"c{i}" for i in range(len(types))]
    listed = ", ".join(f"{as_text(quote(n), t)} AS {quote(n)}" for n, t in zip(names, types, strict=True))
    aliases = ", ".join(quote(n) for n in names)
    escaped_path = path.replace("'", "''")
    return (
        f"COPY (SELECT {listed} FROM ({sql}) AS q({aliases})) TO '{escaped_path}' "
        "(FORMAT csv, HEADER false, FORCE_QUOTE *, QUOTE '\"', ESCAPE '\"', NULLSTR '')"
    )
