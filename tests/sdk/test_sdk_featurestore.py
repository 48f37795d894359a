"""Feature Store through the official SageMaker SDK v2: load_feature_definitions → create → ingest →
get_record / batch_get_record → athena_query; the dataset builder's point-in-time join against a
brute-force pandas join on a randomized fixture, deleted records and as_of.

pandas 3 note: the SDK's load_feature_definitions does not know pandas 3's ``str`` dtype, so the
script casts string columns to "string" (as docs/featurestore.md tells users to)."""

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
    import datetime as dt, json, os, time
    import numpy as np
    import pandas as pd
    import sagemaker
    from sagemaker.feature_store.feature_group import FeatureGroup
    from sagemaker.feature_store.feature_store import FeatureStore

    session = sagemaker.Session()
    bucket, prefix = session.default_bucket(), os.environ["PREFIX"]
    role = "arn:aws:iam::000000000000:role/SageMakerRole"
    out = f"s3://{bucket}/{prefix}"
    rng = np.random.default_rng(int(os.environ["SEED"]))
    runtime = session.boto_session.client("sagemaker-featurestore-runtime")
    result = {}

    def make_group(name, frame, record_id):
        group = FeatureGroup(name=f"{prefix}-{name}", sagemaker_session=session)
        group.load_feature_definitions(frame)
        group.create(s3_uri=f"{out}/offline", record_identifier_name=record_id, event_time_feature_name="event_time",
                     role_arn=role, enable_online_store=True)
        while group.describe()["FeatureGroupStatus"] == "Creating":
            time.sleep(0.2)
        return group

    def rows(frame, columns):
        return sorted(tuple(None if pd.isna(v) else (round(v, 3) if isinstance(v, float) else v) for v in r)
                      for r in frame[columns].itertuples(index=False))

    # 1. the ingest round trip
    n = 300
    customers_frame = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)],
        "event_time": np.round(1_700_000_000 + rng.uniform(0, 86_400, n), 3),
        "age": rng.integers(18, 90, n), "score": np.round(rng.normal(size=n), 6),
        "city": rng.choice(["paris", "lyon", "oslo"], n),
    }).astype({"customer_id": "string", "city": "string"})
    customers = make_group("customers", customers_frame, "customer_id")
    result["status"] = customers.describe()["FeatureGroupStatus"]
    customers.ingest(customers_frame, max_workers=4, wait=True)
    got = runtime.get_record(FeatureGroupName=customers.name, RecordIdentifierValueAsString="c3")["Record"]
    result["get_record"] = {f["FeatureName"]: f["ValueAsString"] for f in got}
    result["expected_c3"] = {k: str(v) for k, v in customers_frame.iloc[3].to_dict().items()}
    batch = runtime.batch_get_record(Identifiers=[{"FeatureGroupName": customers.name,
                                                   "RecordIdentifiersValueAsString": ["c1", "c2", "nobody"]}])
    result["batch_ids"] = sorted(r["RecordIdentifierValueAsString"] for r in batch["Records"])
    query = customers.athena_query()
    query.run(query_string=f'SELECT * FROM "{query.table_name}"', output_location=f"{out}/athena")
    query.wait()
    athena_frame = query.as_dataframe()
    columns = ["customer_id", "event_time", "age", "score", "city"]
    result["athena_equal"] = rows(athena_frame, columns) == rows(customers_frame.astype(object), columns)
    result["athena_system_columns"] = sorted(set(athena_frame.columns) - set(columns))

    # 2. point-in-time join of a DataFrame base against a group with early and late events
    ids = [f"u{i}" for i in range(25)]
    events = pd.DataFrame({"user_id": rng.choice(ids, 250),
                           "event_time": np.round(1_700_000_000 + rng.uniform(0, 1000, 250), 3),
                           "amount": np.round(rng.uniform(0, 100, 250), 4)})
    events = events.drop_duplicates(["user_id", "event_time"]).reset_index(drop=True).astype({"user_id": "string"})
    txn = make_group("txn", events.iloc[:150], "user_id")
    txn.ingest(events.iloc[:150], max_workers=2, wait=True)
    time.sleep(1.5)
    cut = dt.datetime.now(dt.timezone.utc)
    time.sleep(1.5)
    txn.ingest(events.iloc[150:], max_workers=2, wait=True)
    base = pd.DataFrame({"user_id": rng.choice(ids + ["nobody"], 60),
                         "event_time": np.round(1_700_000_000 + rng.uniform(-100, 1100, 60), 3)}).astype(
                             {"user_id": object})
    store = FeatureStore(sagemaker_session=session)
    joined, _ = (store.create_dataset(base=base, output_path=f"{out}/ds", record_identifier_feature_name="user_id",
                                      event_time_identifier_feature_name="event_time")
                 .with_feature_group(txn, "user_id", included_feature_names=["amount"])
                 .point_in_time_accurate_join().to_dataframe())
    brute = [(b.user_id, round(b.event_time, 3), round(e.amount, 3)) for b in base.itertuples()
             for e in events.itertuples() if e.user_id == b.user_id and e.event_time <= b.event_time]
    result["pit_rows"] = len(joined)
    result["pit_equal"] = rows(joined, ["user_id", "event_time", "amount.1"]) == sorted(brute)
    # The latest feature per base row, as pandas' as-of join finds it.
    latest = joined.sort_values("amount.1").merge(
        events.astype({"user_id": object}), left_on=["user_id", "amount.1"], right_on=["user_id", "amount"],
        suffixes=("", "_feature")).sort_values("event_time_feature").groupby(["user_id", "event_time"]).tail(1)
    asof = pd.merge_asof(base.sort_values("event_time"), events.astype({"user_id": object}).sort_values("event_time"),
                         on="event_time", by="user_id", direction="backward").dropna(subset=["amount"])
    result["asof_equal"] = rows(latest, ["user_id", "event_time", "amount.1"]) == rows(asof, ["user_id", "event_time",
                                                                                                "amount"])

    # 3. deleted records and as_of on a FeatureGroup base
    deleted_at = float(events.event_time.max()) + 10
    runtime.delete_record(FeatureGroupName=txn.name, RecordIdentifierValueAsString="u1", EventTime=str(deleted_at))
    default, _ = store.create_dataset(base=txn, output_path=f"{out}/ds").to_dataframe()
    everything, _ = store.create_dataset(base=txn, output_path=f"{out}/ds").include_deleted_records().to_dataframe()
    as_of, _ = store.create_dataset(base=txn, output_path=f"{out}/ds").as_of(cut).to_dataframe()
    cols = ["user_id", "event_time", "amount"]
    result["default_equal"] = rows(default, cols) == rows(events[events.user_id != "u1"].astype(object), cols)
    # The deleted record's rows come back; the deletion markers themselves never do.
    result["deleted_equal"] = rows(everything, cols) == rows(events.astype(object), cols)
    result["as_of_equal"] = rows(as_of, cols) == rows(events.iloc[:150].astype(object), cols)
    print("RESULT " + json.dumps(result))
""")


@pytest.fixture(scope="module")
def sdk_env(server) -> dict[str, str]:
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    return exports(result.stdout)


def test_feature_store_end_to_end_through_the_sdk(server, sdk_env, tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    (tmp_path / "user-home").mkdir()
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "user-home"),
        "PREFIX": f"fs{uuid.uuid4().hex[:10]}",
        "SEED": "7",
        **sdk_env,
    }
    done = subprocess.run(
        [sys.executable, "script.py"], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    result = json.loads(line[len("RESULT ") :])

    assert result["status"] == "Created"
    assert result["get_record"] == result["expected_c3"]
    assert result["batch_ids"] == ["c1", "c2"]
    assert result["athena_equal"]
    assert result["athena_system_columns"] == [
        "api_invocation_time",
        "day",
        "hour",
        "is_deleted",
        "month",
        "write_time",
        "year",
    ]
    assert result["pit_rows"] > 0 and result["pit_equal"]
    assert result["asof_equal"]
    assert result["default_equal"]
    assert result["deleted_equal"]
    assert result["as_of_equal"]
