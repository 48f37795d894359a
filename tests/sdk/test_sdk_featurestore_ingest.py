"""A large FeatureGroup.ingest through the official SDK (one PutRecord per row, from forked processes
and thread pools): every row reaches the online store with its values (a random sample read back
with GetRecord and BatchGetRecord) and the offline store (counted and summed through Athena).

The row count: the SDK spends ~1.5 ms of client CPU per PutRecord (boto3 building and signing the
call), so the row count is what fits the test budget on a shared 2-vCPU machine; set
SAGECRAFT_INGEST_TEST_ROWS=100000 for the full-size run (docs/benchmarks.md has its timing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest

from tests.support.cli import exports, sagecraft

pytestmark = pytest.mark.slow

ROWS = int(os.environ.get("SAGECRAFT_INGEST_TEST_ROWS") or 5_000)

SCRIPT = textwrap.dedent("""
    import json, os, time
    import numpy as np
    import pandas as pd
    import sagemaker
    from sagemaker.feature_store.feature_group import FeatureGroup

    rows = int(os.environ["ROWS"])
    session = sagemaker.Session()
    bucket, name = session.default_bucket(), os.environ["GROUP"]
    runtime = session.boto_session.client("sagemaker-featurestore-runtime")
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({
        "entity_id": np.arange(rows, dtype=np.int64),
        "event_time": np.round(1_700_000_000 + rng.uniform(0, 86_400 * 3, rows), 3),
        "amount": np.round(rng.normal(size=rows), 6),
        "count": rng.integers(0, 1_000, rows),
    })
    group = FeatureGroup(name=name, sagemaker_session=session)
    group.load_feature_definitions(frame)
    group.create(s3_uri=f"s3://{bucket}/{name}", record_identifier_name="entity_id",
                 event_time_feature_name="event_time", role_arn="arn:aws:iam::000000000000:role/R",
                 enable_online_store=True)
    while group.describe()["FeatureGroupStatus"] == "Creating":
        time.sleep(0.2)
    started = time.perf_counter()
    manager = group.ingest(frame, max_workers=8, max_processes=2, wait=True)
    elapsed = time.perf_counter() - started
    result = {"failed": list(manager.failed_rows), "seconds": elapsed}

    def as_record(i):
        row = frame.iloc[i]
        return {"entity_id": str(int(row.entity_id)), "event_time": str(row.event_time),
                "amount": str(row.amount), "count": str(int(row["count"]))}

    sample = rng.choice(rows, 300, replace=False).tolist()
    result["get_mismatches"] = [
        i for i in sample[:100]
        if {f["FeatureName"]: f["ValueAsString"] for f in runtime.get_record(
            FeatureGroupName=name, RecordIdentifierValueAsString=str(i)).get("Record", [])} != as_record(i)]
    wanted = [str(i) for i in sample[100:200]]
    batch = runtime.batch_get_record(Identifiers=[{"FeatureGroupName": name, "RecordIdentifiersValueAsString": wanted}])
    got = {r["RecordIdentifierValueAsString"]: {f["FeatureName"]: f["ValueAsString"] for f in r["Record"]}
           for r in batch["Records"]}
    result["batch_mismatches"] = [i for i in sample[100:200] if got.get(str(i)) != as_record(i)]
    result["batch_errors"] = batch["Errors"]

    query = group.athena_query()
    query.run(query_string=f'SELECT count(*) AS n, count(DISTINCT entity_id) AS ids, sum(entity_id) AS id_sum, '
                           f'sum("count") AS count_sum, sum(CASE WHEN is_deleted THEN 1 ELSE 0 END) AS deleted '
                           f'FROM "{query.table_name}"',
              output_location=f"s3://{bucket}/{name}-athena")
    query.wait()
    offline = query.as_dataframe().iloc[0]
    result["offline"] = {k: int(offline[k]) for k in ("n", "ids", "id_sum", "count_sum", "deleted")}
    result["expected"] = {"n": rows, "ids": rows, "id_sum": int(frame.entity_id.sum()),
                          "count_sum": int(frame["count"].sum()), "deleted": 0}
    print("RESULT " + json.dumps(result))
""")


@pytest.fixture(scope="module")
def sdk_env(server) -> dict[str, str]:
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    return exports(result.stdout)


def test_ingest_of_many_rows_reaches_the_online_and_offline_stores(server, sdk_env, tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    (tmp_path / "user-home").mkdir()
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "user-home"),
        "GROUP": f"ingest-{uuid.uuid4().hex[:10]}",
        "ROWS": str(ROWS),
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        **sdk_env,
    }
    done = subprocess.run(
        [sys.executable, "script.py"], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    result = json.loads(line[len("RESULT ") :])
    print(f"ingest of {ROWS} rows: {result['seconds']:.1f} s")

    assert result["failed"] == []
    assert result["get_mismatches"] == []
    assert result["batch_mismatches"] == [] and result["batch_errors"] == []
    assert result["offline"] == result["expected"]
