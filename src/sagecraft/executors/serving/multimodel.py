"""Multi-model endpoints: one worker serves many models, each loaded on first use from the folder
the server unpacked it in, kept in an LRU cache under a memory budget of ``SAGECRAFT_MME_MEMORY_MB``
(the instance's memory unless set). A model is charged its unpacked size: deterministic, unlike the
worker's resident-memory growth, which allocator reuse and a library's first import blur (that growth
is logged). Loading one more evicts the least recently used until it fits; an evicted model is loaded
again when asked for. ``SAGECRAFT_MME_MAX_MODELS`` optionally caps the count as well."""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from pathlib import Path

from sagecraft.executors.serving.handlers import FrameworkHandler, Handler, XGBoostBuiltin

log = logging.getLogger("sagecraft.worker")
MB = 1024 * 1024


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def resident_bytes() -> int:
    """This process's resident set (Linux /proc; 0 elsewhere, then the disk size alone counts)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class MultiModelHandler:
    def __init__(self, framework: str | None, budget_bytes: int, max_models: int | None = None) -> None:
        self.framework = framework
        self.budget_bytes = max(1, budget_bytes)
        self.max_models = max(1, max_models) if max_models else None
        self.loaded: OrderedDict[str, tuple[Handler, int]] = OrderedDict()  # model dir -> (handler, bytes charged)

    @property
    def used_bytes(self) -> int:
        return sum(size for _, size in self.loaded.values())

    @classmethod
    def from_environment(cls) -> MultiModelHandler:
        budget_mb = float(os.environ.get("SAGECRAFT_MME_MEMORY_MB") or 4096)
        count = os.environ.get("SAGECRAFT_MME_MAX_MODELS")
        return cls(os.environ.get("SAGECRAFT_FRAMEWORK"), int(budget_mb * MB), int(count) if count else None)

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> tuple[bytes, str]:
        raise ValueError("A multi-model endpoint needs a TargetModel.")

    def invoke_model(self, model_dir: str, body: bytes, content_type: str | None,
                     accept: str | None) -> tuple[bytes, str]:
        return self.handler(model_dir).invoke(body, content_type, accept)

    def handler(self, model_dir: str) -> Handler:
        found = self.loaded.get(model_dir)
        if found is not None:
            self.loaded.move_to_end(model_dir)
            return found[0]
        on_disk = folder_bytes(Path(model_dir))
        self._evict_for(on_disk, 1)  # room before loading: the load itself needs the memory
        began, before = time.perf_counter(), resident_bytes()
        loaded = self._load(Path(model_dir))
        grown = max(0, resident_bytes() - before)
        size = on_disk
        self.loaded[model_dir] = (loaded, size)
        log.info("loaded model %s in %.1f ms (%.3f MB unpacked, resident memory +%.1f MB; cache %.3f of %.3f MB)",
                 Path(model_dir).name, (time.perf_counter() - began) * 1000, size / MB, grown / MB,
                 self.used_bytes / MB, self.budget_bytes / MB)
        if size > self.budget_bytes:
            log.warning("model %s alone (%.3f MB) is over the cache budget of %.3f MB", Path(model_dir).name,
                        size / MB, self.budget_bytes / MB)
        return loaded

    def _evict_for(self, size: int, count: int) -> None:
        """Evicts least recently used models until ``size`` more bytes (and ``count`` more models) fit."""
        while self.loaded and (self.used_bytes + size > self.budget_bytes
                               or (self.max_models is not None and len(self.loaded) + count > self.max_models)):
            evicted, (_, freed) = self.loaded.popitem(last=False)
            log.info("evicted model %s (%.3f MB; cache budget %.3f MB)", Path(evicted).name, freed / MB,
                     self.budget_bytes / MB)

    def _load(self, model_dir: Path) -> Handler:
        """The model's own inference script (code/inference.py in its archive), else the built-in XGBoost."""
        program = model_dir / "code" / os.environ.get("SAGEMAKER_PROGRAM", "inference.py")
        if program.exists():
            return FrameworkHandler(model_dir, program, self.framework)
        return XGBoostBuiltin(model_dir)
