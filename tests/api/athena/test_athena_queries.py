"""Athena through boto3: queries over Glue tables run by DuckDB, results as Athena returns them
(header row first, typed column info, pagination, CSV in the output location), DDL for CSV external
tables, failures and cancellation."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def athena(server):
    return server.client("athena")


@pytest.fixture(scope="module")
def glue(server):
    return server.client("glue")


@pytest.fixture(scope="module")
def bucket(s3) -> str:
    name = f"athena-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def database(glue) -> str:
    name = f"db_{uuid.uuid4().hex[:8]}"
    glue.create_database(DatabaseInput={"Name": name})
    return name


def _start(athena, sql: str, bucket: str, database: str = "default") -> str:
    return athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": f"s3://{bucket}/results/"},
    )["QueryExecutionId"]


def _wait(athena, query_id: str) -> dict:
    for _ in range(600):
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] not in ("QUEUED", "RUNNING"):
            return execution
        time.sleep(0.05)
    raise AssertionError("query did not finish")


def _rows(page: dict) -> list[list[str | None]]:
    return [[d.get("VarCharValue") for d in row["Data"]] for row in page["ResultSet"]["Rows"]]


@pytest.fixture(scope="module")
def people(athena, s3, bucket, database) -> str:
    body = "1,ann,3.5,true\n2,bob,,false\n3,`c, d`,1e20,true\n"
    s3.put_object(Bucket=bucket, Key="people/part-0.csv", Body=body.encode())
    ddl = (
        f"CREATE EXTERNAL TABLE people (id INT, name STRING, score DOUBLE, ok BOOLEAN) "
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        'WITH SERDEPROPERTIES ("separatorChar" = ",", "quoteChar" = "`", "escapeChar" = "\\\\") '
        f"LOCATION 's3://{bucket}/people';"
    )
    execution = _wait(athena, _start(athena, ddl, bucket, database))
    assert execution["Status"]["State"] == "SUCCEEDED" and execution["StatementType"] == "DDL"
    return "people"


def test_select_returns_header_typed_columns_and_csv(athena, s3, bucket, database, people):
    query_id = _start(athena, f'SELECT id, name, score, ok FROM "{database}"."{people}" ORDER BY id', bucket)
    execution = _wait(athena, query_id)
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert execution["ResultConfiguration"]["OutputLocation"] == f"s3://{bucket}/results/{query_id}.csv"
    page = athena.get_query_results(QueryExecutionId=query_id)
    assert _rows(page) == [
        ["id", "name", "score", "ok"],
        ["1", "ann", "3.5", "true"],
        ["2", "bob", None, "false"],
        ["3", "c, d", "1.0E20", "true"],
    ]
    info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in info] == [
        ("id", "integer"),
        ("name", "varchar"),
        ("score", "double"),
        ("ok", "boolean"),
    ]
    body = s3.get_object(Bucket=bucket, Key=f"results/{query_id}.csv")["Body"].read().decode()
    assert body.splitlines()[:3] == ['"id","name","score","ok"', '"1","ann","3.5","true"', '"2","bob",,"false"']
    s3.head_object(Bucket=bucket, Key=f"results/{query_id}.csv.metadata")


def test_results_paginate(athena, bucket):
    query_id = _start(athena, "SELECT x FROM UNNEST(sequence(1, 25)) AS t(x) ORDER BY x", bucket)
    assert _wait(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    seen, token = [], None
    while True:
        page = athena.get_query_results(
            QueryExecutionId=query_id, MaxResults=10, **({"NextToken": token} if token else {})
        )
        seen += _rows(page)
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [["x"]] + [[str(i)] for i in range(1, 26)]


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT * FROM no_such_table", "TABLE_NOT_FOUND"),
        ("SELEC 1", "INVALID_INPUT"),
        ("SELECT no_such_column FROM UNNEST(sequence(1, 2)) AS t(x)", "GENERIC_INTERNAL_ERROR"),
        ("CREATE TABLE x AS SELECT 1", "NOT_SUPPORTED"),
    ],
)
def test_queries_that_cannot_run_fail_with_a_reason(athena, bucket, sql, reason):
    query_id = _start(athena, sql, bucket)
    execution = _wait(athena, query_id)
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"].startswith(reason)
    with pytest.raises(ClientError) as caught:
        athena.get_query_results(QueryExecutionId=query_id)
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"


def test_stop_cancels_a_running_query(athena, bucket):
    sql = (
        "SELECT sum(a.x * b.y * c.z) FROM UNNEST(sequence(1, 10000)) AS a(x) CROSS JOIN "
        "UNNEST(sequence(1, 10000)) AS b(y) CROSS JOIN UNNEST(sequence(1, 10000)) AS c(z)"
    )
    # Two at once: as many as the engine runs; they must really stop, or the next query never starts.
    query_ids = [_start(athena, sql, bucket) for _ in range(2)]
    time.sleep(0.3)  # running, not just queued
    for query_id in query_ids:
        athena.stop_query_execution(QueryExecutionId=query_id)
        execution = _wait(athena, query_id)
        assert execution["Status"]["State"] == "CANCELLED"
        assert query_id in athena.list_query_executions()["QueryExecutionIds"]
    assert _wait(athena, _start(athena, "SELECT 1", bucket))["Status"]["State"] == "SUCCEEDED"


def test_drop_table_and_missing_output_location(athena, glue, bucket, database, s3):
    s3.put_object(Bucket=bucket, Key="tmp/a.csv", Body=b"1\n")
    ddl = f"CREATE EXTERNAL TABLE tmp_t (v INT) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{bucket}/tmp'"
    assert _wait(athena, _start(athena, ddl, bucket, database))["Status"]["State"] == "SUCCEEDED"
    assert glue.get_table(DatabaseName=database, Name="tmp_t")["Table"]["StorageDescriptor"]["Columns"] == [
        {"Name": "v", "Type": "int"}
    ]
    assert _wait(athena, _start(athena, "DROP TABLE tmp_t", bucket, database))["Status"]["State"] == "SUCCEEDED"
    with pytest.raises(ClientError):
        glue.get_table(DatabaseName=database, Name="tmp_t")
    with pytest.raises(ClientError) as caught:
        athena.start_query_execution(QueryString="SELECT 1")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
