"""A transform job's instance before it starts: the model unpacked, the inference code, the input
objects (linked in place, or copied), the worker's config, environment and WorkloadSpec; and after it
ends, the ``.out`` files uploaded. Data moves with the jobs capability's staging helpers."""

from __future__ import annotations

import json
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
from sagecraft.storage.objects.base import BucketNotFound, ObjectNotFound, ObjectStore

WORKER_MODULE = "sagecraft.executors.transform.worker"
TRANSFORM_DIR = "transform"  # under /opt/ml: config.json, input/, output/, failure


@dataclass(frozen=True)
class Prepared:
    spec: WorkloadSpec
    items: list[Item]  # the input objects; item.relative is the file under transform/input
    linked: dict[str, list[str]]  # the inputs read in place: their parts under transform/

    @property
    def files(self) -> list[str]:
        return [item.relative for item in self.items]


def link_inputs(objects: ObjectStore, items: list[Item], work: Path) -> dict[str, list[str]]:
    """Hard links to the input objects' bytes (``parts/<file>/00000``…) where the object store can lend
    them (the filesystem store): the worker reads them in place, nothing is copied. Returns the parts
    of each linked file, relative to ``work``; files it could not link are left to ``stage_inputs``."""
    link = getattr(objects, "link_object", None)
    linked: dict[str, list[str]] = {}
    if link is None:
        return linked
    for item in items:
        folder = safe_join(work / "parts", item.relative)
        try:
            parts = link(item.bucket, item.key, folder)
        except (ObjectNotFound, BucketNotFound):
            raise StagingError(f"The S3 object s3://{item.bucket}/{item.key} does not exist.") from None
        except (OSError, AttributeError):  # another filesystem, encrypted at rest, a store that cannot lend: copied
            shutil.rmtree(folder, ignore_errors=True)
            continue
        linked[item.relative] = [str(part.relative_to(work)) for part in parts]
    return linked


def stage_inputs(objects: ObjectStore, prepared: Prepared, instance_dir: Path, keep_going: Callable[[], bool]) -> None:
    """Copy the inputs that could not be linked while the worker runs: it reads each file as it grows
    and knows it is whole once ``staged/<file>`` exists, so loading the model and transforming overlap
    the copy. Gzip data is copied as it is (the worker decompresses while reading)."""
    work = instance_dir / TRANSFORM_DIR
    for item in prepared.items:
        if item.relative in prepared.linked:
            continue
        if not keep_going():
            return
        download(objects, item.bucket, item.key, safe_join(work / "input", item.relative))
        marker = safe_join(work / "staged", item.relative)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()


def prepare(
    objects: ObjectStore, job: TransformJob, runtime: Runtime, instance_dir: Path, resolve: Callable[[str], Runtime]
) -> Prepared:
    """``runtime`` runs the worker (the first container's); ``resolve`` maps a later container's image."""
    shutil.rmtree(instance_dir, ignore_errors=True)
    work = instance_dir / TRANSFORM_DIR
    (work / "output").mkdir(parents=True)
    container = job.runtime["model"]
    model_dir, code_dir = instance_dir / "model", instance_dir / "code"
    model_dir.mkdir()
    if container.get("ModelDataUrl"):
        extract_tarball(objects, container["ModelDataUrl"], model_dir)
    environment = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
    handler = _handler_environment(objects, runtime, environment, code_dir, f"{CONTAINER_ML_ROOT}/code")
    pipeline = _later_containers(objects, job, resolve, instance_dir)
    request = job.request
    transform_input = request["TransformInput"]
    s3 = transform_input["DataSource"]["S3DataSource"]
    items = select(objects, S3Uri.parse(s3["S3Uri"]), s3["S3DataType"])
    files = [item.relative for item in items]
    for relative in files:
        safe_join(work / "input", relative)  # every name is a file name before anything runs
    linked = link_inputs(objects, items, work)
    output = request["TransformOutput"]
    config = {
        "files": files,
        "linked": linked,
        "Gzip": transform_input.get("CompressionType") == "Gzip",
        "ContentType": transform_input.get("ContentType"),
        "Accept": output.get("Accept"),
        "SplitType": transform_input.get("SplitType") or "None",
        "AssembleWith": output.get("AssembleWith"),
        "BatchStrategy": request.get("BatchStrategy") or "MultiRecord",
        "MaxPayloadInMB": job.max_payload_mb,
        "MaxConcurrentTransforms": request.get("MaxConcurrentTransforms") or effective_cpus(job.instance_type),
        "InstanceCount": int((request.get("TransformResources") or {}).get("InstanceCount") or 1),
        "DataProcessing": request.get("DataProcessing") or {},
        # A serial inference pipeline: what the first container answers goes through these, in order.
        "FirstAccept": environment.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"),
        "Pipeline": pipeline,
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
    return Prepared(spec, items, linked)


def _later_containers(
    objects: ObjectStore, job: TransformJob, resolve: Callable[[str], Runtime], instance_dir: Path
) -> list[dict]:
    """Containers 2…N of a serial pipeline, unpacked in ``model-<n>`` / ``code-<n>``: the worker loads
    each one's handler in the same process (they share the first container's runtime)."""
    stages: list[dict] = []
    for number, container in enumerate(job.runtime.get("pipeline") or [], start=2):
        model_dir, code_dir = instance_dir / f"model-{number}", instance_dir / f"code-{number}"
        model_dir.mkdir()
        if container.get("ModelDataUrl"):
            extract_tarball(objects, container["ModelDataUrl"], model_dir)
        environment = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
        ml_code = f"{CONTAINER_ML_ROOT}/code-{number}"
        runtime = resolve(container["Image"])
        handler = _handler_environment(objects, runtime, environment, code_dir, ml_code, f"model-{number}")
        stages.append(
            {
                "handler": handler["SAGECRAFT_HANDLER"],
                "model_dir": f"{CONTAINER_ML_ROOT}/model-{number}",
                "program": environment.get("SAGEMAKER_PROGRAM"),
                "code_dir": handler.get("SAGECRAFT_CODE_DIR"),
                "framework": handler.get("SAGECRAFT_FRAMEWORK"),
                "accept": environment.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"),
            }
        )
    return stages


def _handler_environment(
    objects: ObjectStore,
    runtime: Runtime,
    environment: dict[str, str],
    code_dir: Path,
    ml_code: str,
    model_folder: str = "model",
) -> dict[str, str]:
    """Which serving handler loads the model, as the model servers choose it (see docs/hosting.md)."""
    program = environment.get("SAGEMAKER_PROGRAM")
    if program:
        submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "/opt/ml/model/code")
        if submit.startswith("s3://"):
            extract_tarball(objects, submit, code_dir)
            code = ml_code
        elif submit.startswith("/opt/ml/model"):
            code = f"{CONTAINER_ML_ROOT}/{model_folder}" + submit[len("/opt/ml/model") :]
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
            kms_key_id=output.get("KmsKeyId") or None,  # outputs written SSE-KMS with it
        )
