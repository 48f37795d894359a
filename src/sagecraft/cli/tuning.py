"""``sagecraft tuning``: list hyperparameter tuning jobs and show one's trials, live if asked.

Everything goes through the running server's API with boto3, as any client would:
ListHyperParameterTuningJobs, DescribeHyperParameterTuningJob and
ListTrainingJobsForHyperParameterTuningJob.
"""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="Hyperparameter tuning jobs of the running server.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)
# Piped output (grep, scripts) gets whole rows rather than cells wrapped at 80 columns.
out = Console(soft_wrap=True, highlight=False, width=None if sys.stdout.isatty() else 200)

HomeOption = Annotated[str | None, typer.Option("--home", help="The server's home (default $SAGECRAFT_HOME, "
                                                 "else ~/.sagecraft).")]
RegionOption = Annotated[str | None, typer.Option(help="AWS region (default us-east-1).")]
TERMINAL = ("Completed", "Failed", "Stopped")
STYLES = {"Completed": "green", "Failed": "red", "Stopped": "yellow", "Stopping": "yellow", "InProgress": "cyan"}
POLL_SECONDS = 1.0


def _client(home: str | None, region: str | None):
    from sagecraft.client import NoServerRunning, boto3_session

    try:
        return boto3_session(home, region).client("sagemaker")
    except NoServerRunning as error:
        console.print(f"[red]✗[/] {error}", highlight=False)
        raise typer.Exit(1) from None


def _styled(status: str) -> str:
    return f"[{STYLES.get(status, 'white')}]{status}[/]"


@app.command("ls")
def list_tuning_jobs(home: HomeOption = None, region: RegionOption = None,
                     limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20) -> None:
    """List hyperparameter tuning jobs, newest first."""
    sm = _client(home, region)
    summaries: list[dict[str, Any]] = []
    paginator = sm.get_paginator("list_hyper_parameter_tuning_jobs")
    for page in paginator.paginate(SortBy="CreationTime", SortOrder="Descending",
                                   PaginationConfig={"MaxItems": limit}):
        summaries += page["HyperParameterTuningJobSummaries"]
    if not summaries:
        console.print("No tuning jobs yet.")
        return
    table = Table(title="Tuning jobs", title_justify="left")
    for column in ("Name", "Status", "Strategy", "Trials", "Completed", "Stopped", "Failed", "Created"):
        table.add_column(column, no_wrap=True)
    for summary in summaries:
        counters = summary["TrainingJobStatusCounters"]
        launched = sum(counters.values())
        limit_jobs = (summary.get("ResourceLimits") or {}).get("MaxNumberOfTrainingJobs")
        table.add_row(summary["HyperParameterTuningJobName"], _styled(summary["HyperParameterTuningJobStatus"]),
                      summary["Strategy"], f"{launched}/{limit_jobs}" if limit_jobs else str(launched),
                      str(counters.get("Completed", 0)), str(counters.get("Stopped", 0)),
                      str(counters.get("NonRetryableError", 0) + counters.get("RetryableError", 0)),
                      summary["CreationTime"].astimezone().strftime("%Y-%m-%d %H:%M:%S"))
    out.print(table)


def _trials(sm, name: str) -> list[dict[str, Any]]:
    trials: list[dict[str, Any]] = []
    paginator = sm.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job")
    for page in paginator.paginate(HyperParameterTuningJobName=name, SortBy="CreationTime", SortOrder="Ascending"):
        trials += page["TrainingJobSummaries"]
    return trials


def trials_table(description: dict[str, Any], trials: list[dict[str, Any]]) -> Table:
    """One row per trial: name, status, objective, tuned hyperparameters; the best is starred."""
    many = description.get("TrainingJobDefinitions") or []  # multi-algorithm: an objective per definition
    objectives = [d["TuningObjective"] for d in many] or [
        description["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]]
    metrics = " / ".join(dict.fromkeys(o["MetricName"] for o in objectives))
    best = (description.get("BestTrainingJob") or {}).get("TrainingJobName")
    names = sorted({k for t in trials for k in t.get("TunedHyperParameters", {})})
    table = Table(title=f"{description['HyperParameterTuningJobName']}: {objectives[0]['Type']} {metrics}",
                  title_justify="left")
    for column in ("", "Trial", *(["Definition"] if many else []), "Status", metrics, *names):
        table.add_column(column, no_wrap=True)
    for trial in trials:
        value = (trial.get("FinalHyperParameterTuningJobObjectiveMetric") or {}).get("Value")
        tuned = trial.get("TunedHyperParameters", {})
        marker = "[bold green]★[/]" if trial["TrainingJobName"] == best else ""
        definition = [trial.get("TrainingJobDefinitionName", "")] if many else []
        table.add_row(marker, trial["TrainingJobName"], *definition, _styled(trial["TrainingJobStatus"]),
                      "" if value is None else f"{value:.6g}", *(_short(tuned.get(n, "")) for n in names))
    return table


def _short(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    return value if number.is_integer() and "." not in value else f"{number:.4g}"


def _footer(description: dict[str, Any]) -> str:
    status = description["HyperParameterTuningJobStatus"]
    text = f"{_styled(status)}"
    if description.get("FailureReason"):
        text += f": {description['FailureReason']}"
    best = description.get("BestTrainingJob")
    if best:
        value = best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
        text += f" · best {best['TrainingJobName']} ({value:.6g})"
    overall = description.get("OverallBestTrainingJob")
    if overall and overall["TrainingJobName"] != (best or {}).get("TrainingJobName"):
        text += f" · overall best {overall['TrainingJobName']} of {overall['TuningJobName']}"
    return text


def _total(description: dict[str, Any], trials: list[dict[str, Any]]) -> int:
    limit = description["HyperParameterTuningJobConfig"]["ResourceLimits"].get("MaxNumberOfTrainingJobs")
    return max(int(limit or 0), len(trials))


@app.command()
def describe(name: str, watch: Annotated[bool, typer.Option("--watch", "-w", help="Follow the tuning job with a "
                                                            "live progress bar until it ends.")] = False,
             home: HomeOption = None, region: RegionOption = None) -> None:
    """Show a tuning job and its trials (objective, hyperparameters, status; the best starred)."""
    from botocore.exceptions import ClientError

    sm = _client(home, region)
    try:
        description = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    except ClientError as error:
        console.print(f"[red]✗[/] {error.response['Error']['Message']}", highlight=False)
        raise typer.Exit(1) from None
    trials = _trials(sm, name)
    if watch and description["HyperParameterTuningJobStatus"] not in TERMINAL:
        description, trials = _watch(sm, name, description, trials)
    out.print(trials_table(description, trials))
    out.print(_footer(description))


def _watch(sm, name: str, description: dict[str, Any], trials: list[dict[str, Any]]):
    """Redraw the trials and a progress bar (ended trials / trials to run) until the job ends."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=console)
    task = bar.add_task(name, total=_total(description, trials))
    with Live(Group(trials_table(description, trials), bar), console=console, refresh_per_second=4,
              transient=True) as live:
        while True:
            ended = sum(1 for t in trials if t["TrainingJobStatus"] in TERMINAL)
            bar.update(task, completed=ended, total=_total(description, trials),
                       description=f"{name} {description['HyperParameterTuningJobStatus']}")
            live.update(Group(trials_table(description, trials), bar))
            if description["HyperParameterTuningJobStatus"] in TERMINAL:
                return description, trials
            time.sleep(POLL_SECONDS)
            description = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
            trials = _trials(sm, name)
