"""The client side without a server: export lines a shell reads back exactly, and sessions whose
clients all reach the Sagecraft endpoint."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from sagecraft.client import NoServerRunning, _endpoint_session_class, client_env, running_server, shell_lines
from sagecraft.core.processes import start_ticks


def test_shell_lines_round_trip_through_bash():
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:8642", "AWS_SECRET_ACCESS_KEY": "a+b/c=d'e\"f $HOME `x`",
           "SAGEMAKER_USER_CONFIG_OVERRIDE": "/tmp/a folder/sagemaker-config.yaml"}
    script = "\n".join(shell_lines(env)) + "\npython3 -c 'import json, os; print(json.dumps(dict(os.environ)))'"
    seen = json.loads(subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True,
                                     env={**os.environ, "AWS_PROFILE": "work"}).stdout)
    assert {k: seen[k] for k in env} == env
    assert "AWS_PROFILE" not in seen  # a profile would make botocore ignore the exported keys


def test_endpoint_session_redirects_aws_endpoints():
    session = _endpoint_session_class()("http://127.0.0.1:9", aws_access_key_id="AKIA", aws_secret_access_key="s",
                                        region_name="us-east-1")
    assert session.client("s3").meta.endpoint_url == "http://127.0.0.1:9"
    # The SageMaker SDK builds its STS client with an explicit AWS endpoint.
    sts = session.client("sts", endpoint_url="https://sts.us-east-1.amazonaws.com")
    assert sts.meta.endpoint_url == "http://127.0.0.1:9"
    assert session.resource("s3").meta.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert session.client("s3", endpoint_url="http://minio:9000").meta.endpoint_url == "http://minio:9000"


def test_no_server(tmp_path):
    assert running_server(tmp_path) is None
    with pytest.raises(NoServerRunning, match=r"sagecraft up --home"):
        client_env(tmp_path)


def test_recycled_pid_is_stale(tmp_path):
    # This process is alive, but started at another time than the server that wrote the file.
    me = os.getpid()
    record = {"pid": me, "endpoint_url": "http://127.0.0.1:1", "start_ticks": start_ticks(me) + 1}
    (tmp_path / "server.json").write_text(json.dumps(record))
    assert running_server(tmp_path) is None
    assert not (tmp_path / "server.json").exists()
    record["start_ticks"] = start_ticks(me)
    (tmp_path / "server.json").write_text(json.dumps(record))
    assert running_server(tmp_path).pid == me
