"""One batch transform instance: ``python -m sagecraft.executors.transform.worker``.

Loads the model with the model servers' own code (executors/serving: the built-in XGBoost handler
or the framework ``inference.py`` contract, chosen by the same environment), then streams each
input file under ``$SAGECRAFT_TRANSFORM_DIR/input`` through it in mini-batches, in-process (no HTTP),
up to MaxConcurrentTransforms at once, writing ``output/<file>.out`` in input order. A failure
writes its reason to ``$SAGECRAFT_TRANSFORM_DIR/failure`` and exits 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sagecraft.executors.serving import codecs
from sagecraft.executors.serving.handlers import FrameworkHandler, Handler, XGBoostBuiltin
from sagecraft.executors.serving.worker import load_handler
from sagecraft.executors.transform import batches, fast, records
from sagecraft.executors.transform.filters import Step, is_identity, parse_path

CONFIG, FAILURE = "config.json", "failure"
STAGING_TIMEOUT = 3600


class TransformFailed(Exception):
    """The job fails with this message (its FailureReason)."""


class _ContainerError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _stage_handler(stage: dict[str, Any]) -> tuple[Handler, str | None]:
    """A later container of a serial pipeline, loaded as the model servers load it."""
    model_dir = Path(stage["model_dir"])
    if stage["handler"] == "framework":
        program = Path(stage["code_dir"]) / stage["program"]
        if not program.exists():
            raise FileNotFoundError(f"The inference script {stage['program']!r} is not in the source directory.")
        return FrameworkHandler(model_dir, program, stage.get("framework") or None), stage.get("accept")
    return XGBoostBuiltin(model_dir), stage.get("accept")


def _path(expression: str | None) -> tuple[Step, ...] | None:
    return None if is_identity(expression) else parse_path(expression or "$")


class Transformer:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.content_type = config.get("ContentType")
        self.accept = config.get("Accept")
        self.kind = records.kind_of(self.content_type)
        self.accept_kind = records.kind_of(self.accept or self.content_type)
        processing = config.get("DataProcessing") or {}
        self.input_filter = _path(processing.get("InputFilter"))
        self.output_filter = _path(processing.get("OutputFilter"))
        self.join = processing.get("JoinSource") == "Input"
        if (self.input_filter or self.join) and self.kind == "other":
            raise TransformFailed(
                f"ClientError: InputFilter and JoinSource need text/csv or JSON input, not {self.content_type}."
            )
        self.handler = load_handler()
        self.stages = [_stage_handler(stage) for stage in config.get("Pipeline") or []]
        self.first_accept = config.get("FirstAccept")
        self.fast = None if self.stages else fast.csv_predictor(self.handler, self.content_type, self.accept)

    @property
    def per_record(self) -> bool:
        return bool(self.input_filter or self.output_filter or self.join)

    def predict(self, payload: bytes) -> bytes:
        try:
            if self.fast is not None:
                body = self.fast(payload)
                if body is not None:
                    return body
            if not self.stages:
                return self.handler.invoke(payload, self.content_type, self.accept)[0]
            body, content_type = self._next(self.handler, 1, payload, self.content_type, self.first_accept)
            for number, (handler, accept) in enumerate(self.stages, start=2):
                last = number == len(self.stages) + 1
                body, content_type = self._next(handler, number, body, content_type, self.accept if last else accept)
            return body
        except (codecs.BadPayload, codecs.UnsupportedMediaType, _ContainerError) as error:
            raise TransformFailed(f"ClientError: The model answered {error.status} to a mini-batch: {error}") from None
        except Exception as error:  # the model's own failure, as a container's 500
            print(traceback.format_exc(), file=sys.stderr, flush=True)
            raise TransformFailed(
                f"AlgorithmError: The model answered 500 to a mini-batch: {type(error).__name__}: {error}"
            ) from None

    @staticmethod
    def _next(
        handler: Handler, number: int, body: bytes, content_type: str | None, accept: str | None
    ) -> tuple[bytes, str]:
        """Container ``number`` of a serial pipeline; its failures name it."""
        try:
            return handler.invoke(body, content_type, accept)
        except (codecs.BadPayload, codecs.UnsupportedMediaType) as error:
            raise _ContainerError(error.status, f"container {number}: {error}") from None

    def transform(self, payload: bytes, items: list[bytes] | None) -> bytes:
        if not self.per_record:
            return self.predict(payload)
        if items is None:
            items = batches.lines(payload)
        if not items:
            return b""
        try:
            inputs = [records.select(self.input_filter, r, self.kind) for r in items] if self.input_filter else items
            outputs = records.split_outputs(self.predict(b"\n".join(inputs)), len(items), self.accept_kind)
            kind = self.accept_kind
            if self.join:
                outputs = [records.join(r, o, self.kind) for r, o in zip(items, outputs, strict=True)]
                kind = self.kind
            if self.output_filter:
                outputs = [records.select(self.output_filter, o, kind) for o in outputs]
        except records.RecordError as error:
            raise TransformFailed(f"ClientError: {error}") from None
        return b"\n".join(outputs)

    def run_file(self, source: batches.Readable, target: Path, workers: int) -> int:
        """Transform one input into ``target``; returns the number of mini-batches."""
        target.parent.mkdir(parents=True, exist_ok=True)
        line = self.config.get("AssembleWith") == "Line"
        count = 0
        mini_batches = batches.batches(
            source,
            self.config.get("SplitType") or "None",
            self.config.get("BatchStrategy") or "MultiRecord",
            int(self.config.get("MaxPayloadInMB", 6)),
        )
        with open(target, "wb") as out:

            def write(result: bytes) -> None:
                out.write(result)
                if line and result and not result.endswith(b"\n"):
                    out.write(b"\n")

            try:
                if workers <= 1:
                    for payload, items in mini_batches:
                        write(self.transform(payload, items))
                        count += 1
                    return count
                with ThreadPoolExecutor(workers, thread_name_prefix="transform") as pool:
                    pending: deque[Future[bytes]] = deque()
                    try:
                        for payload, items in mini_batches:
                            pending.append(pool.submit(self.transform, payload, items))
                            count += 1
                            if len(pending) > workers:
                                write(pending.popleft().result())
                        while pending:
                            write(pending.popleft().result())
                    finally:
                        for future in pending:
                            future.cancel()
            except (batches.PayloadTooLarge, batches.BadInput) as error:
                raise TransformFailed(f"ClientError: {error}") from None
        return count


def open_input(root: Path, config: dict[str, Any], relative: str) -> batches.Readable:
    """An input's bytes: its linked parts read in place, or the file the platform is still copying."""
    linked = (config.get("linked") or {}).get(relative)
    stream: batches.Readable
    if linked is not None:
        stream = batches.Parts([root / part for part in linked])
    else:
        source = root / "input" / relative
        wait_for(source)
        stream = batches.GrowingFile(source, root / "staged" / relative)
    return batches.Gunzip(stream) if config.get("Gzip") else stream


def wait_for(path: Path) -> None:
    """The platform stages the inputs while the worker runs: wait until this one has begun to arrive."""
    deadline = time.monotonic() + STAGING_TIMEOUT
    while not path.exists():
        if time.monotonic() > deadline:
            raise TransformFailed(
                f"InternalServerError: the input {path.name} was not staged within {STAGING_TIMEOUT} s."
            )
        time.sleep(0.01)


def run_instance(root: Path, config: dict[str, Any], files: list[str], name: str) -> None:
    """One instance: loads the model, then transforms its share of the input objects."""
    workers = max(1, int(config.get("MaxConcurrentTransforms") or os.cpu_count() or 1))
    if os.environ.get("SAGECRAFT_HANDLER") == "xgboost-builtin":
        # The built-in algorithm never uses scikit-learn, but importing xgboost imports it when it is
        # installed (its sklearn wrappers): ~1 s of start-up a batch job does not need.
        sys.modules.setdefault("sklearn", None)  # type: ignore[arg-type]
    try:
        transformer = Transformer(config)
    except TransformFailed:
        raise
    except Exception as error:
        print(traceback.format_exc(), file=sys.stderr, flush=True)
        raise TransformFailed(f"ClientError: Failed to load the model: {type(error).__name__}: {error}") from None
    print(
        f"Model loaded ({name}); transforming {len(files)} object(s) with up to {workers} concurrent "
        f"mini-batches of at most {config.get('MaxPayloadInMB', 6)} MB",
        flush=True,
    )
    for relative in files:
        stream = open_input(root, config, relative)
        try:
            count = transformer.run_file(stream, root / "output" / f"{relative}.out", workers)
        finally:
            stream.close()
        print(f"Transformed {relative} ({name}): {count} mini-batch(es)", flush=True)


def run_instances(root: Path, count: int) -> None:
    """InstanceCount > 1: each instance is a process of its own (its own model, its own
    MaxConcurrentTransforms) and takes every ``count``-th input object, as SageMaker spreads the
    objects over the instances. The first failure stops the others and fails the job."""
    children = [
        subprocess.Popen([sys.executable, "-m", "sagecraft.executors.transform.worker", "--instance", str(i)])
        for i in range(count)
    ]
    try:
        while children:
            for child in list(children):
                code = child.poll()
                if code is None:
                    continue
                children.remove(child)
                if code != 0:
                    index = child.args[-1]  # type: ignore[index]
                    reason = _read(root / f"{FAILURE}-{index}") or f"AlgorithmError: instance {index} exited {code}"
                    raise TransformFailed(reason)
            time.sleep(0.05)
    finally:
        for child in children:
            child.kill()
            child.wait()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace").strip() or None
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    instance = int(args[1]) if args[:1] == ["--instance"] else None
    root = Path(os.environ.get("SAGECRAFT_TRANSFORM_DIR", "/opt/ml/transform"))
    started = time.monotonic()
    failure = root / (FAILURE if instance is None else f"{FAILURE}-{instance}")
    try:
        config = json.loads((root / CONFIG).read_text())
        count = max(1, int(config.get("InstanceCount") or 1))
        files = list(config["files"])
        if instance is not None:
            run_instance(root, config, files[instance::count], f"algo-{instance + 1}")
            return 0
        if count > 1 and len(files) > 1:
            print(f"{min(count, len(files))} instances share {len(files)} object(s)", flush=True)
            run_instances(root, min(count, len(files)))
        else:
            run_instance(root, config, files, "algo-1")
    except TransformFailed as failure_reason:
        reason = str(failure_reason)
        print(reason, file=sys.stderr, flush=True)
        failure.write_text(reason)
        return 1
    print(f"Completed in {time.monotonic() - started:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
