"""Running the server: in the foreground (``sagecraft server``) or embedded in a thread
(``sagecraft quickstart``, tests)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import uvicorn

from sagecraft import __version__
from sagecraft.config.settings import Settings
from sagecraft.core.processes import start_ticks
from sagecraft.security.tls import ensure_self_signed
from sagecraft.server.compose import Application, build
from sagecraft.server.preflight import StartupError, bind_socket, check_home_writable
from sagecraft.server.sdk_defaults import write_sdk_defaults

log = logging.getLogger("sagecraft.server")
_HANDLERS: list[logging.Handler] = []


class _Uvicorn(uvicorn.Server):
    """uvicorn re-raises a captured SIGTERM/SIGINT as soon as it stops serving, which kills the
    process before ``Application.close()`` runs (workers, capture and journal writers would not
    flush). The signal is kept here and raised again once the application is closed."""

    caught: list[int]

    @contextlib.contextmanager
    def capture_signals(self):
        with super().capture_signals():
            yield
            self.caught = list(self._captured_signals)
            self._captured_signals.clear()


def configure_logging(settings: Settings, console: bool = True) -> None:
    """Log to HOME/logs/server.log, and warnings to stderr unless stderr already is that file
    (``sagecraft up`` sends the server's output there: no line twice)."""
    settings.log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("sagecraft")
    for old in _HANDLERS:  # an embedded server may start more than once per process
        root.removeHandler(old)
        old.close()
    _HANDLERS.clear()
    root.setLevel(os.environ.get("SAGECRAFT_LOG_LEVEL", "INFO").upper())
    handler = logging.FileHandler(settings.log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _HANDLERS.append(handler)
    if console and not _stderr_is(settings.log_file):
        stream = logging.StreamHandler()
        stream.setLevel(logging.WARNING)
        _HANDLERS.append(stream)
    for new in _HANDLERS:
        root.addHandler(new)


def _stderr_is(path: Path) -> bool:
    try:
        mine, theirs = os.fstat(sys.stderr.fileno()), os.stat(path)
    except (OSError, ValueError, AttributeError):
        return False
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


class Server:
    """A composed server on a bound socket. ``run()`` serves until ``stop()`` (or a signal when
    run in the main thread). Port 0 picks a free port; ``settings`` then holds the real one."""

    def __init__(self, settings: Settings, *, console_logging: bool = True) -> None:
        check_home_writable(settings.home)
        self.socket = bind_socket(settings.host, settings.port)
        if settings.port == 0:
            settings = dataclasses.replace(settings, port=self.socket.getsockname()[1])
        self.settings = settings
        try:
            configure_logging(settings, console_logging)
            self.application: Application = build(settings)
            write_sdk_defaults(settings)
        except Exception as error:
            self.socket.close()
            if isinstance(error, StartupError):
                raise
            # INFO: the traceback goes to the log file; the console gets the one-line StartupError.
            log.info("the server could not start", exc_info=True)
            raise StartupError(f"The server could not start: {error} (traceback in {settings.log_file}).") from error
        except BaseException:
            self.socket.close()
            raise
        tls = {}
        if settings.tls_cert is not None:
            if settings.tls_cert == settings.home / "tls" / "server.crt":
                ensure_self_signed(settings.tls_cert, settings.tls_key, settings.host)
            tls = {"ssl_certfile": str(settings.tls_cert), "ssl_keyfile": str(settings.tls_key)}
        config = uvicorn.Config(
            self.application.gateway,
            **tls,
            log_level="warning",
            access_log=False,  # query strings may carry security tokens: never log them
            lifespan="on",
            timeout_keep_alive=75,
            server_header=False,
        )
        self._uvicorn = _Uvicorn(config)
        self._uvicorn.caught = []

    @property
    def started(self) -> bool:
        return self._uvicorn.started

    def run(self, on_ready: Callable[[Settings], None] | None = None) -> None:
        _write_server_file(self.settings)
        try:
            if on_ready is not None:
                on_ready(self.settings)
            self._uvicorn.run(sockets=[self.socket])
        finally:
            self.application.close()
            _remove_server_file(self.settings)
            self.socket.close()
        for caught in reversed(self._uvicorn.caught):
            signal.raise_signal(caught)

    def stop(self) -> None:
        self._uvicorn.should_exit = True


def serve(settings: Settings, on_ready: Callable[[Settings], None] | None = None) -> None:
    """Serve in the foreground until interrupted. HOME/server.json names the server meanwhile."""
    Server(settings).run(on_ready)


class EmbeddedServer:
    """A server in a thread of this process, for as long as the ``with`` block lasts."""

    def __init__(self, settings: Settings) -> None:
        self.server = Server(settings, console_logging=False)
        self.settings = self.server.settings
        self._thread = threading.Thread(target=self.server.run, name="sagecraft-server", daemon=True)

    def __enter__(self) -> EmbeddedServer:
        self._thread.start()
        while not self.server.started:
            if not self._thread.is_alive():
                raise StartupError(f"The embedded server stopped while starting; see {self.settings.log_file}.")
            self._thread.join(0.02)
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.stop()
        self._thread.join()


def _write_server_file(settings: Settings) -> None:
    info = {
        "pid": os.getpid(),
        "endpoint_url": settings.endpoint_url,
        "ca_bundle": str(settings.tls_cert) if settings.tls_cert else None,
        "host": settings.host,
        "port": settings.port,
        "account_id": settings.account_id,
        "sdk_config_file": str(settings.sdk_config_file),
        "version": __version__,
        "start_ticks": start_ticks(os.getpid()),  # with the pid: tells this process from a later one
    }
    temporary = settings.server_file.with_name(f".server.json.{os.getpid()}")
    temporary.write_text(json.dumps(info))
    os.replace(temporary, settings.server_file)  # readers never see half a file


def _remove_server_file(settings: Settings) -> None:
    # Only our own: a second server on the same home may have written it since.
    try:
        info = json.loads(settings.server_file.read_text())
        if (info.get("pid"), info.get("port")) == (os.getpid(), settings.port):
            settings.server_file.unlink()
    except (OSError, ValueError):
        pass
