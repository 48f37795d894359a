"""The quickstart's first steps: start a server, put the bundled data set in the SDK's default
bucket through the S3 API, and see it through the SageMaker SDK."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections import Counter

from sagecraft.client import boto3_session, running_server, sagemaker_session
from sagecraft.config.settings import DEFAULT_HOST, Settings
from sagecraft.quickstart.context import DATASET, PREFIX, QuickstartRun
from sagecraft.server.runner import EmbeddedServer

ROLE_NAME = "SageMakerRole"  # any role of the server's account; jobs get its temporary credentials


def start_server(run: QuickstartRun) -> str:
    info = running_server(run.home)
    if info is not None:
        run.endpoint_url = info.endpoint_url
        outcome = f"using the server already running for {run.home} at {info.endpoint_url}"
    else:
        server = run.stack.enter_context(EmbeddedServer(Settings.load(run.home, DEFAULT_HOST, 0)))
        run.endpoint_url = server.settings.endpoint_url
        run.embedded = True
        outcome = f"embedded server listening on {run.endpoint_url}"
    run.boto = boto3_session(run.home)
    _quiet_sdk_logging()
    run.sagemaker = sagemaker_session(run.home)
    run.role = f"arn:aws:iam::{run.sagemaker.account_id()}:role/{ROLE_NAME}"
    run.facts["Endpoint"] = run.endpoint_url
    run.facts["Home"] = str(run.home)
    return outcome


def _quiet_sdk_logging() -> None:
    """Only the SDK's warnings reach the console. Left alone, it logs INFO lines (config files it
    did not find, job names, telemetry) and ``sagemaker.experiments`` calls
    ``logging.basicConfig(level=INFO)`` when imported, which would also print the embedded
    server's log records (they belong in its log file)."""
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")  # printed twice at import; not news here
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())  # makes that basicConfig a no-op
    sdk = logging.getLogger("sagemaker")
    sdk.setLevel(logging.WARNING)
    if not sdk.handlers:  # (the SDK then adds no stdout handler of its own to sagemaker.config)
        sdk.addHandler(logging.lastResort or logging.StreamHandler())  # stderr, as Python's default


def create_bucket(run: QuickstartRun) -> str:
    run.bucket = run.sagemaker.default_bucket()
    run.facts["Bucket"] = f"s3://{run.bucket}"
    return f"s3://{run.bucket} via sagemaker.Session().default_bucket()"


def upload_dataset(run: QuickstartRun) -> str:
    key = f"{PREFIX}/raw/{DATASET.name}"
    run.boto.client("s3").upload_file(str(DATASET), run.bucket, key, ExtraArgs={"ContentType": "text/csv"})
    run.dataset_uri = f"s3://{run.bucket}/{key}"
    run.facts["Raw data"] = run.dataset_uri
    rows = sum(1 for _ in DATASET.open()) - 1
    return f"{DATASET.name} ({rows} rows, {DATASET.stat().st_size // 1024} KB) → {run.dataset_uri} via boto3 S3"


def describe_dataset(run: QuickstartRun) -> str:
    from sagemaker.s3 import S3Downloader, S3Uploader

    text = S3Downloader.read_file(run.dataset_uri, sagemaker_session=run.sagemaker)
    if text.encode() != DATASET.read_bytes():
        raise RuntimeError(f"{run.dataset_uri} read back through the SDK differs from the bundled file")
    rows = list(csv.DictReader(io.StringIO(text)))
    classes = Counter(row["target"] for row in rows)
    summary = {
        "rows": len(rows),
        "features": [name for name in rows[0] if name != "target"],
        "target": {"0 (malignant)": classes["0"], "1 (benign)": classes["1"]},
    }
    uri = S3Uploader.upload_string_as_file_body(
        json.dumps(summary, indent=2), f"s3://{run.bucket}/{PREFIX}/raw/summary.json", sagemaker_session=run.sagemaker
    )
    return (
        f"read back with S3Downloader.read_file ({len(rows)} rows, {classes['1']} benign / "
        f"{classes['0']} malignant); summary written with S3Uploader → {uri}"
    )


def list_with_sdk(run: QuickstartRun) -> str:
    from sagemaker.s3 import S3Downloader

    listed = S3Downloader.list(f"s3://{run.bucket}/{PREFIX}/", sagemaker_session=run.sagemaker)
    keys = run.sagemaker.list_s3_files(run.bucket, f"{PREFIX}/")
    if run.dataset_uri not in listed or run.dataset_uri.split("/", 3)[3] not in keys:
        raise RuntimeError(f"the SDK does not list {run.dataset_uri}: {listed}")
    return f"S3Downloader.list and Session.list_s3_files see {len(listed)} objects: " + ", ".join(
        uri.rsplit("/", 1)[1] for uri in listed
    )
