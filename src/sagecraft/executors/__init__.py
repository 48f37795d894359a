"""Executors run job instances (workloads): L2, below the jobs service. See base.py for the protocol.

    executor = LocalExecutor(LocalExecutorConfig.from_env(home))
    runtime = RuntimeRegistry.load(home).resolve(image_uri)
    spec = training_spec(job_name=…, instance_dir=…, runtime=runtime, hyperparameters=…, …)
    handle = executor.start(spec, reservation)       # reservation = executor.reserve(job, count); .wait()
    lines, offset = handle.read_log(offset)          # tail into CloudWatch Logs
    status = handle.wait(timeout)                    # or poll(); stop(grace); attach(handle.id) after a restart
"""

from sagecraft.executors.base import (
    Executor,
    ExecutorError,
    ExecutorUnavailable,
    JobKind,
    LogLine,
    Outcome,
    Reservation,
    UnknownWorkload,
    WorkloadHandle,
    WorkloadSpec,
    WorkloadState,
    WorkloadStatus,
    read_log,
)
from sagecraft.executors.capacity import SlotPool, SlotReservation, effective_cpus, instance_resources
from sagecraft.executors.local import LocalExecutor, LocalExecutorConfig
from sagecraft.executors.pyenvs import PythonEnvironments, RequirementsError
from sagecraft.executors.runtimes import Runtime, RuntimeRegistry, UnknownImage
from sagecraft.executors.workloads import processing_spec, training_spec

__all__ = [
    "Executor", "ExecutorError", "ExecutorUnavailable", "JobKind", "LocalExecutor", "LocalExecutorConfig",
    "LogLine", "Outcome", "PythonEnvironments", "RequirementsError", "Reservation", "Runtime",
    "RuntimeRegistry", "SlotPool", "SlotReservation", "UnknownImage", "UnknownWorkload", "WorkloadHandle",
    "WorkloadSpec", "WorkloadState", "WorkloadStatus", "effective_cpus", "instance_resources",
    "processing_spec", "read_log", "training_spec",
]
