"""Workloads outlive the server process that launched them; a later one re-attaches."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from executors_support import texts

from sagecraft.executors.base import Outcome
from sagecraft.executors.local import LocalExecutor, LocalExecutorConfig

LAUNCHER = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    from executors_support import script_spec
    from sagecraft.executors.local import LocalExecutor, LocalExecutorConfig
    executor = LocalExecutor(LocalExecutorConfig(root=Path(sys.argv[1])))
    code = (
        "import os, sys, time\\n"
        "print('started', flush=True)\\n"
        f"while not os.path.exists({sys.argv[2]!r}):\\n"
        "    time.sleep(0.01)\\n"
        "print('after gate')\\n"
        "sys.exit(7)\\n"
    )
    handle = executor.start(script_spec(Path(sys.argv[1]).parent / "instance", code, job_name="survivor"))
    print(handle.id)
""")


def test_reattach_after_the_launching_process_is_gone(executor, tmp_path):
    root, gate = executor.config.root, tmp_path / "gate"
    here = str(__import__("pathlib").Path(__file__).parent)
    launched = subprocess.run([sys.executable, "-c", LAUNCHER, str(root), str(gate), here],
                              capture_output=True, text=True, timeout=60, check=True)
    handle_id = launched.stdout.strip()

    restarted = LocalExecutor(LocalExecutorConfig(root=root))
    assert [h.id for h in restarted.running()] == [handle_id]
    assert restarted.slots.in_use() == 1  # the old workload still holds its slot
    handle = restarted.attach(handle_id)
    assert handle.poll().running
    gate.touch()
    status = handle.wait(60)
    assert status.outcome is Outcome.FAILED and status.exit_code == 7
    assert texts(handle)[-2:] == ["after gate", "failed: the command exited with code 7"]
    assert restarted.running() == [] and restarted.slots.in_use() == 0


def test_a_stop_from_another_process_works_too(executor, tmp_path):
    gate = tmp_path / "never"
    here = str(__import__("pathlib").Path(__file__).parent)
    launched = subprocess.run([sys.executable, "-c", LAUNCHER, str(executor.config.root), str(gate), here],
                              capture_output=True, text=True, timeout=60, check=True)
    handle = LocalExecutor(LocalExecutorConfig(root=executor.config.root)).attach(launched.stdout.strip())
    assert handle.stop(grace_seconds=2).outcome is Outcome.STOPPED
