"""Encryption at rest: what the sealing object store costs, in process, in one run.

The same filesystem store is driven directly ("raw") and through EncryptedObjectStore for objects
written without encryption ("pass-through": must cost the same — the S3 fast path), with SSE-S3
and with SSE-KMS (a KMS key over a SQLite metadata store). PutObject/GetObject of 1 KB objects
(ops/s) and of 8 MB objects (MB/s), alternating rounds, medians. Prints JSON lines and a summary.

    .venv/bin/python bench/sse_at_rest.py [--small 2000] [--large 10] [--reps 3]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from sagecraft.services.kms.keyring import S3Keyring
from sagecraft.services.kms.service import KmsService
from sagecraft.services.s3.encrypted_store import EncryptedObjectStore
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectMeta
from sagecraft.storage.objects.filesystem import FilesystemObjectStore

KB, MB = 1024, 1024 * 1024


def measure(store, bucket: str, meta: ObjectMeta, body: bytes, count: int) -> tuple[float, float]:
    """(seconds per put, seconds per get) over ``count`` objects."""
    started = time.perf_counter()
    for index in range(count):
        store.put_object(bucket, f"k{index}", body, meta)
    put = (time.perf_counter() - started) / count
    started = time.perf_counter()
    for index in range(count):
        _, reader = store.open_object(bucket, f"k{index}")
        for _chunk in reader:
            pass
        close = getattr(reader, "close", None)
        if close:
            close()
    return put, (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--large", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sse-bench-") as scratch:
        root = Path(scratch)
        raw = FilesystemObjectStore(root / "objects")
        metadata = MetadataStore.open(f"sqlite:///{root / 'metadata.sqlite3'}")
        kms = KmsService(metadata, os.urandom(32))
        key = kms.create_key("000000000000", "us-east-1")
        wrapped = EncryptedObjectStore(
            raw, S3Keyring(kms, os.urandom(32), "000000000000", "us-east-1"), scratch_dir=str(root)
        )
        variants = {
            "raw": (raw, ObjectMeta()),
            "pass-through": (wrapped, ObjectMeta()),
            "SSE-S3": (wrapped, ObjectMeta(sse={"ServerSideEncryption": "AES256"})),
            "SSE-KMS": (wrapped, ObjectMeta(sse={"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key.arn})),
        }
        results: dict[tuple[str, str], list[float]] = {}
        for size, count, label in ((KB, args.small, "1KB"), (8 * MB, args.large, "8MB")):
            body = os.urandom(size)
            for rep in range(args.reps):
                for name, (store, meta) in variants.items():  # alternating: load changes hit all alike
                    bucket = f"b-{label.lower()}-{rep}-{name.lower().replace('-', '')}"
                    raw.create_bucket(bucket, "us-east-1")
                    put, get = measure(store, bucket, meta, body, count)
                    scale = 1 / MB * size if label == "8MB" else 1.0
                    results.setdefault((label, f"{name} put"), []).append(scale / put)
                    results.setdefault((label, f"{name} get"), []).append(scale / get)
                    raw.delete_objects(bucket, [f"k{i}" for i in range(count)])
                    raw.delete_bucket(bucket)
        summary = {}
        for (label, what), values in results.items():
            unit = "MB/s" if label == "8MB" else "ops/s"
            median = statistics.median(values)
            summary[f"{label} {what}"] = median
            print(json.dumps({"size": label, "measure": what, unit: round(median, 1)}))
        ratios = {
            f"{label} {op} pass-through/raw": round(
                summary[f"{label} pass-through {op}"] / summary[f"{label} raw {op}"], 3
            )
            for label in ("1KB", "8MB")
            for op in ("put", "get")
        }
        print(json.dumps({"summary": ratios}))
        raw.close()
        metadata.close()


if __name__ == "__main__":
    main()
