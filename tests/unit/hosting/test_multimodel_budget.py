"""The multi-model cache: evicts least recently used models by their size in MB under the budget,
an optional count cap, and the default budget from the instance type."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagecraft.executors.serving import multimodel
from sagecraft.executors.serving.multimodel import MB, MultiModelHandler
from sagecraft.services.hosting.instances import instance_memory_mb


class _Loaded:
    def __init__(self, folder: Path) -> None:
        self.folder = folder


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.setattr(MultiModelHandler, "_load", lambda self, folder: _Loaded(folder))
    sizes = {"a": 3 * MB, "b": 4 * MB, "c": 2 * MB, "huge": 20 * MB}
    for name, size in sizes.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.bin").write_bytes(b"\0" * size)
    return tmp_path


def test_evicts_least_recently_used_by_megabytes(models):
    cache = MultiModelHandler(None, budget_bytes=8 * MB)
    cache.handler(str(models / "a"))
    cache.handler(str(models / "b"))  # 7 MB of 8
    cache.handler(str(models / "a"))  # a is now the most recently used
    cache.handler(str(models / "c"))  # 9 MB would not fit: b (least recently used) goes
    assert list(cache.loaded) == [str(models / "a"), str(models / "c")]
    assert cache.used_bytes == 5 * MB
    cache.handler(str(models / "b"))  # 9 MB again: a goes
    assert list(cache.loaded) == [str(models / "c"), str(models / "b")]


def test_a_model_over_the_budget_is_alone(models):
    cache = MultiModelHandler(None, budget_bytes=8 * MB)
    cache.handler(str(models / "a"))
    cache.handler(str(models / "huge"))
    assert list(cache.loaded) == [str(models / "huge")]


def test_count_cap_and_environment(models, monkeypatch):
    cache = MultiModelHandler(None, budget_bytes=100 * MB, max_models=2)
    for name in ("a", "b", "c"):
        cache.handler(str(models / name))
    assert list(cache.loaded) == [str(models / "b"), str(models / "c")]
    monkeypatch.setenv("SAGECRAFT_MME_MEMORY_MB", "0.5")
    monkeypatch.delenv("SAGECRAFT_MME_MAX_MODELS", raising=False)
    built = MultiModelHandler.from_environment()
    assert built.budget_bytes == MB // 2 and built.max_models is None
    assert multimodel.folder_bytes(models / "a") == 3 * MB


def test_instance_memory():
    assert instance_memory_mb("ml.m5.xlarge") == 16 * 1024
    assert instance_memory_mb("ml.c5.2xlarge") == 16 * 1024
    assert instance_memory_mb("ml.r5.large") == 16 * 1024
    assert instance_memory_mb("ml.m5.24xlarge") == 384 * 1024
    assert instance_memory_mb("ml.t2.medium") == 4 * 1024
    assert instance_memory_mb("ml.unknown.xlarge") is None
    assert instance_memory_mb(None) is None
