"""``sagecraft jobs``: list, follow, stop and interrupt training and processing jobs.

Everything but ``interrupt`` goes through the running server's API with boto3, as any client
would. ``interrupt`` (a simulated spot reclaim) has no AWS API: it records the request in the
server's metadata store, where the job's reconciler notices it within a second.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Training and processing jobs of the running server.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)
# Piped output (grep, scripts) gets whole rows rather than cells wrapped at 80 columns.
out = Console(soft_wrap=True, highlight=False, width=None if sys.stdout.isatty() else 200)

HomeOption = Annotated[str | None, typer.Option("--home", help="The server's home (default $SAGECRAFT_HOME, "
                                                 "else ~/.sagecraft).")]
RegionOption = Annotated[str | None, typer.Option(help="AWS region (default us-east-1).")]
TERMINAL = ("Completed", "Failed", "Stopped")
STYLES = {"Completed": "green", "Failed": "red", "Stopped": "yellow", "Stopping": "yellow", "InProgress": "cyan"}


def _client(home: str | None, region: str | None):
    from sagecraft.client import NoServerRunning, boto3_session

    try:
        return boto3_session(home, region).client("sagemaker")
    except NoServerRunning as error:
        console.print(f"[red]✗[/] {error}", highlight=False)
        raise typer.Exit(1) from None


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]✗[/] {message}", highlight=False)
    return typer.Exit(1)


def _find(sm, name: str) -> tuple[str, dict[str, Any]]:
    """("training" | "processing", its description)."""
    from botocore.exceptions import ClientError

    for kind, call, key in (("training", sm.describe_training_job, "TrainingJobName"),
                            ("processing", sm.describe_processing_job, "ProcessingJobName")):
        try:
            return kind, call(**{key: name})
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("ValidationException", "ResourceNotFound"):
                raise
    raise _fail(f"No training or processing job is named {name}.")


def _status(description: dict[str, Any]) -> str:
    return description.get("TrainingJobStatus") or description.get("ProcessingJobStatus") or "?"


@app.command("ls")
def list_jobs(home: HomeOption = None, region: RegionOption = None,
              limit: Annotated[int, typer.Option(help="How many of each kind, newest first.")] = 20) -> None:
    """List training and processing jobs, newest first."""
    sm = _client(home, region)
    rows = []
    for page in sm.get_paginator("list_training_jobs").paginate(PaginationConfig={"MaxItems": limit}):
        rows += [("training", s["TrainingJobName"], s["TrainingJobStatus"], s.get("SecondaryStatus", ""),
                  s["CreationTime"], s.get("TrainingEndTime")) for s in page["TrainingJobSummaries"]]
    for page in sm.get_paginator("list_processing_jobs").paginate(PaginationConfig={"MaxItems": limit}):
        rows += [("processing", s["ProcessingJobName"], s["ProcessingJobStatus"], "", s["CreationTime"],
                  s.get("ProcessingEndTime")) for s in page["ProcessingJobSummaries"]]
    table = Table(title="Jobs", title_justify="left")
    for column in ("Name", "Kind", "Status", "Secondary", "Created", "Duration"):
        table.add_column(column, no_wrap=True)
    for kind, name, status, secondary, created, ended in sorted(rows, key=lambda r: r[4], reverse=True):
        finished = ended or dt.datetime.now(created.tzinfo)
        table.add_row(name, kind, f"[{STYLES.get(status, 'white')}]{status}[/]", secondary,
                      created.astimezone().strftime("%Y-%m-%d %H:%M:%S"), _duration(finished - created))
    if not rows:
        console.print("No jobs yet.")
        return
    out.print(table)


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@app.command()
def logs(name: str, follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines "
                                                                              "until the job ends.")] = False,
         home: HomeOption = None, region: RegionOption = None) -> None:
    """Print a job's log (every instance's stream), as CloudWatch Logs holds it."""
    from sagecraft.client import boto3_session

    session = boto3_session(home, region)
    sm, cloudwatch = session.client("sagemaker"), session.client("logs")
    kind, description = _find(sm, name)
    group = "/aws/sagemaker/TrainingJobs" if kind == "training" else "/aws/sagemaker/ProcessingJobs"
    tokens: dict[str, str | None] = {}
    while True:
        printed = _print_new(cloudwatch, group, name, tokens)
        if not follow:
            return
        if _status(description) in TERMINAL and not printed:
            break
        time.sleep(0.5)
        description = _find(sm, name)[1]
    status = _status(description)
    console.print(f"[{STYLES.get(status, 'white')}]●[/] {name} {status}"
                  + (f": {description['FailureReason']}" if description.get("FailureReason") else ""),
                  highlight=False)


def _print_new(cloudwatch, group: str, name: str, tokens: dict[str, str | None]) -> int:
    try:
        streams = cloudwatch.describe_log_streams(logGroupName=group, logStreamNamePrefix=f"{name}/")["logStreams"]
    except cloudwatch.exceptions.ResourceNotFoundException:
        return 0
    multiple = len(streams) > 1
    printed = 0
    for stream in streams:
        stream_name = stream["logStreamName"]
        while True:
            kwargs: dict[str, Any] = {"nextToken": tokens[stream_name]} if tokens.get(stream_name) else \
                {"startFromHead": True}
            page = cloudwatch.get_log_events(logGroupName=group, logStreamName=stream_name, **kwargs)
            for event in page["events"]:
                prefix = f"[{stream_name.split('/', 1)[1].rsplit('-', 1)[0]}] " if multiple else ""
                out.print(prefix + event["message"], markup=False)
            printed += len(page["events"])
            tokens[stream_name] = page["nextForwardToken"]
            if not page["events"]:
                break
    return printed


@app.command()
def stop(name: str, home: HomeOption = None, region: RegionOption = None,
         wait: Annotated[bool, typer.Option(help="Wait until the job has stopped.")] = True) -> None:
    """Stop a job in progress (StopTrainingJob / StopProcessingJob)."""
    from botocore.exceptions import ClientError

    sm = _client(home, region)
    kind, _ = _find(sm, name)
    try:
        if kind == "training":
            sm.stop_training_job(TrainingJobName=name)
        else:
            sm.stop_processing_job(ProcessingJobName=name)
    except ClientError as error:
        raise _fail(error.response["Error"]["Message"]) from None
    status = "Stopping"
    with console.status(f"Stopping {name}…"):
        while wait and status not in TERMINAL:
            time.sleep(0.2)
            status = _status(_find(sm, name)[1])
    console.print(f"[{STYLES.get(status, 'white')}]●[/] {name} {status}", highlight=False)


@app.command()
def interrupt(name: str, home: HomeOption = None, region: RegionOption = None) -> None:
    """Simulate a spot interruption of a managed spot training job: its instances are reclaimed and it
    restarts from its checkpoints (SecondaryStatus Interrupted → Restarting)."""
    from sagecraft.client import find_server
    from sagecraft.config.settings import DEFAULT_REGION, Settings
    from sagecraft.core.errors import AwsError
    from sagecraft.services.jobs.interrupts import request_interrupt
    from sagecraft.storage.metadata import MetadataStore

    info = find_server(home)
    settings = Settings.load(home)
    store = MetadataStore.open(settings.database_url, upgrade=False)
    try:
        request_interrupt(store, info.account_id, region or DEFAULT_REGION, name)
    except AwsError as error:
        raise _fail(error.message) from None
    finally:
        store.close()
    console.print(f"[yellow]●[/] {name}: spot interruption requested; the job restarts from its checkpoints.",
                  highlight=False)
