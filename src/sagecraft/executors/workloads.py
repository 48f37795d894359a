"""From a job's request to the WorkloadSpec of each of its instances (what the jobs service calls).

The caller first stages inputs into each instance folder (channels under input/data/<name>, the
source tarball extracted into code/, processing inputs at their LocalPath); these functions write
the config files, resolve the command and build the environment, in the precedence the platform
gives them: the image's environment < thread counts < the request's Environment < what the service
adds (endpoint, credentials) < the toolkit's SM_* variables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sagecraft.executors import toolkit
from sagecraft.executors.base import JobKind, WorkloadSpec
from sagecraft.executors.capacity import effective_cpus
from sagecraft.executors.pyenvs import PythonEnvironments
from sagecraft.executors.runtimes import Runtime, processing_argv, training_argv


def training_spec(*, job_name: str, instance_dir: Path, runtime: Runtime, hyperparameters: Mapping[str, str],
                  input_data_config: Sequence[Mapping[str, Any]], instance_type: str, instance_count: int = 1,
                  instance_index: int = 0, environment: Mapping[str, str] | None = None,
                  service_environment: Mapping[str, str] | None = None, max_runtime_seconds: float | None = None,
                  network_isolation: bool = False, training_input_mode: str = "File", region: str | None = None,
                  job_arn: str | None = None, python_envs: PythonEnvironments | None = None,
                  log: Callable[[str], None] | None = None) -> WorkloadSpec:
    """One training instance. ``hyperparameters`` are the request's strings (sagemaker_* JSON-encoded).

    With ``python_envs``, a requirements.txt in code/ is installed into a cached venv (pip's output
    goes to ``log``) and the entry point runs on it, as the framework containers do.
    """
    hosts = toolkit.hosts_for(instance_count)
    channels = [toolkit.Channel.from_api(c, training_input_mode) for c in input_data_config]
    toolkit.prepare_training_instance(instance_dir, hyperparameters=hyperparameters, channels=channels,
                                      current_host=hosts[instance_index], hosts=hosts,
                                      instance_type=instance_type)
    code_dir = toolkit.host_path(instance_dir, toolkit.CODE_DIR)
    requirements = code_dir / "requirements.txt"
    program = toolkit.decode_hyperparameters(hyperparameters).get("sagemaker_program")
    if program and python_envs is not None and requirements.is_file():
        runtime = runtime.with_python(python_envs.for_requirements(runtime.python, requirements, log))
    cpus = effective_cpus(instance_type)
    sm = toolkit.training_environment(
        job_name=job_name, hyperparameters=hyperparameters, channels=channels, current_host=hosts[instance_index],
        hosts=hosts, instance_type=instance_type, num_cpus=cpus, framework_module=runtime.training_module,
        region=region)
    platform = {"TRAINING_JOB_ARN": job_arn} if job_arn else {}
    return WorkloadSpec(
        kind=JobKind.TRAINING, job_name=job_name, instance_dir=instance_dir,
        argv=tuple(training_argv(runtime, hyperparameters, code_dir)),
        environment=_layer(runtime, cpus, environment, service_environment, {**platform, **sm}),
        instance_index=instance_index, hosts=tuple(hosts), instance_type=instance_type,
        max_runtime_seconds=max_runtime_seconds, network_isolation=network_isolation,
        working_dir=toolkit.CODE_DIR)


def processing_spec(*, job_name: str, instance_dir: Path, runtime: Runtime, job: Mapping[str, Any],
                    instance_index: int = 0, service_environment: Mapping[str, str] | None = None,
                    job_arn: str | None = None) -> WorkloadSpec:
    """One processing instance. ``job`` is the CreateProcessingJob request (it becomes
    processingjobconfig.json, with ProcessingJobArn added)."""
    cluster = (job.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    instance_type = cluster.get("InstanceType", "ml.m5.large")
    hosts = toolkit.hosts_for(int(cluster.get("InstanceCount") or 1))
    description = {**job, "ProcessingJobArn": job_arn} if job_arn else dict(job)
    toolkit.prepare_processing_instance(instance_dir, job=description, current_host=hosts[instance_index],
                                        hosts=hosts)
    app = job.get("AppSpecification") or {}
    stopping = job.get("StoppingCondition") or {}
    network = job.get("NetworkConfig") or {}
    cpus = effective_cpus(instance_type)
    return WorkloadSpec(
        kind=JobKind.PROCESSING, job_name=job_name, instance_dir=instance_dir,
        argv=tuple(processing_argv(runtime, app.get("ContainerEntrypoint"), app.get("ContainerArguments"))),
        environment=_layer(runtime, cpus, job.get("Environment"), service_environment, {}),
        instance_index=instance_index, hosts=tuple(hosts), instance_type=instance_type,
        max_runtime_seconds=stopping.get("MaxRuntimeInSeconds"),
        network_isolation=bool(network.get("EnableNetworkIsolation")), working_dir="/")


def _layer(runtime: Runtime, cpus: int, *layers: Mapping[str, str] | None) -> dict[str, str]:
    env = {**runtime.environment(), **toolkit.thread_environment(cpus)}
    for layer in layers:
        env.update({str(k): str(v) for k, v in (layer or {}).items()})
    return env
