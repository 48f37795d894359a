"""Multi-model endpoints: one worker serves many models, each loaded on first use from the folder
the server unpacked it in, kept in an LRU cache of at most ``SAGECRAFT_MME_MAX_MODELS`` models
(the least recently used is evicted to load another, and loaded again when asked for)."""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from pathlib import Path

from sagecraft.executors.serving.handlers import FrameworkHandler, Handler, XGBoostBuiltin

log = logging.getLogger("sagecraft.worker")


class MultiModelHandler:
    def __init__(self, framework: str | None, max_models: int) -> None:
        self.framework = framework
        self.max_models = max(1, max_models)
        self.loaded: OrderedDict[str, Handler] = OrderedDict()

    @classmethod
    def from_environment(cls) -> MultiModelHandler:
        return cls(os.environ.get("SAGECRAFT_FRAMEWORK"), int(os.environ.get("SAGECRAFT_MME_MAX_MODELS", "10")))

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> tuple[bytes, str]:
        raise ValueError("A multi-model endpoint needs a TargetModel.")

    def invoke_model(self, model_dir: str, body: bytes, content_type: str | None,
                     accept: str | None) -> tuple[bytes, str]:
        return self.handler(model_dir).invoke(body, content_type, accept)

    def handler(self, model_dir: str) -> Handler:
        found = self.loaded.get(model_dir)
        if found is not None:
            self.loaded.move_to_end(model_dir)
            return found
        while len(self.loaded) >= self.max_models:
            evicted, _ = self.loaded.popitem(last=False)
            log.info("evicted model %s (cache of %d models full)", Path(evicted).name, self.max_models)
        began = time.perf_counter()
        loaded = self._load(Path(model_dir))
        self.loaded[model_dir] = loaded
        log.info("loaded model %s in %.1f ms", Path(model_dir).name, (time.perf_counter() - began) * 1000)
        return loaded

    def _load(self, model_dir: Path) -> Handler:
        """The model's own inference script (code/inference.py in its archive), else the built-in XGBoost."""
        program = model_dir / "code" / os.environ.get("SAGEMAKER_PROGRAM", "inference.py")
        if program.exists():
            return FrameworkHandler(model_dir, program, self.framework)
        return XGBoostBuiltin(model_dir)
