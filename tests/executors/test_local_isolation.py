"""What one workload cannot see or reach: another's /opt/ml, the network when isolated."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from executors_support import base_env, script_spec, texts

from sagecraft.executors.base import ExecutorUnavailable, Outcome, UnknownWorkload, WorkloadSpec
from sagecraft.executors.local import LocalExecutor, LocalExecutorConfig

CONNECT = """
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5).close()
    print("connected")
except OSError as exc:
    print(f"blocked: {exc}")
try:
    socket.create_connection(("1.1.1.1", 53), timeout=5).close()
    print("internet")
except OSError as exc:
    print(f"no internet: {exc}")
own = socket.socket()
own.bind(("127.0.0.1", 0))
own.listen()
socket.create_connection(own.getsockname(), timeout=5).close()
print("own loopback works")
"""


@pytest.fixture
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []

    def accept() -> None:
        try:
            while True:
                conn, _ = server.accept()
                accepted.append(conn)
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1], accepted
    server.close()


def test_network_isolation_blocks_the_servers_loopback(executor, tmp_path, listener):
    port, accepted = listener
    spec = script_spec(tmp_path / "i", CONNECT, network_isolation=True)
    handle = executor.start(WorkloadSpec(**{**spec.to_dict(), "argv": (*spec.argv, str(port))}))
    assert handle.wait(60).outcome is Outcome.COMPLETED, texts(handle)
    lines = texts(handle)
    assert lines[0].startswith("blocked:") and lines[1].startswith("no internet:")
    assert "own loopback works" in lines and accepted == []


def test_without_isolation_the_job_reaches_the_server(executor, tmp_path, listener):
    port, _ = listener
    spec = script_spec(tmp_path / "i", CONNECT)
    handle = executor.start(WorkloadSpec(**{**spec.to_dict(), "argv": (*spec.argv, str(port))}))
    assert handle.wait(60).outcome is Outcome.COMPLETED, texts(handle)
    assert texts(handle)[0] == "connected"


def test_two_concurrent_instances_never_see_each_others_opt_ml(executor, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    code = f"""
import json, os, sys, time
me = os.environ["WHO"]
os.makedirs("/opt/ml/model", exist_ok=True)
open(f"/opt/ml/model/{{me}}.txt", "w").write(me)
open("{shared}/" + me, "w").close()
deadline = time.time() + 30
while len(os.listdir("{shared}")) < 2 and time.time() < deadline:  # both are running now
    time.sleep(0.01)
print(json.dumps(sorted(os.listdir("/opt/ml/model"))))
"""
    handles = [executor.start(script_spec(tmp_path / who, code, job_name=who, environment=base_env(WHO=who)))
               for who in ("first", "second")]
    for handle in handles:
        assert handle.wait(60).outcome is Outcome.COMPLETED, texts(handle)
    assert json.loads(texts(handles[0])[0]) == ["first.txt"]
    assert json.loads(texts(handles[1])[0]) == ["second.txt"]
    assert sorted(p.name for p in (tmp_path / "first" / "model").iterdir()) == ["first.txt"]


def test_isolation_none_runs_without_namespaces_and_rewrites_opt_ml(tmp_path):
    executor = LocalExecutor(LocalExecutorConfig(root=tmp_path / "executor", isolation="none"))
    code = "import os\nopen(os.path.join(os.environ['SM_MODEL_DIR'], 'm.txt'), 'w').write(os.getcwd())\n"
    (tmp_path / "i" / "model").mkdir(parents=True)
    handle = executor.start(script_spec(tmp_path / "i", code, environment=base_env(SM_MODEL_DIR="/opt/ml/model")))
    assert handle.wait(60).outcome is Outcome.COMPLETED, texts(handle)
    assert (tmp_path / "i" / "model" / "m.txt").read_text() == str(tmp_path / "i" / "code")
    with pytest.raises(ExecutorUnavailable, match="network isolation"):
        executor.start(script_spec(tmp_path / "j", "", network_isolation=True))


def test_isolation_none_stops_the_process_group(tmp_path):
    executor = LocalExecutor(LocalExecutorConfig(root=tmp_path / "executor", isolation="none"))
    handle = executor.start(WorkloadSpec(kind="processing", job_name="p", instance_dir=tmp_path / "i",
                                         argv=["sh", "-c", "sleep 600 & sleep 600"], environment=base_env()))
    status = handle.stop(grace_seconds=1)
    assert status.outcome is Outcome.STOPPED


def test_when_namespaces_are_not_permitted_the_error_says_what_to_change(tmp_path):
    executor = LocalExecutor(LocalExecutorConfig(root=tmp_path / "executor", unshare="/bin/false"))
    with pytest.raises(ExecutorUnavailable, match="SAGECRAFT_EXECUTOR_ISOLATION=none"):
        executor.start(script_spec(tmp_path / "i", "print(1)"))


def test_attach_refuses_unknown_or_unsafe_ids(executor):
    for bad in ("nope", "../etc", ""):
        with pytest.raises(UnknownWorkload):
            executor.attach(bad)
