"""``sagecraft up`` and ``down``: the server of a home as a background process."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sagecraft.client import ServerInfo, running_server
from sagecraft.config.settings import Settings
from sagecraft.core.processes import process_alive
from sagecraft.server.preflight import StartupError, bind_socket, check_home_writable

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class StartFailed(Exception):
    def __init__(self, message: str, log_tail: list[str]) -> None:
        super().__init__(message)
        self.log_tail = log_tail


@dataclass(frozen=True)
class Started:
    info: ServerInfo
    already_running: bool


def healthy(endpoint_url: str, ca_bundle: str | os.PathLike | None = None) -> bool:
    context = ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else None
    try:
        with urllib.request.urlopen(endpoint_url + "/_sagecraft/health", timeout=2, context=context) as reply:
            return reply.status == 200 and json.loads(reply.read()).get("status") == "ok"
    except (OSError, ValueError):
        return False


def start(settings: Settings, timeout: float = START_TIMEOUT, on_wait: Callable[[], None] | None = None) -> Started:
    """Start the server of ``settings.home`` detached and wait until it answers its health check.
    Raises StartupError (nothing started) or StartFailed (it started but did not come up)."""
    info = running_server(settings.home)
    if info is not None:
        return Started(info, already_running=True)
    check_home_writable(settings.home)
    bind_socket(settings.host, settings.port).close()  # say "port in use" before forking anything
    settings.log_file.parent.mkdir(parents=True, exist_ok=True)
    offset = settings.log_file.stat().st_size if settings.log_file.exists() else 0
    command = [sys.executable, "-m", "sagecraft.cli.main", "server", "--host", settings.host,
               "--port", str(settings.port), "--home", str(settings.home)]
    if settings.tls_cert is not None:
        command += ["--tls-cert", str(settings.tls_cert), "--tls-key", str(settings.tls_key)]
    with open(settings.log_file, "ab") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, close_fds=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartFailed(f"The server exited with status {process.returncode} while starting.",
                              log_tail(settings.log_file, offset))
        certificate = settings.tls_cert if settings.tls_cert and settings.tls_cert.exists() else None
        if healthy(settings.endpoint_url, certificate):
            info = running_server(settings.home)
            if info is not None and info.pid == process.pid:
                return Started(info, already_running=False)
        if on_wait is not None:
            on_wait()
        time.sleep(0.1)
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    raise StartFailed(f"The server did not answer its health check within {timeout:.0f} s; it was stopped.",
                      log_tail(settings.log_file, offset))


def stop(home: Path, timeout: float = STOP_TIMEOUT) -> ServerInfo | None:
    """Stop the server of ``home`` (SIGTERM, then SIGKILL past the timeout) and wait until it is
    gone. None when none was running."""
    info = running_server(home)
    if info is None:
        return None
    _signal(info.pid, signal.SIGTERM)
    if not _wait_gone(info.pid, timeout):
        _signal(info.pid, signal.SIGKILL)
        _wait_gone(info.pid, 10)
    Settings.load(home).server_file.unlink(missing_ok=True)  # a killed server leaves it behind
    return info


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def log_tail(path: Path, offset: int = 0, lines: int = 20) -> list[str]:
    """The last lines the log got since ``offset``."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


__all__ = ["StartFailed", "Started", "StartupError", "healthy", "log_tail", "start", "stop"]
