"""``sagecraft monitor``: Model Monitor schedules of the running server — list them, run one now,
print the violations of its latest execution.

``ls`` and ``violations`` use the SageMaker and S3 APIs as any client would. ``run`` has no AWS
operation: it POSTs Sagecraft's own SigV4-signed control call ``/_sagecraft/monitoring/run``
(admin key only), which starts an execution over the window that ends now."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Model Monitor schedules of the running server.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True, highlight=False, width=None if sys.stdout.isatty() else 200)

HomeOption = Annotated[str | None, typer.Option("--home", help="The server's home (default $SAGECRAFT_HOME, "
                                                 "else ~/.sagecraft).")]
RegionOption = Annotated[str | None, typer.Option(help="AWS region (default us-east-1).")]
RUN_ROUTE = "/_sagecraft/monitoring/run"
TERMINAL = ("Completed", "CompletedWithViolations", "Failed", "Stopped")
STYLES = {"Completed": "green", "CompletedWithViolations": "yellow", "Failed": "red", "Stopped": "yellow",
          "InProgress": "cyan", "Pending": "cyan", "Scheduled": "green"}


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]✗[/] {message}", highlight=False)
    return typer.Exit(1)


def _session(home: str | None, region: str | None):
    from sagecraft.client import NoServerRunning, boto3_session

    try:
        return boto3_session(home, region)
    except NoServerRunning as error:
        raise _fail(str(error)) from None


def start_execution(endpoint_url: str, credentials: Any, region: str, schedule: str) -> dict[str, Any]:
    """POST the signed run call with botocore ``credentials`` (admin key); the execution's summary.
    Raises RuntimeError with the server's error code and message."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    query = urllib.parse.urlencode({"MonitoringScheduleName": schedule})
    url = f"{endpoint_url.rstrip('/')}{RUN_ROUTE}?{query}"
    request = AWSRequest(method="POST", url=url, data=b"")
    SigV4Auth(credentials.get_frozen_credentials(), "sagemaker", region).add_auth(request)
    prepared = urllib.request.Request(url, data=b"", method="POST", headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(prepared, timeout=120) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as error:
        body = json.loads(error.read() or b"{}")
        raise RuntimeError(f"{body.get('__type', error.code)}: {body.get('message', '')}") from None


@app.command("ls")
def list_schedules(home: HomeOption = None, region: RegionOption = None) -> None:
    """List monitoring schedules with their latest execution."""
    sm = _session(home, region).client("sagemaker")
    summaries = sm.list_monitoring_schedules(SortBy="CreationTime", SortOrder="Descending")[
        "MonitoringScheduleSummaries"]
    if not summaries:
        console.print("No monitoring schedules yet.")
        return
    table = Table(title="Monitoring schedules", title_justify="left")
    for column in ("Name", "Type", "Endpoint", "Status", "Schedule", "Last execution", "Scheduled time"):
        table.add_column(column, no_wrap=True)
    for summary in summaries:
        described = sm.describe_monitoring_schedule(MonitoringScheduleName=summary["MonitoringScheduleName"])
        expression = described["MonitoringScheduleConfig"].get("ScheduleConfig", {}).get("ScheduleExpression", "")
        last = described.get("LastMonitoringExecutionSummary") or {}
        status, latest = described["MonitoringScheduleStatus"], last.get("MonitoringExecutionStatus", "-")
        table.add_row(summary["MonitoringScheduleName"], summary.get("MonitoringType", ""),
                      summary.get("EndpointName", ""), f"[{STYLES.get(status, 'white')}]{status}[/]", expression,
                      f"[{STYLES.get(latest, 'white')}]{latest}[/]",
                      last["ScheduledTime"].astimezone().strftime("%Y-%m-%d %H:%M") if last else "")
    out.print(table)


@app.command()
def run(schedule: str, wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for the execution "
                                                          "to finish.")] = True,
        home: HomeOption = None, region: RegionOption = None) -> None:
    """Run an execution of SCHEDULE now, over the analysis window that ends now."""
    session = _session(home, region)
    try:
        summary = start_execution(session.endpoint_url, session.get_credentials(), session.region_name, schedule)
    except RuntimeError as error:
        raise _fail(str(error)) from None
    status = summary["MonitoringExecutionStatus"]
    job = summary.get("ProcessingJobArn", "").rsplit("/", 1)[-1]
    console.print(f"[cyan]●[/] {schedule}: execution {status}" + (f" (processing job {job})" if job else ""))
    if wait and job and status not in TERMINAL:
        sm = session.client("sagemaker")
        while status not in TERMINAL:
            time.sleep(1)
            found = sm.list_monitoring_executions(MonitoringScheduleName=schedule, SortBy="CreationTime",
                                                  SortOrder="Descending")["MonitoringExecutionSummaries"]
            mine = [e for e in found if e.get("ProcessingJobArn") == summary["ProcessingJobArn"]]
            status = mine[0]["MonitoringExecutionStatus"] if mine else status
            summary = mine[0] if mine else summary
    style = STYLES.get(status, "white")
    reason = f": {summary['FailureReason']}" if summary.get("FailureReason") else ""
    out.print(f"{schedule}\t[{style}]{status}[/]{reason}")
    if status == "Failed":
        raise typer.Exit(1)


@app.command()
def violations(schedule: str, home: HomeOption = None, region: RegionOption = None) -> None:
    """Print the constraint violations of SCHEDULE's latest completed execution."""
    session = _session(home, region)
    sm, s3 = session.client("sagemaker"), session.client("s3")
    found = sm.list_monitoring_executions(MonitoringScheduleName=schedule, SortBy="ScheduledTime",
                                          SortOrder="Descending")["MonitoringExecutionSummaries"]
    done = [e for e in found if e["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations")]
    if not done:
        raise _fail(f"{schedule} has no completed execution yet (run one with `sagecraft monitor run {schedule}`).")
    latest = done[0]
    job = sm.describe_processing_job(ProcessingJobName=latest["ProcessingJobArn"].rsplit("/", 1)[-1])
    uri = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"].rstrip("/") + "/constraint_violations.json"
    bucket, key = uri[len("s3://"):].split("/", 1)
    document = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    items = document.get("violations") or []
    when = latest["ScheduledTime"].astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if not items:
        out.print(f"{schedule}: no violations (execution of {when}).")
        return
    table = Table(title=f"{schedule}: {len(items)} violation(s), execution of {when}", title_justify="left")
    for column in ("Feature / metric", "Check", "Description"):
        table.add_column(column)
    for item in items:
        table.add_row(item.get("feature_name") or item.get("metric_name", ""), item.get("constraint_check_type", ""),
                      item.get("description", ""))
    out.print(table)
