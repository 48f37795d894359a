"""S3 throughput: Sagecraft vs moto's server (in-memory) vs raw local disk, in one run.

PutObject/GetObject of 1 KB objects (requests/s, one boto3 client, sequential) and of 8 MB
objects (MB/s). The floor for large objects is a plain file write/read of the same bytes on the
same disk. Prints JSON lines, then a summary line with the ratios the issue sets goals for:
small-object requests/s ≥ 1.5x moto's, large-object MB/s ≥ 50 % of the disk floor.

    .venv/bin/python bench/s3_throughput.py [--small 2000] [--large 20] [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import Background, free_port, peer_venv, start_sagecraft, wait_http

KB = 1024
MB = 1024 * 1024


def start_moto() -> tuple[Background, str, tuple[str, str]]:
    venv = peer_venv("moto")
    port = free_port()
    server = Background([str(venv / "bin" / "moto_server"), "-p", str(port)])
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/moto-api/")
    return server, url, ("testing", "testing")


def start_null() -> tuple[Background, str, tuple[str, str]]:
    port = free_port()
    server = Background([sys.executable, str(Path(__file__).with_name("null_s3.py")), str(port)])
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/")
    return server, url, ("testing", "testing")


def client(url: str, keys: tuple[str, str]):
    return boto3.client("s3", endpoint_url=url, aws_access_key_id=keys[0], aws_secret_access_key=keys[1],
                        region_name="us-east-1", config=Config(retries={"max_attempts": 1}))


def measure_small(s3, bucket: str, count: int) -> dict:
    body = os.urandom(KB)
    started = time.perf_counter()
    for i in range(count):
        s3.put_object(Bucket=bucket, Key=f"small/{i}", Body=body)
    put_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(count):
        s3.get_object(Bucket=bucket, Key=f"small/{i}")["Body"].read()
    get_seconds = time.perf_counter() - started
    return {"put_rps": count / put_seconds, "get_rps": count / get_seconds}


def measure_large(s3, bucket: str, count: int, null: bool = False) -> dict:
    body = bytes(8 * MB) if null else os.urandom(8 * MB)
    started = time.perf_counter()
    for i in range(count):
        s3.put_object(Bucket=bucket, Key=f"large/{i}", Body=body)
    put_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(count):
        data = s3.get_object(Bucket=bucket, Key=f"large/{i}")["Body"].read()  # the null server ignores keys
        assert len(data) == len(body)
    get_seconds = time.perf_counter() - started
    total = count * len(body) / MB
    return {"put_mbps": total / put_seconds, "get_mbps": total / get_seconds}


def measure_disk_floor(folder: Path, count: int) -> dict:
    body = os.urandom(8 * MB)
    started = time.perf_counter()
    for i in range(count):
        with open(folder / f"floor-{i}", "wb") as handle:
            handle.write(body)
    put_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(count):
        with open(folder / f"floor-{i}", "rb") as handle:
            assert len(handle.read()) == len(body)
    get_seconds = time.perf_counter() - started
    total = count * len(body) / MB
    return {"put_mbps": total / put_seconds, "get_mbps": total / get_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=2000, help="1 KB objects per repetition")
    parser.add_argument("--large", type=int, default=20, help="8 MB objects per repetition")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[dict]] = {"sagecraft": [], "moto": [], "disk": [], "client_ceiling": []}
    with tempfile.TemporaryDirectory(prefix="s3bench-") as scratch:
        root = Path(scratch)
        (root / "home").mkdir()
        servers = {"sagecraft": start_sagecraft(root / "home"), "moto": start_moto()}
        null_server = start_null()
        try:
            for rep in range(args.reps):
                for name, (_, url, keys) in servers.items():
                    s3 = client(url, keys)
                    bucket = f"bench-{rep}"
                    s3.create_bucket(Bucket=bucket)
                    row = {"target": name, "rep": rep, **measure_small(s3, bucket, args.small),
                           **measure_large(s3, bucket, args.large)}
                    results[name].append(row)
                    print(json.dumps(row), flush=True)
                _, url, keys = null_server
                row = {"target": "client_ceiling", "rep": rep,
                       **measure_large(client(url, keys), "null", args.large, null=True)}
                results["client_ceiling"].append(row)
                print(json.dumps(row), flush=True)
                row = {"target": "disk", "rep": rep, **measure_disk_floor(root, args.large)}
                results["disk"].append(row)
                print(json.dumps(row), flush=True)
        finally:
            for server, _, _ in [*servers.values(), null_server]:
                server.stop()

    def median(target: str, key: str) -> float:
        return statistics.median(r[key] for r in results[target])

    summary = {
        "summary": True,
        "small_put_vs_moto": median("sagecraft", "put_rps") / median("moto", "put_rps"),
        "small_get_vs_moto": median("sagecraft", "get_rps") / median("moto", "get_rps"),
        "large_put_vs_disk": median("sagecraft", "put_mbps") / median("disk", "put_mbps"),
        "large_get_vs_disk": median("sagecraft", "get_mbps") / median("disk", "get_mbps"),
        "large_put_vs_client_ceiling": median("sagecraft", "put_mbps") / median("client_ceiling", "put_mbps"),
        "large_get_vs_client_ceiling": median("sagecraft", "get_mbps") / median("client_ceiling", "get_mbps"),
        "large_put_vs_moto": median("sagecraft", "put_mbps") / median("moto", "put_mbps"),
        "large_get_vs_moto": median("sagecraft", "get_mbps") / median("moto", "get_mbps"),
    }
    summary.update({f"{t}_{k}": median(t, k) for t in ("sagecraft", "moto") for k in ("put_rps", "get_rps")})
    summary.update({f"{t}_{k}": median(t, k) for t in results for k in ("put_mbps", "get_mbps")})
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in summary.items()}))


if __name__ == "__main__":
    main()
