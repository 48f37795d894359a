"""The quickstart's steps. For now: start a server, put the bundled data set in the SDK's
default bucket through the S3 API, and see it through the SageMaker SDK. Later steps (processing,
training, registry, endpoint, monitor, pipeline) append to ``STEPS``."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shlex
import tempfile
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from sagecraft.client import boto3_session, running_server, sagemaker_session
from sagecraft.config.settings import DEFAULT_HOST, Settings
from sagecraft.quickstart.steps import Step, run_steps
from sagecraft.server.runner import EmbeddedServer

DATASET = Path(__file__).parent / "data" / "breast_cancer.csv"
PREFIX = "quickstart"


@dataclass
class QuickstartRun:
    home: Path
    stack: ExitStack
    endpoint_url: str = ""
    embedded: bool = False
    boto: object = None
    sagemaker: object = None  # sagemaker.Session
    bucket: str = ""
    dataset_uri: str = ""
    facts: dict[str, str] = field(default_factory=dict)  # what the summary shows, in order


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
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")  # printed twice at import; not news here
    import sagemaker  # noqa: F401 - imported before its config logger can be quietened

    logging.getLogger("sagemaker.config").setLevel(logging.WARNING)  # its INFO lines about config files
    run.sagemaker = sagemaker_session(run.home)
    run.facts["Endpoint"] = run.endpoint_url
    run.facts["Home"] = str(run.home)
    return outcome


def create_bucket(run: QuickstartRun) -> str:
    run.bucket = run.sagemaker.default_bucket()
    run.facts["Bucket"] = f"s3://{run.bucket}"
    return f"s3://{run.bucket} via sagemaker.Session().default_bucket()"


def upload_dataset(run: QuickstartRun) -> str:
    key = f"{PREFIX}/raw/{DATASET.name}"
    run.boto.client("s3").upload_file(str(DATASET), run.bucket, key, ExtraArgs={"ContentType": "text/csv"})
    run.dataset_uri = f"s3://{run.bucket}/{key}"
    run.facts["Dataset"] = run.dataset_uri
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
    return (f"read back with S3Downloader.read_file ({len(rows)} rows, {classes['1']} benign / "
            f"{classes['0']} malignant); summary written with S3Uploader → {uri}")


def list_with_sdk(run: QuickstartRun) -> str:
    from sagemaker.s3 import S3Downloader

    listed = S3Downloader.list(f"s3://{run.bucket}/{PREFIX}/", sagemaker_session=run.sagemaker)
    keys = run.sagemaker.list_s3_files(run.bucket, f"{PREFIX}/")
    if run.dataset_uri not in listed or run.dataset_uri.split("/", 3)[3] not in keys:
        raise RuntimeError(f"the SDK does not list {run.dataset_uri}: {listed}")
    return f"S3Downloader.list and Session.list_s3_files see {len(listed)} objects: " + ", ".join(
        uri.rsplit("/", 1)[1] for uri in listed)


STEPS: list[Step[QuickstartRun]] = [
    Step("Start the server", start_server),
    Step("Create the SDK's default bucket", create_bucket),
    Step("Upload the bundled data set through the S3 API", upload_dataset),
    Step("Read it back and summarize it through the SageMaker SDK", describe_dataset),
    Step("List it through the SageMaker SDK", list_with_sdk),
]


def run(home: str | None, console: Console) -> QuickstartRun:
    root = Path(home).expanduser().resolve() if home else Path(tempfile.mkdtemp(prefix="sagecraft-quickstart-"))
    console.print(f"[bold]Sagecraft quickstart[/] — home {root}", highlight=False)
    with ExitStack() as stack:
        state = QuickstartRun(home=root, stack=stack)
        run_steps(STEPS, state, console)
    _summary(state, console)
    return state


def _summary(state: QuickstartRun, console: Console) -> None:
    console.print()
    for label, value in state.facts.items():
        console.print(f"  [bold]{label + ':':<10}[/] {value}", highlight=False)
    console.print()
    home = shlex.quote(str(state.home))
    if state.embedded:
        console.print(f"The embedded server has stopped; everything it stored stays under {state.home}. To look "
                      "around:", highlight=False)
        console.print(f"  sagecraft up --home {home}\n  eval \"$(sagecraft env --home {home})\"", highlight=False)
    else:
        console.print("To look around with the running server:", highlight=False)
        console.print(f"  eval \"$(sagecraft env --home {home})\"", highlight=False)
    console.print(f"  aws s3 ls --recursive s3://{state.bucket}/{PREFIX}/", highlight=False)
    code = (f"import sagecraft; s = sagecraft.session(home={json.dumps(str(state.home))}); "
            f"print(s.list_s3_files(s.default_bucket(), {json.dumps(PREFIX + '/')}))")
    console.print(f"  python -c {shlex.quote(code)}", highlight=False)
