"""One batch transform instance: ``python -m sagecraft.executors.transform.worker``.

Loads the model with the model servers' own code (executors/serving: the built-in XGBoost handler
or the framework ``inference.py`` contract, chosen by the same environment), then streams each
input file under ``$SAGECRAFT_TRANSFORM_DIR/input`` through it in mini-batches, in-process (no HTTP),
up to MaxConcurrentTransforms at once, writing ``output/<file>.out`` in input order. A failure
writes its reason to ``$SAGECRAFT_TRANSFORM_DIR/failure`` and exits 1."""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sagecraft.executors.serving import codecs
from sagecraft.executors.serving.worker import load_handler
from sagecraft.executors.transform import batches, fast, records
from sagecraft.executors.transform.filters import Step, is_identity, parse_path

CONFIG, FAILURE = "config.json", "failure"
STAGING_TIMEOUT = 3600


class TransformFailed(Exception):
    """The job fails with this message (its FailureReason)."""


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
        self.fast = fast.csv_predictor(self.handler, self.content_type, self.accept)

    @property
    def per_record(self) -> bool:
        return bool(self.input_filter or self.output_filter or self.join)

    def predict(self, payload: bytes) -> bytes:
        try:
            if self.fast is not None:
                body = self.fast(payload)
                if body is not None:
                    return body
            body, _ = self.handler.invoke(payload, self.content_type, self.accept)
            return body
        except (codecs.BadPayload, codecs.UnsupportedMediaType) as error:
            raise TransformFailed(f"ClientError: The model answered {error.status} to a mini-batch: {error}") from None
        except Exception as error:  # the model's own failure, as a container's 500
            print(traceback.format_exc(), file=sys.stderr, flush=True)
            raise TransformFailed(
                f"AlgorithmError: The model answered 500 to a mini-batch: {type(error).__name__}: {error}"
            ) from None

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

    def run_file(self, source: Path, target: Path, workers: int, complete: Path) -> int:
        """Transform one input file into ``target``; returns the number of mini-batches."""
        target.parent.mkdir(parents=True, exist_ok=True)
        line = self.config.get("AssembleWith") == "Line"
        count = 0
        mini_batches = batches.batches(
            source,
            self.config.get("SplitType") or "None",
            self.config.get("BatchStrategy") or "MultiRecord",
            int(self.config.get("MaxPayloadInMB", 6)),
            complete,
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
            except batches.PayloadTooLarge as error:
                raise TransformFailed(f"ClientError: {error}") from None
        return count


def wait_for(path: Path) -> None:
    """The platform stages the inputs while the worker runs: wait until this one has begun to arrive."""
    deadline = time.monotonic() + STAGING_TIMEOUT
    while not path.exists():
        if time.monotonic() > deadline:
            raise TransformFailed(
                f"InternalServerError: the input {path.name} was not staged within {STAGING_TIMEOUT} s."
            )
        time.sleep(0.01)


def main() -> int:
    root = Path(os.environ.get("SAGECRAFT_TRANSFORM_DIR", "/opt/ml/transform"))
    started = time.monotonic()
    try:
        config = json.loads((root / CONFIG).read_text())
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
            f"Model loaded; transforming {len(config['files'])} object(s) with up to {workers} concurrent "
            f"mini-batches of at most {config.get('MaxPayloadInMB', 6)} MB",
            flush=True,
        )
        for relative in config["files"]:
            source = root / "input" / relative
            wait_for(source)
            count = transformer.run_file(
                source, root / "output" / f"{relative}.out", workers, root / "staged" / relative
            )
            print(f"Transformed {relative}: {count} mini-batch(es)", flush=True)
    except TransformFailed as failure:
        reason = str(failure)
        print(reason, file=sys.stderr, flush=True)
        (root / FAILURE).write_text(reason)
        return 1
    print(f"Completed in {time.monotonic() - started:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
