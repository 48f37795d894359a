"""A job's instances before they start: folders, staged inputs, environment, WorkloadSpecs."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

from sagecraft.core.context import Principal
from sagecraft.executors import toolkit
from sagecraft.executors.base import WorkloadSpec
from sagecraft.executors.runtimes import Runtime
from sagecraft.executors.workloads import processing_spec, training_spec
from sagecraft.services.jobs.models import Job, JobKind
from sagecraft.services.jobs.platform import Platform
from sagecraft.services.jobs.staging import extract_tarball, stage
from sagecraft.services.jobs.validation import DEFAULT_CHECKPOINTS

SESSION_NAME = "SageMaker"
MIN_CREDENTIAL_SECONDS, MAX_CREDENTIAL_SECONDS = 3600, 43200


def instance_dirs(root: Path, count: int) -> list[Path]:
    return [root / host for host in toolkit.hosts_for(count)]


def checkpoint_folder(job: Job, instance_dir: Path) -> Path:
    local = (job.request.get("CheckpointConfig") or {}).get("LocalPath") or DEFAULT_CHECKPOINTS
    return toolkit.host_path(instance_dir, local)


def service_environment(platform: Platform, job: Job) -> dict[str, str]:
    """The region, and unless the job is network-isolated, the endpoint and temporary credentials
    of its execution role, so that the job's own boto3 / SDK calls reach this server."""
    env = {"AWS_REGION": job.region, "AWS_DEFAULT_REGION": job.region}
    if job.network_isolation:
        return env
    seconds = int(job.stopping_condition.get("MaxRuntimeInSeconds") or 86400) + 900
    service = Principal(access_key_id="", arn="sagemaker.amazonaws.com", user_id="sagemaker.amazonaws.com",
                        account_id=job.account_id)
    credentials = platform.sts.assume_role(
        service, job.request["RoleArn"], SESSION_NAME,
        duration_seconds=max(MIN_CREDENTIAL_SECONDS, min(MAX_CREDENTIAL_SECONDS, seconds)))
    env.update({
        "AWS_ENDPOINT_URL": platform.endpoint_url,
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token,
    })
    if platform.ca_bundle:
        env["AWS_CA_BUNDLE"] = platform.ca_bundle
    return env


def prepare(platform: Platform, job: Job, runtime: Runtime, root: Path, *, max_runtime: float | None,
            pip_log: Callable[[str], None]) -> list[WorkloadSpec]:
    """Fresh instance folders under ``root`` with their inputs staged, and one spec per instance."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    environment = service_environment(platform, job)
    dirs = instance_dirs(root, job.instance_count)
    if job.kind is JobKind.TRAINING:
        return [_training(platform, job, runtime, d, i, environment, max_runtime, pip_log) for i, d in enumerate(dirs)]
    return [_processing(platform, job, runtime, d, i, environment, max_runtime) for i, d in enumerate(dirs)]


def _training(platform: Platform, job: Job, runtime: Runtime, instance_dir: Path, index: int,
              environment: dict[str, str], max_runtime: float | None, pip_log: Callable[[str], None]) -> WorkloadSpec:
    request = job.request
    count = job.instance_count
    for channel in request.get("InputDataConfig") or []:
        s3 = channel["DataSource"]["S3DataSource"]
        stage(platform.objects, s3["S3Uri"], toolkit.host_path(instance_dir, f"{toolkit.INPUT_DATA_DIR}/"
                                                                             f"{channel['ChannelName']}"),
              data_type=s3["S3DataType"], distribution=s3.get("S3DataDistributionType") or "FullyReplicated",
              gunzip=channel.get("CompressionType") == "Gzip", index=index, count=count)
    hyperparameters = request.get("HyperParameters") or {}
    submit = toolkit.decode_hyperparameters(hyperparameters).get("sagemaker_submit_directory")
    if submit:
        extract_tarball(platform.objects, str(submit), toolkit.host_path(instance_dir, toolkit.CODE_DIR))
    spec_config = request["AlgorithmSpecification"]
    spec = training_spec(
        job_name=job.name, instance_dir=instance_dir, runtime=runtime, hyperparameters=hyperparameters,
        input_data_config=request.get("InputDataConfig") or [], instance_type=job.instance_type,
        instance_count=count, instance_index=index, environment=request.get("Environment"),
        service_environment=environment, max_runtime_seconds=max_runtime,
        network_isolation=job.network_isolation, training_input_mode=spec_config.get("TrainingInputMode") or "File",
        region=job.region, job_arn=job.arn, python_envs=platform.python_envs, log=pip_log)
    entrypoint = spec_config.get("ContainerEntrypoint")
    if entrypoint:  # the request overrides the image's entry point, as a container's ENTRYPOINT
        argv = runtime.resolve_argv0([*entrypoint, *(spec_config.get("ContainerArguments") or [])])
        spec = dataclasses.replace(spec, argv=tuple(argv))
    return spec


def _processing(platform: Platform, job: Job, runtime: Runtime, instance_dir: Path, index: int,
                environment: dict[str, str], max_runtime: float | None) -> WorkloadSpec:
    for item in job.request.get("ProcessingInputs") or []:
        s3 = item["S3Input"]
        stage(platform.objects, s3["S3Uri"], toolkit.host_path(instance_dir, s3["LocalPath"]),
              data_type=s3["S3DataType"], distribution=s3.get("S3DataDistributionType") or "FullyReplicated",
              gunzip=s3.get("S3CompressionType") == "Gzip", index=index, count=job.instance_count)
    spec = processing_spec(job_name=job.name, instance_dir=instance_dir, runtime=runtime, job=job.request,
                           instance_index=index, service_environment=environment, job_arn=job.arn)
    return dataclasses.replace(spec, max_runtime_seconds=max_runtime)
