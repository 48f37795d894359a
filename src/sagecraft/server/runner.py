"""Running the server in the foreground (``sagecraft server``)."""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
from pathlib import Path

import uvicorn

from sagecraft.config.settings import Settings
from sagecraft.server.compose import build


class StartupError(Exception):
    """A reason the server cannot start, worded for the user with what to do next."""


def check_home_writable(home: Path) -> None:
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / ".write-probe"
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


def configure_logging(settings: Settings) -> None:
    settings.log_file.parent.mkdir(parents=True, exist_ok=True)
    level = os.environ.get("SAGECRAFT_LOG_LEVEL", "INFO").upper()
    handler = logging.FileHandler(settings.log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("sagecraft")
    root.setLevel(level)
    root.addHandler(handler)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    root.addHandler(console)


def serve(settings: Settings, on_ready=None) -> None:
    """Serve until interrupted. Writes HOME/server.json while running."""
    check_home_writable(settings.home)
    sock = bind_socket(settings.host, settings.port)
    configure_logging(settings)
    application = build(settings)
    config = uvicorn.Config(
        application.gateway,
        log_level="warning",
        access_log=False,  # query strings may carry security tokens: never log them
        lifespan="on",
        timeout_keep_alive=75,
        server_header=False,
    )
    server = uvicorn.Server(config)
    _write_server_file(settings)
    try:
        if on_ready is not None:
            on_ready(settings)
        server.run(sockets=[sock])
    finally:
        application.close()
        settings.server_file.unlink(missing_ok=True)
        sock.close()


def _write_server_file(settings: Settings) -> None:
    info = {"pid": os.getpid(), "endpoint_url": settings.endpoint_url, "host": settings.host, "port": settings.port}
    settings.server_file.write_text(json.dumps(info))
