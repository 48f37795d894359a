"""Trino/Athena functions sqlglot does not translate to DuckDB, rewritten in the parsed query."""

from __future__ import annotations

import datetime as dt
import re

from sqlglot import exp

# Teradata-style formats (Athena's to_timestamp/to_char) to strftime directives, longest first.
TERADATA = [
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("mm", "%m"),
    ("dd", "%d"),
    ("hh24", "%H"),
    ("hh", "%I"),
    ("mi", "%M"),
    ("ss", "%S"),
    ("ff", "%f"),
    ("am", "%p"),
    ("pm", "%p"),
]


def teradata_format(pattern: str) -> str:
    out, i = "", 0
    lowered = pattern.lower()
    while i < len(pattern):
        for token, directive in TERADATA:
            if lowered.startswith(token, i):
                out += directive
                i += len(token)
                break
        else:
            out += pattern[i]
            i += 1
    return out


def _to_timestamp(node: exp.Anonymous) -> exp.Expression:
    value, pattern = node.expressions
    if not isinstance(pattern, exp.Literal) or not pattern.is_string:
        return node
    directive = teradata_format(pattern.this)
    if isinstance(value, exp.Literal) and value.is_string:
        # A Python datetime printed with its offset ("…+00:00") is read as that instant, in UTC.
        text = value.this
        offset = re.search(r"([+-]\d{2}:\d{2}|Z)$", text)
        parsed = dt.datetime.strptime(text[: offset.start()] if offset else text, directive)
        if offset and offset.group(1) != "Z":
            parsed = parsed.replace(tzinfo=dt.datetime.strptime(offset.group(1).replace(":", ""), "%z").tzinfo)
            parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return exp.cast(exp.Literal.string(parsed.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP"))
    return exp.Anonymous(this="STRPTIME", expressions=[value, exp.Literal.string(directive)])


def rewrite(tree: exp.Expression) -> exp.Expression:
    def visit(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.lower() == "to_timestamp" and len(node.expressions) == 2:
            return _to_timestamp(node)
        return node

    return tree.transform(visit)
