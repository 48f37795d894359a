"""A transform job's instance before it starts: the model unpacked, the inference code, the input
objects (decompressed when Gzip), the worker's config, environment and WorkloadSpec; and after it
ends, the ``.out`` files uploaded. Data moves with the jobs capability's staging helpers."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sagecraft.executors.base import CONTAINER_ML_ROOT, JobKind, WorkloadSpec
from sagecraft.executors.capacity import effective_cpus
from sagecraft.executors.runtimes import Runtime
from sagecraft.services.jobs.staging import (
    Item,
    S3Uri,
    StagingError,
    download,
    extract_tarball,
    safe_join,
    select,
    upload_file,
)
from sagecraft.services.transform.models import TransformJob
from sagecraft.storage.objects.base import ObjectStore

WORKER_MODULE = "sagecraft.executors.transform.worker"
TRANSFORM_DIR = "transform"  # under /opt/ml: config.json, input/, output/, failure


@dataclass(frozen=True)
class Prepared:
    spec: WorkloadSpec
    items: list[Item]  # the input objects; item.relative is the file under transform/input
    gzipped: bool

    @property
    def files(self) -> list[str]:
        return [item.relative for item in self.items]


def stage_inputs(objects: ObjectStore, prepared: Prepared, instance_dir: Path, keep_going: Callable[[], bool]) -> None:
    """Download the inputs while the worker runs: it reads each file as it grows and knows it is whole
    once ``staged/<file>`` exists, so loading the model and transforming overlap the copy. Gzip
    inputs are decompressed aside and renamed into place (a growing file must be the plain data)."""
    work = instance_dir / TRANSFORM_DIR
    for item in prepared.items:
        if not keep_going():
            return
        target = safe_join(work / "input", item.relative)
        if prepared.gzipped:
            partial = safe_join(work / "staging", item.relative)
            download(objects, item.bucket, item.key, partial, gunzip=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, target)
        else:
            download(objects, item.bucket, item.key, target)
        marker = safe_join(work / "staged", item.relative)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()


def prepare(objects: ObjectStore, job: TransformJob, runtime: Runtime, instance_dir: Path) -> Prepared:
    shutil.rmtree(instance_dir, ignore_errors=True)
    work = instance_dir / TRANSFORM_DIR
    (work / "output").mkdir(parents=True)
    container = job.runtime["model"]
    model_dir, code_dir = instance_dir / "model", instance_dir / "code"
    model_dir.mkdir()
    if container.get("ModelDataUrl"):
        extract_tarball(objects, container["ModelDataUrl"], model_dir)
    environment = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
    handler = _handler_environment(objects, runtime, environment, code_dir)
    request = job.request
    transform_input = request["TransformInput"]
    s3 = transform_input["DataSource"]["S3DataSource"]
    gzipped = transform_input.get("CompressionType") == "Gzip"
    items = select(objects, S3Uri.parse(s3["S3Uri"]), s3["S3DataType"])
    files = [item.relative for item in items]
    for relative in files:
        safe_join(work / "input", relative)  # every name is a file name before anything runs
    output = request["TransformOutput"]
    config = {
        "files": files,
        "ContentType": transform_input.get("ContentType"),
        "Accept": output.get("Accept"),
        "SplitType": transform_input.get("SplitType") or "None",
        "AssembleWith": output.get("AssembleWith"),
        "BatchStrategy": request.get("BatchStrategy") or "MultiRecord",
        "MaxPayloadInMB": job.max_payload_mb,
        "MaxConcurrentTransforms": request.get("MaxConcurrentTransforms") or effective_cpus(job.instance_type),
        "DataProcessing": request.get("DataProcessing") or {},
    }
    (work / "config.json").write_text(json.dumps(config))
    env = {
        **runtime.environment(),
        **environment,
        **{str(k): str(v) for k, v in (request.get("Environment") or {}).items()},
        **handler,
        "SM_MODEL_DIR": f"{CONTAINER_ML_ROOT}/model",
        "SAGECRAFT_TRANSFORM_DIR": f"{CONTAINER_ML_ROOT}/{TRANSFORM_DIR}",
        # What SageMaker tells a container it runs a batch transform (the XGBoost container reads these).
        "SAGEMAKER_BATCH": "true",
        "SAGEMAKER_MAX_PAYLOAD_IN_MB": str(job.max_payload_mb),
        "SAGEMAKER_BATCH_STRATEGY": config["BatchStrategy"],
        "AWS_REGION": job.region,
        "AWS_DEFAULT_REGION": job.region,
    }
    spec = WorkloadSpec(
        kind=JobKind.PROCESSING,
        job_name=f"transform-{job.name}",
        instance_dir=instance_dir,
        argv=(runtime.python, "-m", WORKER_MODULE),
        environment=env,
        instance_type=job.instance_type,
        working_dir=CONTAINER_ML_ROOT,
    )
    return Prepared(spec, items, gzipped)


def _handler_environment(
    objects: ObjectStore, runtime: Runtime, environment: dict[str, str], code_dir: Path
) -> dict[str, str]:
    """Which serving handler loads the model, as the model servers choose it (see docs/hosting.md)."""
    program = environment.get("SAGEMAKER_PROGRAM")
    if program:
        submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "/opt/ml/model/code")
        if submit.startswith("s3://"):
            extract_tarball(objects, submit, code_dir)
            code = f"{CONTAINER_ML_ROOT}/code"
        elif submit.startswith("/opt/ml/model"):
            code = submit
        else:
            raise StagingError(
                f"SAGEMAKER_SUBMIT_DIRECTORY {submit!r} must be an s3:// archive or under /opt/ml/model."
            )
        return {
            "SAGECRAFT_HANDLER": "framework",
            "SAGECRAFT_CODE_DIR": code,
            "SAGECRAFT_FRAMEWORK": runtime.framework or "",
        }
    if runtime.algorithm and runtime.framework == "xgboost":
        return {"SAGECRAFT_HANDLER": "xgboost-builtin"}
    raise StagingError(
        f"The image {runtime.image_uri!r} has no model server here: set SAGEMAKER_PROGRAM (an "
        "inference script with model_fn/input_fn/predict_fn/output_fn) for a framework image, or "
        "use the built-in XGBoost image."
    )


def failure_reason(instance_dir: Path) -> str | None:
    try:
        text = (instance_dir / TRANSFORM_DIR / "failure").read_text(errors="replace").strip()
    except OSError:
        return None
    return text or None


def upload_outputs(objects: ObjectStore, job: TransformJob, instance_dir: Path, files: list[str]) -> None:
    output = job.request["TransformOutput"]
    destination = S3Uri.parse(output["S3OutputPath"])
    content_type = output.get("Accept") or "binary/octet-stream"
    for relative in files:
        upload_file(
            objects,
            safe_join(instance_dir / TRANSFORM_DIR / "output", f"{relative}.out"),
            destination.child(f"{relative}.out"),
            content_type,
        )
