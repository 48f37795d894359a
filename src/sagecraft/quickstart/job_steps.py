"""The seed's processing and training patterns, through the official SageMaker SDK v2 as the
seed writes them. Added: ``sagemaker_session=`` (the embedded server's session) and ``logs=False``
(the SDK's log tail is slow; watch.py shows the job live instead)."""

from __future__ import annotations

import contextlib
import io
import shlex
from collections.abc import Callable, Iterator

from sagecraft.quickstart.context import PREPROCESSING_SCRIPT, SPLITS, TRAINING_SOURCE, QuickstartRun
from sagecraft.quickstart.watch import JobWatch

HYPERPARAMETERS = {"objective": "binary:logistic", "num_round": 100}


def preprocess(run: QuickstartRun) -> str:
    from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor

    processor = ScriptProcessor(
        command=["python3"],
        image_uri="python:3.8-slim",
        role=run.role,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        sagemaker_session=run.sagemaker,
    )
    with _job(run, "processing", lambda: processor.latest_job and processor.latest_job.job_name) as watch:
        processor.run(
            code=str(PREPROCESSING_SCRIPT),
            inputs=[
                ProcessingInput(input_name="raw-data", source=run.dataset_uri, destination="/opt/ml/processing/input")
            ],
            outputs=[ProcessingOutput(output_name="processed-data", source="/opt/ml/processing/output")],
            logs=False,
        )
    description = processor.jobs[-1].describe()
    run.processing_job = description["ProcessingJobName"]
    outputs = {
        output["OutputName"]: output["S3Output"]["S3Uri"] for output in description["ProcessingOutputConfig"]["Outputs"]
    }
    processed = outputs["processed-data"].rstrip("/")
    run.split_uris = {split: f"{processed}/{split}" for split in SPLITS}
    missing = [uri for uri in run.split_uris.values() if not run.sagemaker.list_s3_files(*_bucket_key(uri + "/"))]
    if missing:
        raise RuntimeError(f"processing job {run.processing_job} completed but wrote nothing to {', '.join(missing)}")
    run.facts["Processing job"] = run.processing_job
    run.facts["Processed data"] = f"{processed}/{{{','.join(SPLITS)}}}/"
    counts = [line for line in watch.lines if line.startswith(SPLITS)]
    return f"ScriptProcessor ran preprocessing.py as {run.processing_job}; scaler fitted on train only; " + "; ".join(
        counts or [processed]
    )


def train(run: QuickstartRun) -> str:
    from sagemaker.inputs import TrainingInput
    from sagemaker.xgboost import XGBoost

    xgb = XGBoost(
        entry_point="train.py",
        source_dir=str(TRAINING_SOURCE),
        role=run.role,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        framework_version="1.3-1",
        hyperparameters=HYPERPARAMETERS,
        sagemaker_session=run.sagemaker,
    )
    train_data = TrainingInput(run.split_uris["train"], content_type="text/csv")
    val_data = TrainingInput(run.split_uris["validation"], content_type="text/csv")
    with _job(run, "training", lambda: xgb.latest_training_job and xgb.latest_training_job.name) as watch:
        xgb.fit({"train": train_data, "validation": val_data}, logs=False)
    run.training_job = xgb.latest_training_job.name
    run.model_uri = xgb.model_data
    run.facts["Training job"] = run.training_job
    run.facts["Model"] = run.model_uri
    rounds = [line for line in watch.lines if line.startswith("[")]
    last = f"; last round {rounds[-1]}" if rounds else ""
    return f"XGBoost script mode ran train.py as {run.training_job} ({len(rounds)} rounds{last}) → {run.model_uri}"


@contextlib.contextmanager
def _job(run: QuickstartRun, kind: str, job_name: Callable[[], str | None]) -> Iterator[JobWatch]:
    """Watches the job while the SDK waits, swallows the SDK's progress dots and makes a failure
    say where the job's log is."""
    watch = JobWatch(kind, job_name, run.boto, run.detail)
    try:
        with watch, contextlib.redirect_stdout(io.StringIO()):
            yield watch
    except Exception as error:
        name = job_name()
        if not name:
            raise
        message = str(error)
        last = [line for line in watch.lines if line.strip()][-8:]
        if last and last[-1].strip() not in message:  # FailureReason holds only the end of stderr
            message += "\n" + "\n".join(f"  │ {line}" for line in last)
        home = shlex.quote(str(run.home))
        raise RuntimeError(
            f"{message}\nThe job's whole log: `sagecraft jobs logs {name} --home {home}` "
            f"(with the server running: `sagecraft up --home {home}`)"
        ) from error


def _bucket_key(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key
