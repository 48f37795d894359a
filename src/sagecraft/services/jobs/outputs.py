"""After the instances exit: what is uploaded where, and why a job failed.

Training: ``/opt/ml/model`` → ``<S3OutputPath>/<job>/output/model.tar.gz`` (or the files themselves
under ``…/output/model/`` with CompressionType NONE), ``/opt/ml/output/data`` → ``…/output.tar.gz``.
Processing: each output's LocalPath → its S3Uri. Several instances' folders are merged (the first
instance wins a clash).
"""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path
from typing import Any

from sagecraft.executors import toolkit
from sagecraft.executors.base import Outcome, WorkloadHandle, WorkloadStatus
from sagecraft.services.jobs.models import Job, JobKind, JobStatus, Secondary
from sagecraft.services.jobs.staging import S3Uri, files_under, tar_folders, upload_file, upload_folder
from sagecraft.storage.objects.base import ObjectStore

MAX_REASON = 1024  # FailureReason's length limit
MAX_WAIT_REASON = "Training job exceeded MaxWaitTimeInSeconds before it completed."
TAIL_LINES = 20


def model_artifacts_uri(job: Job) -> str:
    output = job.request["OutputDataConfig"]
    base = S3Uri.parse(output["S3OutputPath"]).child(job.name, "output")
    if (output.get("CompressionType") or "GZIP") == "NONE":
        return str(base.child("model")) + "/"
    return str(base.child("model.tar.gz"))


def upload_training(store: ObjectStore, job: Job, instance_dirs: list[Path]) -> None:
    output = job.request["OutputDataConfig"]
    base = S3Uri.parse(output["S3OutputPath"]).child(job.name, "output")
    models = [toolkit.host_path(d, toolkit.MODEL_DIR) for d in instance_dirs]
    data = [toolkit.host_path(d, toolkit.OUTPUT_DATA_DIR) for d in instance_dirs]
    kms_key_id = output.get("KmsKeyId") or None  # artifacts are written SSE-KMS with it
    if (output.get("CompressionType") or "GZIP") == "NONE":
        for folder in reversed(models):  # the first instance's files are written last and win
            upload_folder(store, folder, base.child("model"), kms_key_id)
    else:
        _upload_tar(store, models, base.child("model.tar.gz"), kms_key_id)
    if any(files_under(folder) for folder in data):
        _upload_tar(store, data, base.child("output.tar.gz"), kms_key_id)


def upload_processing(store: ObjectStore, job: Job, instance_dirs: list[Path]) -> None:
    config = job.request.get("ProcessingOutputConfig") or {}
    for output in config.get("Outputs") or []:
        s3 = output["S3Output"]
        for instance_dir in reversed(instance_dirs):
            upload_folder(store, toolkit.host_path(instance_dir, s3["LocalPath"]), S3Uri.parse(s3["S3Uri"]),
                          config.get("KmsKeyId") or None)


def _upload_tar(store: ObjectStore, folders: list[Path], uri: S3Uri, kms_key_id: str | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="sagecraft-upload-") as scratch:
        archive = Path(scratch) / uri.key.rsplit("/", 1)[-1]
        tar_folders(folders, archive)
        upload_file(store, archive, uri, content_type="application/x-tar", kms_key_id=kms_key_id)


# ---- how it ended ---------------------------------------------------------------------------------


def conclusion(job: Job, statuses: list[WorkloadStatus], ending: Secondary | None, instance_dirs: list[Path],
               handles: list[WorkloadHandle]) -> tuple[JobStatus, Secondary, dict[str, Any]]:
    """The terminal state the instances' outcomes mean, and the fields that explain it.

    ``ending`` is why the runner ended the instances itself, if it did (a stop, the spot wait limit).
    """
    outcomes = {s.outcome for s in statuses}
    fields: dict[str, Any] = {}
    if ending is Secondary.MAX_WAIT_TIME_EXCEEDED:
        status, secondary = JobStatus.STOPPED, Secondary.MAX_WAIT_TIME_EXCEEDED
        fields["failure_reason"] = MAX_WAIT_REASON
    elif job.status is JobStatus.STOPPING:
        status, secondary = JobStatus.STOPPED, Secondary.STOPPED
    elif outcomes & {Outcome.FAILED, Outcome.ERROR, Outcome.LOST}:
        status, secondary = JobStatus.FAILED, Secondary.FAILED
        fields["failure_reason"] = failure_reason(job, instance_dirs, handles, statuses,
                                                  list(job.runtime.get("command") or []))
    elif Outcome.MAX_RUNTIME in outcomes:  # SageMaker stops such a job (status Stopped)
        status, secondary = JobStatus.STOPPED, Secondary.MAX_RUNTIME_EXCEEDED
        limit = job.stopping_condition.get("MaxRuntimeInSeconds")
        fields["failure_reason"] = f"MaxRuntimeExceeded: the job ran longer than MaxRuntimeInSeconds ({limit} s)."
    elif outcomes == {Outcome.COMPLETED}:
        status, secondary = JobStatus.COMPLETED, Secondary.COMPLETED
    else:  # ended by a stop nobody asked us for
        status, secondary = JobStatus.STOPPED, Secondary.STOPPED
    if job.kind is JobKind.PROCESSING:
        fields["exit_message"] = exit_message(instance_dirs, handles, status is JobStatus.FAILED)
    return status, secondary, fields


# ---- failure -------------------------------------------------------------------------------------


def failure_file(instance_dirs: list[Path]) -> str | None:
    """What the job wrote to /opt/ml/output/failure, the container contract's way of saying why."""
    for instance_dir in instance_dirs:
        try:
            text = toolkit.host_path(instance_dir, toolkit.FAILURE_FILE).read_text(errors="replace").strip()
        except OSError:
            continue
        if text:
            return text
    return None


def failure_reason(job: Job, instance_dirs: list[Path], handles: list[WorkloadHandle],
                   statuses: list[WorkloadStatus], command: list[str]) -> str:
    written = failure_file(instance_dirs)
    if written:
        return clip(written)
    for handle, status in zip(handles, statuses, strict=False):
        if status.outcome in (Outcome.ERROR, Outcome.LOST):
            return clip(f"InternalServerError: {status.message}")
        if status.outcome is Outcome.FAILED:
            tail = "\n".join(handle.stderr_tail(TAIL_LINES)).strip()
            return _algorithm_error(job, status, tail, command)
    return "InternalServerError: the job's instances ended without saying why."


def _algorithm_error(job: Job, status: WorkloadStatus, tail: str, command: list[str]) -> str:
    code = status.exit_code if status.exit_code is not None else -1
    if job.kind is JobKind.PROCESSING:
        return clip(f"AlgorithmError: {tail or status.message}, exit code: {code}")
    shown = " ".join(shlex.quote(a) for a in command)
    head = f"AlgorithmError: ExecuteUserScriptError:\nExitCode {code}\nErrorMessage \""
    foot = f"\"\nCommand \"{shown}\", exit code: {code}"
    room = max(0, MAX_REASON - len(head) - len(foot))
    message = tail[-room:] if room else ""
    return clip(head + message + foot)


def exit_message(instance_dirs: list[Path], handles: list[WorkloadHandle], failed: bool) -> str | None:
    """DescribeProcessingJob.ExitMessage: /opt/ml/output/message if the job wrote one, else the end of
    stderr when it failed."""
    for instance_dir in instance_dirs:
        try:
            text = toolkit.host_path(instance_dir, "/opt/ml/output/message").read_text(errors="replace").strip()
        except OSError:
            continue
        if text:
            return text[-MAX_REASON:]
    if failed:
        for handle in handles:
            tail = "\n".join(handle.stderr_tail(TAIL_LINES)).strip()
            if tail:
                return tail[-MAX_REASON:]
    return None


def clip(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."
