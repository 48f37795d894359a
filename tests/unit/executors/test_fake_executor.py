"""The in-process fake executor that later layers test against."""

from __future__ import annotations

import threading

from sagecraft.executors.base import Outcome, WorkloadSpec
from sagecraft.executors.fake import FakeExecutor, scripted


def spec(tmp_path, **overrides) -> WorkloadSpec:
    return WorkloadSpec(**{"kind": "training", "job_name": "j", "instance_dir": tmp_path / "i",
                           "argv": ["python3", "train.py"], **overrides})


def test_a_scripted_workload_logs_writes_files_and_exits(tmp_path):
    executor = FakeExecutor(scripted(exit_code=0, stdout=["hello"], stderr=["warn"],
                                     files={"/opt/ml/model/model.txt": "m"}))
    handle = executor.start(spec(tmp_path))
    status = handle.wait(5)
    assert status.outcome is Outcome.COMPLETED and status.exit_code == 0
    assert [line.text for line in handle.read_log()[0]] == ["hello", "warn"]
    assert handle.stderr_tail() == ["warn"]
    assert (tmp_path / "i" / "model" / "model.txt").read_text() == "m"
    assert executor.attach(handle.id) is handle and executor.started[0].job_name == "j"


def test_failures_stop_and_max_runtime(tmp_path):
    assert FakeExecutor(scripted(exit_code=2)).start(spec(tmp_path)).wait(5).outcome is Outcome.FAILED
    held = FakeExecutor(scripted(until_stopped=True)).start(spec(tmp_path))
    assert held.poll().running
    assert held.stop(5).outcome is Outcome.STOPPED
    timed = FakeExecutor(scripted(until_stopped=True)).start(spec(tmp_path, max_runtime_seconds=0.05))
    assert timed.wait(5).outcome is Outcome.MAX_RUNTIME


def test_a_crashing_behaviour_is_a_failed_workload(tmp_path):
    def boom(spec, ctx):
        raise RuntimeError("no luck")

    handle = FakeExecutor(boom).start(spec(tmp_path))
    assert handle.wait(5).outcome is Outcome.FAILED
    assert handle.stderr_tail() == ["RuntimeError: no luck"]


def test_slots_queue_fake_workloads_too(tmp_path):
    gate = threading.Event()
    executor = FakeExecutor(scripted(hold=gate), slots=1)
    first = executor.start(spec(tmp_path))
    waiting = executor.reserve("second")
    assert not waiting.wait(0)
    gate.set()
    first.wait(5)
    assert waiting.wait(5)
    assert executor.running() == []
