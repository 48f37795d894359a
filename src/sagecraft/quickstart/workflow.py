"""The quickstart's workflow: a server and the bundled data set, then the seed's data preparation
(a processing job, Feature Store), training (XGBoost script mode) through the SageMaker SDK, an
evaluation on the held-out split, a capture-enabled endpoint, a pipeline that tunes, evaluates and
registers a model, its approval deploying it, a batch transform and Model Monitor."""

from __future__ import annotations

import json
import shlex
import tempfile
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console

from sagecraft.quickstart.approval_step import approve_and_deploy
from sagecraft.quickstart.context import DATASET, PREFIX, QuickstartRun
from sagecraft.quickstart.data_steps import create_bucket, describe_dataset, list_with_sdk, start_server, upload_dataset
from sagecraft.quickstart.deploy_step import delete_endpoints, deploy_and_predict
from sagecraft.quickstart.evaluation import evaluate, metrics_table
from sagecraft.quickstart.feature_step import feature_store
from sagecraft.quickstart.job_steps import preprocess, train
from sagecraft.quickstart.monitor_step import monitor
from sagecraft.quickstart.pipeline_step import run_pipeline
from sagecraft.quickstart.steps import Step, run_steps
from sagecraft.quickstart.transform_step import batch_transform

__all__ = ["DATASET", "STEPS", "QuickstartRun", "run"]

STEPS: list[Step[QuickstartRun]] = [
    Step("Start the server", start_server),
    Step("Create the SDK's default bucket", create_bucket),
    Step("Upload the bundled data set through the S3 API", upload_dataset),
    Step("Read it back and summarize it through the SageMaker SDK", describe_dataset),
    Step("List it through the SageMaker SDK", list_with_sdk),
    Step("Split and scale it in a processing job", preprocess),
    Step("Ingest the training rows into Feature Store and join them back", feature_store),
    Step("Train XGBoost in script mode", train),
    Step("Evaluate the model on the held-out split", evaluate),
    Step("Deploy it with data capture and predict the held-out rows", deploy_and_predict),
    Step("Run a pipeline: preprocess → tune → evaluate → register if AUC is high enough", run_pipeline),
    Step("Approve the registered version; its group's approval action deploys it", approve_and_deploy),
    Step("Score the held-out rows in a batch transform job", batch_transform),
    Step("Monitor the capture endpoint: baseline, shifted traffic, violations", monitor),
    Step("Delete the endpoints", delete_endpoints),
]


def run(home: str | None, console: Console) -> QuickstartRun:
    root = Path(home).expanduser().resolve() if home else Path(tempfile.mkdtemp(prefix="sagecraft-quickstart-"))
    console.print(f"[bold]Sagecraft quickstart[/] — home {root}", highlight=False)
    with ExitStack() as stack:
        state = QuickstartRun(home=root, stack=stack)
        run_steps(STEPS, state, console, state.detail)
    _summary(state, console)
    return state


def _summary(state: QuickstartRun, console: Console) -> None:
    console.print()
    if state.metrics:
        console.print(metrics_table(state))
        console.print()
    width = max(map(len, state.facts)) + 2
    for label, value in state.facts.items():
        console.print(f"  [bold]{label + ':':<{width}}[/] {value}", highlight=False)
    console.print()
    home = shlex.quote(str(state.home))
    if state.embedded:
        console.print(
            f"The embedded server has stopped; everything it stored stays under {state.home}. To look around:",
            highlight=False,
        )
        console.print(f'  sagecraft up --home {home}\n  eval "$(sagecraft env --home {home})"', highlight=False)
    else:
        console.print("To look around with the running server:", highlight=False)
        console.print(f'  eval "$(sagecraft env --home {home})"', highlight=False)
    console.print(f"  sagecraft jobs ls --home {home}", highlight=False)
    for job in (state.processing_job, state.training_job):
        if job:
            console.print(f"  sagecraft jobs logs {job} --home {home}", highlight=False)
    if state.feature_group:
        console.print(f"  sagecraft features get {state.feature_group} train-0000 --home {home}", highlight=False)
    if state.best_training_job:
        console.print(f"  sagecraft tuning ls --home {home}", highlight=False)
    if state.monitoring_schedule:
        console.print(f"  sagecraft monitor violations {state.monitoring_schedule} --home {home}", highlight=False)
    console.print(f"  aws s3 ls --recursive s3://{state.bucket}/", highlight=False)
    code = (
        f"import sagecraft; s = sagecraft.session(home={json.dumps(str(state.home))}); "
        f"print(s.list_s3_files(s.default_bucket(), {json.dumps(PREFIX + '/')}))"
    )
    console.print(f"  python -c {shlex.quote(code)}", highlight=False)
