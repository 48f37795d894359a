"""Every acknowledged PutRecord survives kill -9: readable online after the restart, and in the
offline store (Athena over the Glue table) once the journal drains."""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.featurestore.support import create_group, record, unique

pytestmark = pytest.mark.slow
# 2,000 keeps the suite fast; SAGECRAFT_TEST_KILL_RECORDS=10000 runs the size by hand.
RECORDS = int(os.environ.get("SAGECRAFT_TEST_KILL_RECORDS", "2000"))


def _query(athena, sql: str, bucket: str) -> list[list[str]]:
    started = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": "sagemaker_featurestore"},
        ResultConfiguration={"OutputLocation": f"s3://{bucket}/athena"},
    )
    deadline = time.monotonic() + 300  # draining 10,000 journal rows first takes a while on a busy machine
    while time.monotonic() < deadline:
        state = athena.get_query_execution(QueryExecutionId=started["QueryExecutionId"])["QueryExecution"]["Status"]
        if state["State"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    assert state["State"] == "SUCCEEDED", state
    rows = athena.get_query_results(QueryExecutionId=started["QueryExecutionId"])["ResultSet"]["Rows"]
    return [[d.get("VarCharValue") for d in r["Data"]] for r in rows]


def test_acknowledged_records_survive_kill_9(fresh_server):
    fresh_server.extra_env["SAGECRAFT_FEATURESTORE_FLUSH_SECONDS"] = "3600"  # nothing flushed before the kill
    fresh_server.start()
    sm, s3 = fresh_server.client("sagemaker"), fresh_server.client("s3")
    runtime = fresh_server.client("sagemaker-featurestore-runtime", max_pool_connections=16)
    bucket = f"durable-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    name = unique("durable")
    table = create_group(sm, name, offline_bucket=bucket)["OfflineStoreConfig"]["DataCatalogConfig"]["TableName"]

    def put(i: int) -> None:
        runtime.put_record(FeatureGroupName=name, Record=record(id=f"r{i}", et=f"{1_700_000_000 + i}", n=str(i)))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(RECORDS)))
    fresh_server.kill()
    fresh_server.start()

    runtime = fresh_server.client("sagemaker-featurestore-runtime")
    found = 0
    for start in range(0, RECORDS, 100):
        batch = runtime.batch_get_record(
            Identifiers=[
                {
                    "FeatureGroupName": name,
                    "RecordIdentifiersValueAsString": [f"r{i}" for i in range(start, start + 100)],
                }
            ]
        )
        assert batch["Errors"] == []
        found += len(batch["Records"])
        assert all(r["Record"][2]["ValueAsString"] == r["RecordIdentifierValueAsString"][1:] for r in batch["Records"])
    assert found == RECORDS
    rows = _query(fresh_server.client("athena"), f'SELECT count(*), count(DISTINCT id), sum(n) FROM "{table}"', bucket)
    assert rows[1] == [str(RECORDS), str(RECORDS), str(sum(range(RECORDS)))]
