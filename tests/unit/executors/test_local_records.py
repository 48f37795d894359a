"""The local executor's run-folder files, configuration and /opt/ml rewriting (no subprocesses)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sagecraft.executors.local import records
from sagecraft.executors.local.executor import LocalExecutorConfig, _rewriter


def test_kv_and_nul_files_round_trip(tmp_path):
    records.write_kv(tmp_path / "kv", {"a": 1, "b": None, "c": "two\nlines", "d": "x=y"})
    assert records.read_kv(tmp_path / "kv") == {"a": "1", "b": "", "c": "two lines", "d": "x=y"}
    assert records.read_kv(tmp_path / "missing") is None
    records.write_nul(tmp_path / "nul", ["a b", "", "c=d"])
    assert (tmp_path / "nul").read_bytes() == b"a b\0\0c=d\0"
    with pytest.raises(ValueError):
        records.write_nul(tmp_path / "nul", ["bad\0"])


def test_process_identity_uses_the_start_time(tmp_path):
    ticks = records.proc_start_ticks(os.getpid())
    assert ticks is not None
    (tmp_path / records.LEADER).write_text(f"{os.getpid()} {ticks}\n")
    assert records.leader_alive(tmp_path)
    (tmp_path / records.LEADER).write_text(f"{os.getpid()} {ticks + 1}\n")  # a recycled pid is not ours
    assert not records.leader_alive(tmp_path)


def test_config_from_the_environment(tmp_path):
    config = LocalExecutorConfig.from_env(tmp_path, {"SAGECRAFT_EXECUTOR_SLOTS": "6",
                                                     "SAGECRAFT_EXECUTOR_ISOLATION": "none"})
    assert config.slots == 6 and config.isolation == "none" and config.root == tmp_path / "executor"
    assert LocalExecutorConfig.from_env(tmp_path, {}).slots == 4
    with pytest.raises(ValueError, match="SAGECRAFT_EXECUTOR_ISOLATION"):
        LocalExecutorConfig.from_env(tmp_path, {"SAGECRAFT_EXECUTOR_ISOLATION": "docker"})
    with pytest.raises(ValueError, match="SAGECRAFT_EXECUTOR_SLOTS"):
        LocalExecutorConfig.from_env(tmp_path, {"SAGECRAFT_EXECUTOR_SLOTS": "many"})


@pytest.mark.parametrize(("value", "expected"), [
    ("/opt/ml/model", "/i/model"),
    ("/opt/ml", "/i"),
    ("--out=/opt/ml/output/data", "--out=/i/output/data"),
    ('{"model_dir":"/opt/ml/model","x":["/opt/ml/input"]}', '{"model_dir":"/i/model","x":["/i/input"]}'),
    ("/opt/mlx/a", "/opt/mlx/a"),
    ("/data/opt/ml/a", "/data/opt/ml/a"),
])
def test_isolation_none_rewrites_opt_ml_paths(value, expected):
    assert _rewriter(Path("/i"))(value) == expected
