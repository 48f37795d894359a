"""``sagecraft up`` / ``env`` / ``down`` on a temp home and a free port, and the errors a user
meets: port in use, home not writable, no server running."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import urllib.request

import boto3
import pytest

from sagecraft.core.processes import process_alive
from tests.support.cli import exports, sagecraft, unsets
from tests.support.server import free_port


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    yield path
    sagecraft("down", "--home", path)  # whatever a test left running


def test_up_env_down(home):
    port = free_port()
    up = sagecraft("up", "--home", home, "--port", port)
    assert up.returncode == 0, up.stderr
    assert "is up at" in up.stderr
    variables = exports(up.stdout)
    assert variables["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
    assert variables["AWS_DEFAULT_REGION"] == variables["AWS_REGION"] == "us-east-1"
    assert variables["SAGEMAKER_USER_CONFIG_OVERRIDE"] == str(home / "sagemaker-config.yaml")
    assert "AWS_PROFILE" in unsets(up.stdout)  # an explicit profile would hide the exported keys

    with urllib.request.urlopen(variables["AWS_ENDPOINT_URL"] + "/_sagecraft/health", timeout=10) as reply:
        assert json.loads(reply.read())["status"] == "ok"

    env = sagecraft("env", "--home", home)
    assert env.returncode == 0, env.stderr
    assert exports(env.stdout) == variables

    # The exported keys are the admin key pair of HOME/credentials, which only its owner may read.
    credentials = home / "credentials"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert variables["AWS_ACCESS_KEY_ID"] in credentials.read_text()
    session = boto3.Session(aws_access_key_id=variables["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=variables["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")
    assert "Buckets" in session.client("s3", endpoint_url=variables["AWS_ENDPOINT_URL"]).list_buckets()

    again = sagecraft("up", "--home", home, "--port", port)
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stderr
    assert exports(again.stdout) == variables

    pid = json.loads((home / "server.json").read_text())["pid"]
    down = sagecraft("down", "--home", home)
    assert down.returncode == 0, down.stderr
    assert "Stopped" in down.stderr
    assert not process_alive(pid)
    assert not (home / "server.json").exists()

    after = sagecraft("env", "--home", home)
    assert after.returncode == 1
    assert "No Sagecraft server is running" in after.stderr and "sagecraft up" in after.stderr
    assert after.stdout == ""

    nothing = sagecraft("down", "--home", home)
    assert nothing.returncode == 0
    assert "nothing to stop" in nothing.stderr


def test_sdk_defaults_file(home):
    up = sagecraft("up", "--home", home, "--port", free_port())
    assert up.returncode == 0, up.stderr
    import yaml

    defaults = yaml.safe_load((home / "sagemaker-config.yaml").read_text())
    assert defaults["SchemaVersion"] == "1.0"
    modules = defaults["SageMaker"]["PythonSDK"]["Modules"]
    assert modules["TelemetryOptOut"] is True
    assert modules["Session"]["DefaultS3Bucket"] == "sagemaker-us-east-1-000000000000"


def test_home_from_environment(tmp_path):
    home = tmp_path / "env-home"
    environment = {"SAGECRAFT_HOME": str(home)}
    up = subprocess.run([sys.executable, "-m", "sagecraft.cli.main", "up", "--port", str(free_port())],
                        capture_output=True, text=True, timeout=300, env={**os.environ, **environment})
    try:
        assert up.returncode == 0, up.stderr
        assert (home / "server.json").exists()
    finally:
        sagecraft("down", "--home", home)


@pytest.fixture
def busy_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("command", ["up", "server"])
def test_port_in_use(home, busy_port, command):
    result = sagecraft(command, "--home", home, "--port", busy_port)
    assert result.returncode == 1
    assert f"Port {busy_port}" in result.stderr and "already in use" in result.stderr
    assert "--port" in result.stderr  # says what to do
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["up", "server"])
def test_home_not_writable(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = sagecraft(command, "--home", blocker / "home", "--port", free_port())
    assert result.returncode == 1
    assert "not writable" in result.stderr and "--home" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through folder permissions")
def test_home_without_write_permission(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = sagecraft("up", "--home", locked, "--port", free_port())
    assert result.returncode == 1
    assert "not writable" in result.stderr


def test_stale_server_file_is_ignored(home):
    home.mkdir(parents=True)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    (home / "server.json").write_text(json.dumps({"pid": int(finished.stdout), "endpoint_url": "http://x"}))
    result = sagecraft("env", "--home", home)
    assert result.returncode == 1
    assert "No Sagecraft server is running" in result.stderr
    assert not (home / "server.json").exists()


def test_failed_start_shows_the_log(home):
    # A database nobody listens on: the server starts, then fails while opening it.
    broken = {"SAGECRAFT_DATABASE_URL": f"postgresql+psycopg://nobody:x@127.0.0.1:{free_port()}/none"}
    result = sagecraft("up", "--home", home, "--port", free_port(), env=broken)
    assert result.returncode == 1
    assert "The last lines of" in result.stderr and "server.log" in result.stderr
    assert "127.0.0.1" in result.stderr  # the cause, from the log
    assert "sagecraft up" in result.stderr  # what to do next
    assert not (home / "server.json").exists()
