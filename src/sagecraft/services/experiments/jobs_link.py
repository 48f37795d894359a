"""Training and processing jobs as trial components, as SageMaker records them.

Every job gets a component ``<job>-aws-training-job`` / ``-aws-processing-job`` whose Source is the
job's ARN, made when the job is created (the jobs service's change listener). With an
ExperimentConfig the component joins ``TrialName`` (the trial, and the experiment, are created when
missing); a Run's job (``RunName``) joins the run's trial that way too, and the SDK's ``load_run``
inside the job finds the run from the job's own ExperimentConfig. Status, times, hyperparameters,
artifacts and final metrics are read from the job whenever the component is read (``mirror``)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sagecraft.core.errors import AwsError, ValidationException
from sagecraft.services.experiments.components import TrialComponentsService
from sagecraft.services.experiments.models import JOB_SOURCE_TYPE, JOB_SUFFIX, TrialComponent, experiments_arn
from sagecraft.services.experiments.service import ExperimentsService
from sagecraft.services.jobs.models import Job, JobKind
from sagecraft.services.jobs.service import JobsService
from sagecraft.services.lineage.service import LineageService

log = logging.getLogger(__name__)


class JobComponents:
    def __init__(
        self,
        jobs: JobsService,
        experiments: ExperimentsService,
        components: TrialComponentsService,
        lineage: LineageService,
    ) -> None:
        self.jobs = jobs
        self.experiments = experiments
        self.components = components
        self.lineage = lineage

    def job_changed(self, job_id: int) -> None:
        """The jobs service's listener: a new job gets its component (later calls change nothing)."""
        try:
            job = self.jobs.get_by_id(job_id)
            if job is not None:
                self._record(job)
        except Exception:  # the job is created whatever happens here; say why its component is missing
            log.exception("could not record job %s as a trial component", job_id)

    def _record(self, job: Job) -> None:
        name = f"{job.name}{JOB_SUFFIX[job.kind.value]}"
        config = job.request.get("ExperimentConfig") or {}
        request = {"TrialComponentName": name}
        if config.get("TrialComponentDisplayName"):
            request["DisplayName"] = config["TrialComponentDisplayName"]
        try:
            self.components.create(
                job.account_id,
                job.region,
                request,
                source={"SourceArn": job.arn, "SourceType": JOB_SOURCE_TYPE[job.kind.value]},
            )
        except ValidationException:
            return  # already recorded at creation
        self._link_data(job, experiments_arn("component", job.region, job.account_id, name))
        self._join_trial(job, name, config)

    def _link_data(self, job: Job, component_arn: str) -> None:
        """Lineage: the job's S3 inputs contributed to its component, which produced its outputs."""
        for uri, artifact_type, produced in _job_data(job):
            self.lineage.link_data(job.account_id, job.region, uri, artifact_type, component_arn, produced=produced)

    def _join_trial(self, job: Job, name: str, config: dict[str, Any]) -> None:
        experiment, trial = config.get("ExperimentName"), config.get("TrialName")
        if not experiment and not trial:
            return
        trial = trial or name  # SageMaker makes a trial for a job given only an experiment
        try:
            self.experiments.trial(job.account_id, job.region, trial)
        except AwsError:
            if not experiment:
                log.warning("job %s names trial %s, which does not exist", job.name, trial)
                return
            self._ensure(
                lambda: self.experiments.create_experiment(job.account_id, job.region, {"ExperimentName": experiment})
            )
            self._ensure(
                lambda: self.experiments.create_trial(
                    job.account_id, job.region, {"TrialName": trial, "ExperimentName": experiment}
                )
            )
        self.experiments.associate(job.account_id, job.region, name, trial)

    @staticmethod
    def _ensure(create: Any) -> None:
        try:
            create()
        except ValidationException as error:  # made meanwhile by someone else
            if "already exists" not in error.message:
                raise

    def mirror(self, component: TrialComponent) -> None:
        """Fill a job-made component from its job as it is now (a no-op for other components)."""
        if component.source_type not in JOB_SOURCE_TYPE.values():
            return
        try:
            job = self.jobs.find_by_arn(component.source_arn or "")
        except AwsError:
            return  # the job is gone: the component keeps what was stored
        component.status = {
            "PrimaryStatus": job.status.value,
            **({"Message": job.failure_reason} if job.failure_reason else {}),
        }
        component.start_time = job.started_at
        component.end_time = job.ended_at
        component.parameters = {**_job_parameters(job), **component.parameters}
        inputs, outputs = _job_artifacts(job)
        component.input_artifacts = {**inputs, **component.input_artifacts}
        component.output_artifacts = {**outputs, **component.output_artifacts}
        logged = {m["MetricName"] for m in component.metrics}
        component.metrics += [_final_metric(job, m) for m in job.final_metrics if m["MetricName"] not in logged]


def _number_or_text(value: str) -> dict[str, Any]:
    try:
        return {"NumberValue": float(value)}
    except (TypeError, ValueError):
        return {"StringValue": str(value)}


def _job_parameters(job: Job) -> dict[str, dict[str, Any]]:
    request = job.request
    if job.kind is JobKind.TRAINING:
        out = {k: _number_or_text(v) for k, v in (request.get("HyperParameters") or {}).items()}
        resources = request.get("ResourceConfig") or {}
        image = (request.get("AlgorithmSpecification") or {}).get("TrainingImage")
    else:
        out = {}
        resources = (request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
        image = (request.get("AppSpecification") or {}).get("ImageUri")
    for key in ("InstanceType", "InstanceCount", "VolumeSizeInGB"):
        if resources.get(key) is not None:
            out[f"SageMaker.{key}"] = _number_or_text(resources[key])
    if image:
        out["SageMaker.ImageUri"] = {"StringValue": image}
    return out


def _job_artifacts(job: Job) -> tuple[dict[str, dict], dict[str, dict]]:
    request = job.request
    if job.kind is JobKind.TRAINING:
        inputs = {
            c["ChannelName"]: {"Value": c["DataSource"]["S3DataSource"]["S3Uri"]}
            for c in request.get("InputDataConfig") or []
            if "S3DataSource" in c.get("DataSource", {})
        }
        outputs = {"SageMaker.ModelArtifact": {"Value": job.model_artifacts}} if job.model_artifacts else {}
        return inputs, outputs
    inputs = {
        i["InputName"]: {"Value": i["S3Input"]["S3Uri"]}
        for i in request.get("ProcessingInputs") or []
        if "S3Input" in i
    }
    outputs = {
        o["OutputName"]: {"Value": o["S3Output"]["S3Uri"]}
        for o in (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        if "S3Output" in o
    }
    return inputs, outputs


def _job_data(job: Job) -> list[tuple[str, str, bool]]:
    """(S3 URI, artifact type, produced?) of what a job reads and writes, known from its request."""
    request = job.request
    if job.kind is JobKind.TRAINING:
        found = [
            (c["DataSource"]["S3DataSource"]["S3Uri"], "DataSet", False)
            for c in request.get("InputDataConfig") or []
            if "S3DataSource" in c.get("DataSource", {})
        ]
        output = request["OutputDataConfig"]["S3OutputPath"].rstrip("/")
        return [*found, (f"{output}/{job.name}/output/model.tar.gz", "Model", True)]
    found = [(i["S3Input"]["S3Uri"], "DataSet", False) for i in request.get("ProcessingInputs") or [] if "S3Input" in i]
    outputs = (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    return found + [(o["S3Output"]["S3Uri"], "DataSet", True) for o in outputs if "S3Output" in o]


def _final_metric(job: Job, metric: dict[str, Any]) -> dict[str, Any]:
    value = float(metric["Value"])
    stamp = metric.get("Timestamp")
    when = dt.datetime.fromtimestamp(stamp, dt.timezone.utc) if isinstance(stamp, (int, float)) else job.ended_at
    summary = {
        "MetricName": metric["MetricName"],
        "SourceArn": job.arn,
        "Max": value,
        "Min": value,
        "Last": value,
        "Count": 1,
        "Avg": value,
        "StdDev": 0.0,
    }
    return {**summary, "TimeStamp": when} if when else summary
