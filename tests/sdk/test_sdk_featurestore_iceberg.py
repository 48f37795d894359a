"""A feature group with ``table_format=TableFormatEnum.ICEBERG`` through the official SDK v2: create,
ingest, athena_query and the dataset builder return exactly the ingested rows, and the Iceberg
table's data and metadata files are S3 objects the Glue entry points at."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid

import pytest

from tests.support.cli import exports, sagecraft

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent("""
    import json, os, time
    import numpy as np
    import pandas as pd
    import sagemaker
    from sagemaker.feature_store.feature_group import FeatureGroup
    from sagemaker.feature_store.feature_store import FeatureStore
    from sagemaker.feature_store.inputs import TableFormatEnum

    session = sagemaker.Session()
    bucket, prefix = session.default_bucket(), os.environ["PREFIX"]
    out = f"s3://{bucket}/{prefix}"
    result = {}

    def rows(frame, columns):
        return sorted(tuple(None if pd.isna(v) else (round(v, 3) if isinstance(v, float) else v) for v in r)
                      for r in frame[columns].itertuples(index=False))

    n = 40
    frame = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)],
        "event_time": [f"2024-03-{1 + i % 3:02d}T{i % 24:02d}:15:00Z" for i in range(n)],
        "age": np.arange(n) + 18,
        "score": np.round(np.linspace(-1, 1, n), 6),
    }).astype({"customer_id": "string", "event_time": "string"})
    group = FeatureGroup(name=f"{prefix}-ice", sagemaker_session=session)
    group.load_feature_definitions(frame)
    group.create(s3_uri=f"{out}/offline", record_identifier_name="customer_id", event_time_feature_name="event_time",
                 role_arn="arn:aws:iam::000000000000:role/SageMakerRole", enable_online_store=True,
                 table_format=TableFormatEnum.ICEBERG)
    while group.describe()["FeatureGroupStatus"] == "Creating":
        time.sleep(0.2)
    described = group.describe()
    result["status"] = described["FeatureGroupStatus"]
    result["table_format"] = described["OfflineStoreConfig"]["TableFormat"]
    group.ingest(frame, max_workers=2, wait=True)

    columns = ["customer_id", "event_time", "age", "score"]
    query = group.athena_query()
    query.run(query_string=f'SELECT * FROM "{query.table_name}"', output_location=f"{out}/athena")
    query.wait()
    athena_frame = query.as_dataframe()
    result["athena_equal"] = rows(athena_frame, columns) == rows(frame.astype(object), columns)
    result["athena_system_columns"] = sorted(set(athena_frame.columns) - set(columns))

    dataset, _ = FeatureStore(sagemaker_session=session).create_dataset(
        base=group, output_path=f"{out}/ds").to_dataframe()
    result["dataset_equal"] = rows(dataset, columns) == rows(frame.astype(object), columns)

    s3 = session.boto_session.client("s3")
    root = described["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"]
    root = root.removeprefix(f"s3://{bucket}/").removesuffix("/data")
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=root + "/")
            for o in page.get("Contents", [])]
    result["partitions"] = sorted({k.split("/")[-2] for k in keys if k.startswith(root + "/data/")})
    result["manifests"] = any(k.startswith(root + "/metadata/") and k.endswith(".avro") for k in keys)
    table = session.boto_session.client("glue").get_table(
        DatabaseName="sagemaker_featurestore", Name=query.table_name)["Table"]
    result["table_type"] = table["Parameters"]["table_type"]
    result["metadata_listed"] = table["Parameters"]["metadata_location"].removeprefix(f"s3://{bucket}/") in keys
    print("RESULT " + json.dumps(result))
""")


@pytest.fixture(scope="module")
def sdk_env(server) -> dict[str, str]:
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    return exports(result.stdout)


def test_iceberg_feature_group_through_the_sdk(server, sdk_env, tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    (tmp_path / "user-home").mkdir()
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "user-home"),
        "PREFIX": f"ice{uuid.uuid4().hex[:10]}",
        **sdk_env,
    }
    done = subprocess.run(
        [sys.executable, "script.py"], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    result = json.loads(line[len("RESULT ") :])

    assert result["status"] == "Created"
    assert result["table_format"] == "Iceberg"
    assert result["athena_equal"]
    assert result["athena_system_columns"] == ["api_invocation_time", "is_deleted", "write_time"]
    assert result["dataset_equal"]
    assert result["partitions"] == [
        "event_time_trunc=2024-03-01",
        "event_time_trunc=2024-03-02",
        "event_time_trunc=2024-03-03",
    ]
    assert result["manifests"]
    assert result["table_type"] == "ICEBERG"
    assert result["metadata_listed"]
