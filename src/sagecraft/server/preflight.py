"""Checks before anything starts, kept free of heavy imports so the CLI answers quickly."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path


class StartupError(Exception):
    """A reason the server cannot start, worded for the user with what to do next."""


def check_home_writable(home: Path) -> None:
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".write-probe-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise StartupError(
            f"The home folder {home} is not writable ({error.strerror}). "
            "Choose another with --home or SAGECRAFT_HOME."
        ) from None


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise StartupError(
                f"Port {port} on {host} is already in use. Stop what holds it (`sagecraft down` if it is "
                "another Sagecraft server) or pick another port with --port."
            ) from None
        raise StartupError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
