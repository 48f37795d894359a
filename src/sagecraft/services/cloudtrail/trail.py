"""The trail file: events appended by a writer thread (off the request path), flushed and fsynced
in small batches, and read back newest first for LookupEvents."""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

BATCH_SECONDS = 0.2
log = logging.getLogger(__name__)


class AuditTrail:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # it names principals and keys
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._queue: queue.Queue[dict | Callable[[], dict] | None] = queue.Queue()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._write, name="audit-trail", daemon=True)
        self._thread.start()

    def record(self, event: dict | Callable[[], dict]) -> None:
        """Queue an event, or a function making it: the writer thread builds it, off the request path."""
        self._queue.put(event)

    def _write(self) -> None:
        while True:
            batch = [self._queue.get()]
            if batch[0] is not None:  # None: close() asks to stop
                # A batch is written BATCH_SECONDS after its first event: one write and one fsync for a
                # burst, a few a second under steady traffic. The writer sleeps out the window rather
                # than waking for each event, which would cost every request a thread switch.
                self._closing.wait(BATCH_SECONDS)
                batch += _drain(self._queue)
            lines = [json.dumps(e, separators=(",", ":")) + "\n" for e in map(_built, batch) if e is not None]
            if lines:
                self._file.write("".join(lines))
                self._file.flush()
                os.fsync(self._file.fileno())
            if None in batch:
                return

    def close(self) -> None:
        self._closing.set()
        self._queue.put(None)
        self._thread.join(timeout=5)
        self._file.close()

    def events_newest_first(self, must_contain: str = "") -> Iterator[dict]:
        """The recorded events, newest first; ``must_contain`` skips, unparsed, the lines without it."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            lines = handle.readlines()
        for line in reversed(lines):
            if must_contain and must_contain not in line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:  # a torn last line after a crash
                continue


def _built(event: dict | Callable[[], dict] | None) -> dict | None:
    if not callable(event):
        return event
    try:
        return event()
    except Exception:  # a record that cannot be built must not stop the trail
        log.exception("audit trail: an event could not be built")
        return None


def _drain(waiting: queue.Queue) -> list:
    taken = []
    try:
        while True:
            taken.append(waiting.get_nowait())
    except queue.Empty:
        return taken
