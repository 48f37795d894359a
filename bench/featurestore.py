"""Feature store benchmark, ours and Feast side by side on the same generated data (the peers'
feast_common.py generator: N entities x T timestamps x 10 float features, fixed seeds).

1. Point-in-time join of the entity rows against the feature rows: ours through Athena
   (StartQueryExecution → DuckDB over the group's offline Parquet, an as-of join in Athena SQL),
   Feast's DuckDB offline store (get_historical_features, run by the peers' feast_offline.py in its
   own venv) and a raw DuckDB ASOF JOIN in process (the floor). Our answer is checked against the floor.
2. GetRecord over HTTP (signed boto3 calls, one entity per call) vs Feast's HTTP feature server
   (``feast serve`` over its SQLite online store, featurestore_feast_repo.py builds the repo), and
   Feast's in-process get_online_features (feast_online.py).
3. Ingest through the SDK (FeatureGroup.ingest) vs Feast's write_to_online_store.

usage: .venv/bin/python bench/featurestore.py [--entities 10000 --timestamps 100 --entity-rows 100000]
       [--ingest-rows 20000] [--gets 2000] [--skip-feast]
The feature rows reach our offline store as one Parquet object put in SageMaker's layout under the
group's ResolvedOutputS3Uri (what ingest would write, without a million PutRecord calls)."""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import Background, free_port, peer_venv, start_sagecraft, wait_http

PEERS = Path("/work/shared/reference/peers")
sys.path.insert(0, str(PEERS))
import feast_common  # noqa: E402

FEATS = feast_common.FEATS
ROLE = "arn:aws:iam::000000000000:role/Bench"
AS_OF_SQL = """
SELECT entity_id, event_time, {features} FROM (
  SELECT b.entity_id, b.event_time, {picked},
         row_number() OVER (PARTITION BY b.entity_id, b.event_time ORDER BY f.event_time DESC) AS newest
  FROM "sagemaker_featurestore"."{base}" b
  LEFT JOIN "sagemaker_featurestore"."{table}" f ON b.entity_id = f.entity_id AND f.event_time <= b.event_time
) WHERE newest = 1
"""


def emit(**values) -> None:
    print(json.dumps(values, default=str), flush=True)


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1e3, q)), 3)


def feast_runs(skip: bool) -> dict[str, dict]:
    if skip:
        return {}
    python = str(peer_venv("feast") / "bin" / "python")
    found: dict[str, dict] = {}
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PEERS_DIR": tempfile.mkdtemp(prefix="feast-bench-")}
    for argv in (
        ["feast_offline.py", "baseline", "--reps", "1"],
        ["feast_offline.py", "duckdb", "--reps", "1"],
        ["feast_online.py", "--offline", "duckdb", "--single", "1000", "--batch-calls", "50"],
    ):
        done = subprocess.run(
            [python, str(PEERS / argv[0]), *argv[1:]], capture_output=True, text=True, env=env, timeout=1800
        )
        for line in done.stdout.splitlines():
            if line.startswith("{"):
                row = json.loads(line)
                found[f"{row.get('bench')}:{row.get('impl')}:{row.get('entities_per_call', '')}"] = row
    return found


def feast_serve_reads(gets: int) -> None:
    """Feast's HTTP feature server (``feast serve``) on the same data, one entity per POST."""
    venv = peer_venv("feast")
    work = tempfile.mkdtemp(prefix="feast-serve-")
    made = subprocess.run(
        [str(venv / "bin" / "python"), str(Path(__file__).with_name("featurestore_feast_repo.py")), work],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    repo = made.stdout.strip().splitlines()[-1]
    port = free_port()
    server = Background(
        [
            str(venv / "bin" / "feast"),
            "-c",
            repo,
            "serve",
            "-p",
            str(port),
            "--no-access-log",
            "--max-requests",
            "1000000",
        ],
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health", timeout=120)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        rng = np.random.default_rng(3)
        latencies = []
        for i, entity in enumerate(rng.integers(0, feast_common.N_ENT, gets + 100).tolist()):
            body = json.dumps({"features": [f"fv:{f}" for f in FEATS], "entities": {"entity_id": [entity]}})
            started = time.perf_counter()
            conn.request("POST", "/get-online-features", body, {"Content-Type": "application/json"})
            reply = conn.getresponse()
            payload = reply.read()
            if i >= 100:
                latencies.append(time.perf_counter() - started)
            if reply.status != 200:
                raise RuntimeError(payload[:500])
        emit(
            bench="online_read",
            impl="feast serve (HTTP, sequential)",
            calls=len(latencies),
            p50_ms=pct(latencies, 50),
            p99_ms=pct(latencies, 99),
            calls_per_s=round(len(latencies) / sum(latencies), 1),
        )
    finally:
        server.stop()


def clients(url: str, keys: tuple[str, str]):
    session = boto3.Session(aws_access_key_id=keys[0], aws_secret_access_key=keys[1], region_name="us-east-1")
    config = Config(retries={"max_attempts": 1}, max_pool_connections=32)
    return {
        name: session.client(name, endpoint_url=url, config=config)
        for name in ("s3", "sagemaker", "sagemaker-featurestore-runtime", "athena")
    }


def create_group(sm, name: str, bucket: str, online: bool = True) -> dict:
    sm.create_feature_group(
        FeatureGroupName=name,
        RecordIdentifierFeatureName="entity_id",
        EventTimeFeatureName="event_time",
        FeatureDefinitions=[
            {"FeatureName": "entity_id", "FeatureType": "Integral"},
            {"FeatureName": "event_time", "FeatureType": "Fractional"},
            *[{"FeatureName": f, "FeatureType": "Fractional"} for f in FEATS],
        ],
        OnlineStoreConfig={"EnableOnlineStore": online},
        RoleArn=ROLE,
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": f"s3://{bucket}/offline"}},
    )
    while (described := sm.describe_feature_group(FeatureGroupName=name))["FeatureGroupStatus"] == "Creating":
        time.sleep(0.1)
    return described


def athena_run(athena, sql: str, bucket: str) -> str:
    query_id = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": "sagemaker_featurestore"},
        ResultConfiguration={"OutputLocation": f"s3://{bucket}/athena"},
    )["QueryExecutionId"]
    while True:
        status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        if status["State"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.02)
    if status["State"] != "SUCCEEDED":
        raise RuntimeError(status)
    return query_id


def pit_join(c, bucket: str, features: pd.DataFrame, entities: pd.DataFrame) -> None:
    described = create_group(c["sagemaker"], "bench-pit", bucket, online=False)
    table = described["OfflineStoreConfig"]["DataCatalogConfig"]["TableName"]
    prefix = described["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"].removeprefix(f"s3://{bucket}/")
    now = pd.Timestamp.now(tz="UTC")
    offline = pd.DataFrame(
        {
            "entity_id": features.entity_id,
            "event_time": features.event_timestamp.astype("int64") / 1e9,
            **{f: features[f].astype("float64") for f in FEATS},
            "write_time": now,
            "api_invocation_time": now,
            "is_deleted": False,
        }
    )
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(offline, preserve_index=False), buffer)
    buffer.seek(0)
    c["s3"].upload_fileobj(buffer, bucket, f"{prefix}/year=2024/month=01/day=01/hour=00/features.parquet")
    base = pd.DataFrame({"entity_id": entities.entity_id, "event_time": entities.event_timestamp.astype("int64") / 1e9})
    c["s3"].put_object(Bucket=bucket, Key="base/entities.csv", Body=base.to_csv(index=False, header=False).encode())
    athena_run(
        c["athena"],
        f"CREATE EXTERNAL TABLE bench_base (entity_id BIGINT, event_time DOUBLE) ROW FORMAT "
        f"DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{bucket}/base'",
        bucket,
    )
    sql = AS_OF_SQL.format(
        features=", ".join(FEATS), picked=", ".join(f"f.{f}" for f in FEATS), base="bench_base", table=table
    )
    athena_run(c["athena"], sql, bucket)  # warm-up: fetches the Parquet into the engine's cache
    started = time.perf_counter()
    query_id = athena_run(c["athena"], sql, bucket)
    body = c["s3"].get_object(Bucket=bucket, Key=f"athena/{query_id}.csv")["Body"].read()
    ours = pd.read_csv(io.BytesIO(body))
    elapsed = time.perf_counter() - started

    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    con.register("b", base)
    con.register("f", offline)
    floor = con.execute(
        "SELECT b.entity_id, b.event_time, "
        + ", ".join(f"f.{f}" for f in FEATS)
        + " FROM b ASOF LEFT JOIN f ON b.entity_id = f.entity_id AND b.event_time >= f.event_time"
    ).df()
    floor_s = time.perf_counter() - started
    key = ["entity_id", "event_time"]
    left, right = ours.sort_values(key).reset_index(drop=True), floor.sort_values(key).reset_index(drop=True)
    equal = len(left) == len(right) and np.allclose(
        left[FEATS].to_numpy(float), right[FEATS].to_numpy(float), equal_nan=True, atol=1e-6
    )
    emit(
        bench="pit_join",
        impl="sagecraft_athena(end_to_end: query + CSV read)",
        s=round(elapsed, 3),
        rows_out=len(ours),
        equal_to_floor=bool(equal),
    )
    emit(bench="pit_join", impl="duckdb_asof_in_process(floor)", s=round(floor_s, 3), rows_out=len(floor))


def online_reads(c, bucket: str, features: pd.DataFrame, gets: int) -> None:
    latest = features.sort_values("event_timestamp").groupby("entity_id").tail(1)
    name = "bench-online"
    create_group(c["sagemaker"], name, bucket)
    runtime = c["sagemaker-featurestore-runtime"]
    entries = [
        {
            "FeatureGroupName": name,
            "Record": [
                {"FeatureName": "entity_id", "ValueAsString": str(int(r.entity_id))},
                {"FeatureName": "event_time", "ValueAsString": repr(r.event_timestamp.timestamp())},
                *[{"FeatureName": f, "ValueAsString": repr(float(getattr(r, f)))} for f in FEATS],
            ],
        }
        for r in latest.itertuples()
    ]
    for start in range(0, len(entries), 25):
        runtime.batch_write_record(Entries=entries[start : start + 25])
    rng = np.random.default_rng(3)
    ids = rng.integers(0, len(latest), gets + 100).tolist()
    latencies = []
    for i, entity in enumerate(ids):
        started = time.perf_counter()
        runtime.get_record(FeatureGroupName=name, RecordIdentifierValueAsString=str(entity))
        if i >= 100:
            latencies.append(time.perf_counter() - started)
    emit(
        bench="online_read",
        impl="sagecraft GetRecord (HTTP, SigV4, sequential)",
        calls=len(latencies),
        p50_ms=pct(latencies, 50),
        p99_ms=pct(latencies, 99),
        calls_per_s=round(len(latencies) / sum(latencies), 1),
    )


def ingest(url: str, keys: tuple[str, str], bucket: str, rows: int, server_pid: int) -> None:
    """FeatureGroup.ingest end to end, with the CPU each side spent (the server process's, and the
    SDK's client processes') per row: on a 2-vCPU machine their sum bounds the rate."""
    script = f'''
import time, numpy as np, pandas as pd, boto3, sagemaker
from sagemaker.feature_store.feature_group import FeatureGroup
session = sagemaker.Session(default_bucket="{bucket}")
rng = np.random.default_rng(5)
frame = pd.DataFrame({{"entity_id": np.arange({rows}, dtype=np.int64), "event_time": 1.7e9 + np.arange({rows}) * 1.0,
                      **{{f: rng.standard_normal({rows}) for f in {FEATS!r}}}}})
group = FeatureGroup(name="bench-ingest", sagemaker_session=session)
group.load_feature_definitions(frame)
group.create(s3_uri="s3://{bucket}/offline", record_identifier_name="entity_id", event_time_feature_name="event_time",
             role_arn="{ROLE}", enable_online_store=True)
while group.describe()["FeatureGroupStatus"] == "Creating":
    time.sleep(0.1)
started = time.perf_counter()
group.ingest(frame, max_workers=16, max_processes=2, wait=True)
elapsed = time.perf_counter() - started
rt = session.boto_session.client("sagemaker-featurestore-runtime")
missing = sum(1 for i in range(0, {rows}, max(1, {rows} // 500))
              if "Record" not in rt.get_record(FeatureGroupName="bench-ingest", RecordIdentifierValueAsString=str(i)))
print("INGEST", elapsed, missing)
'''
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": keys[0],
        "AWS_SECRET_ACCESS_KEY": keys[1],
        "AWS_DEFAULT_REGION": "us-east-1",
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
    }
    server_cpu = psutil.Process(server_pid).cpu_times()
    client_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=3600)
    server_after, client_after = psutil.Process(server_pid).cpu_times(), resource.getrusage(resource.RUSAGE_CHILDREN)
    server_s = server_after.user - server_cpu.user + server_after.system - server_cpu.system
    client_s = client_after.ru_utime - client_cpu.ru_utime + client_after.ru_stime - client_cpu.ru_stime
    line = [x for x in done.stdout.splitlines() if x.startswith("INGEST")]
    if not line:
        raise RuntimeError(done.stderr[-3000:])
    _, elapsed, missing = line[0].split()
    emit(
        bench="ingest",
        impl="sagecraft FeatureGroup.ingest (SDK, 2 processes x 16 threads)",
        rows=rows,
        s=round(float(elapsed), 3),
        rows_per_s=round(rows / float(elapsed)),
        sampled_missing=int(missing),
        # whole script (imports, group creation, the sampled reads included): an upper bound per row
        server_cpu_ms_per_row=round(server_s / rows * 1e3, 3),
        client_cpu_ms_per_row=round(client_s / rows * 1e3, 3),
    )


def client_floor(calls: int = 2000) -> None:
    """What one boto3 PutRecord costs the client alone (CPU of building, signing, sending, parsing),
    against a server that answers 200 {} at once: the SDK's ingest cannot beat cores / this."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Null(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT

        def log_message(self, *args) -> None:
            pass

    null = ThreadingHTTPServer(("127.0.0.1", 0), Null)
    Thread(target=null.serve_forever, daemon=True).start()
    client = boto3.client(
        "sagemaker-featurestore-runtime",
        endpoint_url=f"http://127.0.0.1:{null.server_port}",
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )
    record = [{"FeatureName": f"f{i}", "ValueAsString": str(0.5 + i)} for i in range(12)]
    for _ in range(100):
        client.put_record(FeatureGroupName="g", Record=record)
    started = time.thread_time()
    for _ in range(calls):
        client.put_record(FeatureGroupName="g", Record=record)
    emit(
        bench="ingest-client-floor",
        impl="boto3 put_record against a null server",
        client_cpu_ms_per_call=round((time.thread_time() - started) / calls * 1e3, 3),
    )
    null.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=feast_common.N_ENT)
    parser.add_argument("--timestamps", type=int, default=feast_common.N_TS)
    parser.add_argument("--entity-rows", type=int, default=feast_common.N_ENTITY_ROWS)
    parser.add_argument("--ingest-rows", type=int, default=20_000)
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--skip-feast", action="store_true")
    parser.add_argument("--only-ingest", action="store_true", help="ingest (and its client floor) alone")
    args = parser.parse_args()
    if args.only_ingest:
        home = Path(tempfile.mkdtemp(prefix="sagecraft-bench-fs-"))
        server, url, keys = start_sagecraft(home)
        try:
            clients(url, keys)["s3"].create_bucket(Bucket="bench-featurestore")
            ingest(url, keys, "bench-featurestore", args.ingest_rows, server.process.pid)
        finally:
            server.stop()
        client_floor()
        return
    features = feast_common.make_feature_df(n_ent=args.entities, n_ts=args.timestamps)
    entities = feast_common.make_entity_df(n_rows=args.entity_rows, n_ent=args.entities, n_ts=args.timestamps)
    home = Path(tempfile.mkdtemp(prefix="sagecraft-bench-fs-"))
    server, url, keys = start_sagecraft(home)
    try:
        c = clients(url, keys)
        bucket = "bench-featurestore"
        c["s3"].create_bucket(Bucket=bucket)
        pit_join(c, bucket, features, entities)
        online_reads(c, bucket, features, args.gets)
        ingest(url, keys, bucket, args.ingest_rows, server.process.pid)
    finally:
        server.stop()
    if not args.skip_feast:
        feast_serve_reads(args.gets)
    for key, row in feast_runs(
        args.skip_feast or (args.entities, args.timestamps) != (feast_common.N_ENT, feast_common.N_TS)
    ).items():
        emit(peer=key, **row)


if __name__ == "__main__":
    main()
