"""Worker processes of an endpoint: one per variant instance, each a model server on a loopback
port (the listening socket is bound here and inherited, so no port race), model unpacked in the
instance's own folder. Load failures become the endpoint's FailureReason."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import tarfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagecraft.executors import Runtime, RuntimeRegistry
from sagecraft.executors.serving.frames import bind_listener, release
from sagecraft.services.hosting.instances import instance_memory_mb
from sagecraft.storage.objects.base import BucketNotFound, ObjectNotFound, ObjectStore

READY_SECONDS = 120.0
WORKER_MODULE = "sagecraft.executors.serving.worker"
DEFAULT_MME_MEMORY_MB = 4096  # a multi-model cache's budget when the instance type is unknown


class DeployError(Exception):
    """The endpoint cannot serve: the message is its FailureReason."""


class ModelNotFound(DeployError):
    """A model archive (e.g. a multi-model endpoint's target) is not in the object store."""


@dataclass
class Worker:
    variant: str
    instance: int
    folder: Path
    argv: list[str]
    env: dict[str, str]
    stream: str  # the CloudWatch log stream: <variant>/i-<id>
    container: int = 0  # its place in a serial inference pipeline
    hostname: str = ""  # ContainerHostname (Direct invocation)
    port: int = 0
    frame_address: str = ""  # the Unix socket the gateway's invocations go to (frames.py)
    process: subprocess.Popen | None = None
    log_offset: int = 0
    restarts: int = 0

    @property
    def log_path(self) -> Path:
        return self.folder / "worker.log"

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1024)
        self.port = listener.getsockname()[1]
        release(self.frame_address)  # a restart: the previous process's socket file, if any
        frames, self.frame_address = bind_listener()
        fds = (listener.fileno(), frames.fileno())
        try:
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen([*self.argv, "--fd", str(fds[0]), "--frame-fd", str(fds[1])],
                                                env=self.env, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, pass_fds=fds, start_new_session=True)
        finally:
            listener.close()
            frames.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        release(self.frame_address)
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def ping(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            connection.request("GET", "/ping")
            ok = connection.getresponse().status == 200
            connection.close()
            return ok
        except OSError:
            return False

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(line for line in text.strip().splitlines()[-lines:])


@dataclass
class Variant:
    name: str
    weight: float
    spec: dict[str, Any] = field(default_factory=dict)  # the deployment's variant (to start more instances)
    workers: list[Worker] = field(default_factory=list)

    def instances(self) -> list[list[Worker]]:
        """The workers of each instance, in container order."""
        grouped: dict[int, list[Worker]] = {}
        for worker in self.workers:
            grouped.setdefault(worker.instance, []).append(worker)
        return [sorted(grouped[i], key=lambda w: w.container) for i in sorted(grouped)]


def containers_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """A deployed variant's containers (rows stored before pipelines had the fields flat)."""
    if spec.get("Containers"):
        return spec["Containers"]
    return [{"Image": spec["Image"], "ModelDataUrl": spec.get("ModelDataUrl"),
             "Environment": spec.get("Environment") or {}}]


@dataclass
class Fleet:
    endpoint_id: int
    variants: list[Variant]
    folder: Path
    deployment: dict[str, Any] = field(default_factory=dict)

    @property
    def workers(self) -> list[Worker]:
        return [w for v in self.variants for w in v.workers]

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class FleetBuilder:
    """Downloads what a deployment needs and starts its workers."""

    def __init__(self, objects: ObjectStore, runtimes: Callable[[], RuntimeRegistry], root: Path) -> None:
        self.objects = objects
        self.runtimes = runtimes
        self.root = root

    def build(self, endpoint_id: int, name: str, deployment: dict[str, Any], fresh: bool = True) -> Fleet:
        """``fresh``: no fleet of this endpoint runs in this process (left-overs of a previous one go)."""
        if fresh:
            shutil.rmtree(self.root / f"{name}-{endpoint_id}", ignore_errors=True)
        folder = self.root / f"{name}-{endpoint_id}" / uuid.uuid4().hex[:8]  # a fleet of its own (blue/green)
        fleet = Fleet(endpoint_id, [], folder, deployment)
        try:
            for spec in deployment["variants"]:
                variant = Variant(spec["VariantName"], spec["InitialVariantWeight"], spec)
                fleet.variants.append(variant)
                for index in range(spec["InitialInstanceCount"]):
                    self.start_instance(fleet, variant, index)
            for variant in fleet.variants:
                for worker in variant.workers:
                    self.wait_ready(worker)
        except Exception:
            fleet.stop()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return fleet

    def start_instance(self, fleet: Fleet, variant: Variant, index: int) -> list[Worker]:
        """Starts one instance's workers (one per container); the caller waits for them to be ready."""
        folder = fleet.folder / variant.name / str(index)
        shutil.rmtree(folder, ignore_errors=True)
        stream = f"{variant.name}/i-{uuid.uuid4().hex[:17]}"
        containers = containers_of(variant.spec)
        workers = [self._worker(variant.spec, container, index, position,
                                folder if len(containers) == 1 else folder / str(position), stream)
                   for position, container in enumerate(containers)]
        for worker in workers:
            variant.workers.append(worker)
            worker.start()
        return workers

    def wait_ready(self, worker: Worker) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if not worker.alive():
                raise DeployError(f"The primary container for production variant {worker.variant} did not pass the "
                                  f"ping health check: {worker.log_tail() or 'the model server exited'}. Check "
                                  "CloudWatch logs for this endpoint.")
            if worker.ping():
                return
            time.sleep(0.1)
        worker.stop()
        raise DeployError(f"The primary container for production variant {worker.variant} did not pass the ping "
                          f"health check within {int(READY_SECONDS)} s. Check CloudWatch logs for this endpoint.")

    def _worker(self, spec: dict[str, Any], container: dict[str, Any], index: int, position: int, folder: Path,
                stream: str) -> Worker:
        runtime = self.runtimes().resolve(container["Image"])
        model_dir, code_dir = folder / "model", folder / "code"
        model_dir.mkdir(parents=True)
        code_dir.mkdir()
        multi_model = container.get("Mode") == "MultiModel"
        if container.get("ModelDataUrl") and not multi_model:
            self._unpack(container["ModelDataUrl"], model_dir)
        environment = dict(container.get("Environment") or {})
        env = {**runtime.environment(), **environment, "SM_MODEL_DIR": str(model_dir)}
        program = environment.get("SAGEMAKER_PROGRAM")
        if multi_model:
            # The cache's budget: the container's or the server's SAGECRAFT_MME_MEMORY_MB, else the instance's
            # memory; SAGECRAFT_MME_MAX_MODELS optionally caps the count as well.
            budget = environment.get("SAGECRAFT_MME_MEMORY_MB") or os.environ.get("SAGECRAFT_MME_MEMORY_MB") \
                or instance_memory_mb(spec.get("InstanceType")) or DEFAULT_MME_MEMORY_MB
            env.update(SAGECRAFT_HANDLER="multi-model", SAGECRAFT_FRAMEWORK=runtime.framework or "",
                       SAGECRAFT_MME_MEMORY_MB=str(budget),
                       SAGECRAFT_MME_MAX_MODELS=environment.get("SAGECRAFT_MME_MAX_MODELS")
                       or os.environ.get("SAGECRAFT_MME_MAX_MODELS", ""))
        elif program:
            env.update(SAGECRAFT_HANDLER="framework", SAGECRAFT_CODE_DIR=str(self._code(environment, model_dir,
                                                                                       code_dir)),
                       SAGECRAFT_FRAMEWORK=runtime.framework or "")
        elif runtime.algorithm and runtime.framework == "xgboost":
            env["SAGECRAFT_HANDLER"] = "xgboost-builtin"
        else:
            raise DeployError(_no_handler(runtime))
        hostname = container.get("ContainerHostname") or f"container-{position + 1}"
        return Worker(spec["VariantName"], index, folder, [runtime.python, "-m", WORKER_MODULE], env, stream,
                      position, hostname)

    def _code(self, environment: dict[str, str], model_dir: Path, code_dir: Path) -> Path:
        submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "/opt/ml/model/code")
        if submit.startswith("s3://"):
            self._unpack(submit, code_dir)
            return code_dir
        if submit.startswith("/opt/ml/model"):
            return model_dir / submit[len("/opt/ml/model"):].lstrip("/")
        raise DeployError(f"SAGEMAKER_SUBMIT_DIRECTORY {submit!r} must be an s3:// archive or under /opt/ml/model.")

    def fetch_model(self, uri: str, target: Path) -> None:
        """A multi-model endpoint's target model, unpacked into ``target`` (atomically: a folder renamed)."""
        bucket, _, key = uri[len("s3://"):].partition("/")
        try:
            self.objects.head_object(bucket, key)
        except (ObjectNotFound, BucketNotFound):
            raise ModelNotFound(uri) from None
        staging = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}")
        staging.mkdir(parents=True)
        try:
            self._unpack(uri, staging)
            staging.rename(target)
        except OSError:  # another request unpacked it first
            shutil.rmtree(staging, ignore_errors=True)
            if not target.is_dir():
                raise

    def _unpack(self, uri: str, target: Path) -> None:
        bucket, _, key = uri[len("s3://"):].partition("/") if uri.startswith("s3://") else ("", "", "")
        if not bucket or not key:
            raise DeployError(f"Could not download {uri}: expected an s3://bucket/key URI.")
        archive = target.parent / f"{target.name}.tar.gz"
        try:
            _, chunks = self.objects.open_object(bucket, key)
            with open(archive, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
        except Exception as error:
            raise DeployError(f"Could not download the model data from {uri}: {type(error).__name__} "
                              f"{error}".strip()) from None
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="data")
        except (tarfile.TarError, OSError) as error:
            raise DeployError(f"Could not extract {uri} (a tar.gz archive is expected): {error}") from None
        finally:
            archive.unlink(missing_ok=True)


def _no_handler(runtime: Runtime) -> str:
    return (f"The image {runtime.image_uri!r} has no model server here: set SAGEMAKER_PROGRAM (an inference script "
            "with model_fn/input_fn/predict_fn/output_fn) for a framework image, or use the built-in XGBoost image.")
