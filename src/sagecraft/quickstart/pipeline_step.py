"""The seed's orchestration pattern as one SageMaker Pipeline (``sagemaker.workflow``): preprocess
(ProcessingStep) → tune the seed's XGBoost (TuningStep, objective validation:auc) → evaluate the
best trial's model on the held-out split (ProcessingStep, evaluation.json as a PropertyFile) →
ConditionStep AUC ≥ ParameterFloat → RegisterModel (PendingManualApproval) into a model package
group, else FailStep. The group carries the approval action that deploys an approved version
(docs/registry.md); approval_step.py approves it."""

from __future__ import annotations

import contextlib
import json
import logging
import shlex
import time
import warnings
from collections.abc import Iterator

from sagecraft.quickstart.context import PREFIX, QuickstartRun
from sagecraft.quickstart.pipeline_definition import AUC_THRESHOLD, MODELS_PREFIX, PIPELINE, build_pipeline

PIPELINE_SECONDS = 900.0


def run_pipeline(run: QuickstartRun) -> str:
    _create_group(run)
    run.detail(f"upsert {PIPELINE} and start it")
    with _definition_notices_quiet():
        pipeline = build_pipeline(run)
        pipeline.upsert(role_arn=run.role, description="The quickstart's preprocess → tune → evaluate → register")
    execution = pipeline.start()
    run.pipeline_execution = execution.arn
    described = _wait(run, execution)
    steps = {step["StepName"]: step for step in execution.list_steps()}
    if described["PipelineExecutionStatus"] != "Succeeded":
        failed = [
            f"{name}: {step.get('FailureReason', step['StepStatus'])}"
            for name, step in steps.items()
            if step["StepStatus"] not in ("Succeeded", "Executing")
        ]
        raise RuntimeError(
            f"pipeline execution {execution.arn} is {described['PipelineExecutionStatus']}: "
            f"{described.get('FailureReason', '')}; "
            + "; ".join(failed)
            + f"\nIts steps: `aws sagemaker list-pipeline-execution-steps --pipeline-execution-arn "
            f'{shlex.quote(execution.arn)}` (after `eval "$(sagecraft env --home {run.home})"`)'
        )
    client = run.sagemaker.sagemaker_client
    tuning_job = steps["Tune"]["Metadata"]["TuningJob"]["Arn"].rsplit("/", 1)[1]
    tuning = client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_job)
    best = tuning["BestTrainingJob"]
    best_auc = best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    run.best_training_job = best["TrainingJobName"]
    run.best_model_uri = f"s3://{run.bucket}/{MODELS_PREFIX}/{run.best_training_job}/output/model.tar.gz"
    evaluation_job = steps["Evaluate"]["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[1]
    evaluation = _evaluation(run, evaluation_job)
    run.model_package_arn = steps["RegisterModel-RegisterModel"]["Metadata"]["RegisterModel"]["Arn"]
    package = client.describe_model_package(ModelPackageName=run.model_package_arn)
    completed = tuning["TrainingJobStatusCounters"]["Completed"]
    tuned = ", ".join(f"{k} {float(v.strip(chr(34))):.3g}" for k, v in sorted(best["TunedHyperParameters"].items()))
    run.facts["Pipeline execution"] = f"{execution.arn} (Succeeded, {len(steps)} steps)"
    run.facts["Tuning job"] = (
        f"{tuning_job}: {completed} trials completed, best {run.best_training_job} "
        f"validation:auc {best_auc:.4f} ({tuned})"
    )
    run.facts["Registered version"] = (
        f"{run.model_package_arn} (test AUC {evaluation['auc']['value']:.4f} ≥ {AUC_THRESHOLD})"
    )
    return (
        f"{PIPELINE} Succeeded: {completed} tuning trials, best {run.best_training_job} validation:auc "
        f"{best_auc:.4f}; its model's held-out AUC {evaluation['auc']['value']:.4f} ≥ {AUC_THRESHOLD} → "
        f"registered version {package['ModelPackageVersion']} of {run.model_package_group} "
        f"({package['ModelApprovalStatus']})"
    )


@contextlib.contextmanager
def _definition_notices_quiet() -> Iterator[None]:
    """While a pipeline is defined, the SDK warns that nothing runs yet ("No Wait, No Logs", "Popping
    out 'ProcessingJobName'", "No finished training job"): expected here, so not shown."""
    sdk = logging.getLogger("sagemaker")
    level = sdk.level
    sdk.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        sdk.setLevel(level)


def _create_group(run: QuickstartRun) -> None:
    """A model package group per run, whose tags make an approved version deploy itself."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run.model_package_group = f"{PREFIX}-breast-cancer-{stamp}"
    run.approved_endpoint = f"{PREFIX}-approved-{stamp}"
    run.sagemaker.sagemaker_client.create_model_package_group(
        ModelPackageGroupName=run.model_package_group,
        ModelPackageGroupDescription="XGBoost models the quickstart pipeline registered",
        Tags=[
            {"Key": "sagecraft:on-approval:deploy-endpoint", "Value": run.approved_endpoint},
            {"Key": "sagecraft:on-approval:instance-type", "Value": "ml.m5.large"},
        ],
    )


def _wait(run: QuickstartRun, execution) -> dict:
    deadline = time.monotonic() + PIPELINE_SECONDS
    while time.monotonic() < deadline:
        described = execution.describe()
        if described["PipelineExecutionStatus"] not in ("Executing", "Stopping"):
            return described
        running = [f"{s['StepName']} {s['StepStatus']}" for s in execution.list_steps()[:2]]
        run.detail(f"execution {execution.arn.rsplit('/', 1)[1]}: " + ", ".join(running))
        time.sleep(1.0)
    raise RuntimeError(f"pipeline execution {execution.arn} did not end within {PIPELINE_SECONDS:.0f} s")


def _evaluation(run: QuickstartRun, job: str) -> dict:
    from sagemaker.s3 import S3Downloader

    described = run.sagemaker.sagemaker_client.describe_processing_job(ProcessingJobName=job)
    outputs = {o["OutputName"]: o["S3Output"]["S3Uri"] for o in described["ProcessingOutputConfig"]["Outputs"]}
    text = S3Downloader.read_file(
        outputs["evaluation"].rstrip("/") + "/evaluation.json", sagemaker_session=run.sagemaker
    )
    return json.loads(text)["binary_classification_metrics"]
