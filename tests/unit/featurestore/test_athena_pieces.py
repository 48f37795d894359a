"""Athena's pieces without a server: DDL parsing, Trino function rewrites, result printing."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot

from sagecraft.services.athena import ddl
from sagecraft.services.athena.formatting import copy_statement
from sagecraft.services.athena.functions import rewrite
from sagecraft.services.athena.results import column_info, parse_csv


def test_create_external_table_as_the_dataset_builder_writes_it():
    sql = (
        "CREATE EXTERNAL TABLE dataframe_x (id INT, name STRING, t DOUBLE, tags ARRAY<STRING>) "
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        'WITH SERDEPROPERTIES ("separatorChar" = ",", "quoteChar" = "`", "escapeChar" = "\\\\") '
        "LOCATION 's3://b/p/base';"
    )
    parsed = ddl.parse(sql)
    assert isinstance(parsed, ddl.CreateTable) and parsed.name == "dataframe_x" and parsed.database is None
    descriptor = parsed.table_input["StorageDescriptor"]
    assert descriptor["Columns"] == [
        {"Name": "id", "Type": "int"},
        {"Name": "name", "Type": "string"},
        {"Name": "t", "Type": "double"},
        {"Name": "tags", "Type": "array<string>"},
    ]
    assert descriptor["Location"] == "s3://b/p/base"
    assert descriptor["SerdeInfo"]["Parameters"] == {"separatorChar": ",", "quoteChar": "`", "escapeChar": "\\"}


def test_drop_and_unsupported_ddl():
    assert ddl.parse("DROP TABLE IF EXISTS db.t;") == ddl.DropTable("db", "t", True)
    assert ddl.parse("SELECT 1") is None
    with pytest.raises(ddl.DdlError):
        ddl.parse("ALTER TABLE t ADD PARTITION (year='2024')")


def test_teradata_to_timestamp_becomes_a_utc_timestamp():
    tree = sqlglot.parse_one(
        "SELECT 1 WHERE w <= to_timestamp('2024-05-01 10:00:00+02:00', 'yyyy-mm-dd hh24:mi:ss')", read="athena"
    )
    assert "CAST('2024-05-01 08:00:00' AS TIMESTAMP)" in rewrite(tree).sql(dialect="duckdb")


def test_result_csv_reads_back_and_column_types():
    assert parse_csv(b'"a","b"\n"say ""hi""","1"\n"",\n') == [["a", "b"], ['say "hi"', "1"], ["", None]]
    assert [c["Type"] for c in column_info([("a", "VARCHAR"), ("b", "BIGINT"), ("c", "DOUBLE[]")])] == [
        "varchar",
        "bigint",
        "array",
    ]


def test_duckdb_writes_the_result_csv_as_athena_prints_it(tmp_path):
    sql = (
        "SELECT 1 AS a, 1e20::DOUBLE AS b, 1.5e-7::DOUBLE AS c, NULL::DOUBLE AS d, 'x\"y' AS e, '' AS f, "
        "true AS g, TIMESTAMP '2024-01-02 03:04:05.6789' AS h, [1, NULL]::INT[] AS i, 'nan'::DOUBLE AS k"
    )
    conn = duckdb.connect()
    types = [str(t) for t in conn.sql(sql).types]
    conn.execute(copy_statement(sql, types, str(tmp_path / "out.csv")))
    assert parse_csv((tmp_path / "out.csv").read_bytes()) == [
        ["1", "1.0E20", "1.5E-7", None, 'x"y', "", "true", "2024-01-02 03:04:05.678", "[1, null]", "NaN"]
    ]
