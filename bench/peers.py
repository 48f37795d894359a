"""Peer servers for side-by-side benchmarks: each in its own venv under bench/.venv-<name>,
created on first use with pinned packages (they pin other botocore versions than ours)."""

from __future__ import annotations

import configparser
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEER_PACKAGES = {"moto": ["moto[server]==5.2.5"],
                 "feast": ["feast[duckdb]==0.67.0", "pandas==2.3.3", "duckdb==2.0.1", "pyarrow==26.0.1"]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peer_venv(name: str) -> Path:
    venv = BENCH / f".venv-{name}"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *PEER_PACKAGES[name]], check=True)
    return venv


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers: that is all we wait for
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer")


class Background:
    """A server process in its own process group, stopped with everything it started."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None, log: Path | None = None) -> None:
        out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_sagecraft(home: Path) -> tuple[Background, str, tuple[str, str]]:
    """A Sagecraft server on a free port with ``home``: (process, endpoint URL, admin key pair)."""
    port = free_port()
    server = Background([sys.executable, "-m", "sagecraft.cli.main", "server", "--port", str(port), "--home",
                         str(home)], env={**os.environ, "SAGECRAFT_LOG_LEVEL": "WARNING"})
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/_sagecraft/health")
    parser = configparser.ConfigParser()
    parser.read(home / "credentials")
    section = parser["sagecraft"]
    return server, url, (section["aws_access_key_id"], section["aws_secret_access_key"])
