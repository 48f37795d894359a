"""A real Sagecraft server in a subprocess, on a free port with its own home."""

from __future__ import annotations

import configparser
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    home: Path
    port: int
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> ServerProcess:
        env = {**os.environ, "SAGECRAFT_HOME": str(self.home), **self.extra_env}
        env.pop("AWS_ENDPOINT_URL", None)
        log = open(self.home.parent / f"{self.home.name}-server.out", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sagecraft.cli.main", "server", "--port", str(self.port), "--home", str(self.home)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(self.endpoint_url + "/_sagecraft/health", timeout=1) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("server did not become healthy")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def kill(self) -> None:
        """kill -9 the server and everything it started."""
        self.stop(signal.SIGKILL)

    @property
    def keys(self) -> tuple[str, str]:
        parser = configparser.ConfigParser()
        parser.read(self.home / "credentials")
        section = parser["sagecraft"]
        return section["aws_access_key_id"], section["aws_secret_access_key"]

    def session(self) -> boto3.Session:
        key_id, secret = self.keys
        return boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION)

    def client(self, service: str, **config):
        retries = config.pop("retries", {"max_attempts": 1, "mode": "standard"})
        return self.session().client(service, endpoint_url=self.endpoint_url,
                                     config=Config(retries=retries, **config))

    def env(self) -> dict[str, str]:
        """The environment a subprocess (AWS CLI, SDK script) needs to reach this server."""
        key_id, secret = self.keys
        return {
            **os.environ,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": key_id,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
