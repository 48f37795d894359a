"""Group commit for writes that arrive on the server's event loop.

A PutRecord validated on the loop hands its change to one committer thread and awaits it. The
committer takes everything queued when it wakes and commits it in one transaction (one disk sync)
before resolving the waiters, so a 200 still means "on disk", while concurrent writers share the
sync and no request pays a hop to a worker thread of its own."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable

from sagecraft.services.featurestore.online import Write

log = logging.getLogger(__name__)

Change = tuple[str, list[Write], list[tuple[str, str]]]
ApplyBatch = Callable[[list[Change]], list[BaseException | None]]
MAX_BATCH = 2000  # bounds one transaction (and the wait of the first writer in it)


class GroupCommitter:
    def __init__(self, apply_batch: ApplyBatch) -> None:
        self.apply_batch = apply_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False

    async def apply(self, change: Change) -> None:
        """Returns once ``change`` is durable; raises the store's error if its transaction failed."""
        if self._closed:
            raise RuntimeError("the feature store is shutting down")
        self._ensure_started()
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._queue.put((loop, done, change))
        await done

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="featurestore-commit", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(item)
            try:
                errors = self.apply_batch([change for _, _, change in batch])
            except BaseException as error:  # the store itself failed: every waiter sees it
                log.exception("feature store group commit failed")
                errors = [error] * len(batch)
            by_loop: dict[asyncio.AbstractEventLoop, list] = {}
            for (loop, done, _), error in zip(batch, errors, strict=True):
                by_loop.setdefault(loop, []).append((done, error))
            for loop, results in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_resolve, results)
                except RuntimeError:  # that loop is closed: nobody waits any more
                    pass

    def close(self) -> None:
        """Commits what is queued, then stops the thread."""
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(30)


def _resolve(results: list[tuple[asyncio.Future, BaseException | None]]) -> None:
    for done, error in results:
        if done.cancelled():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
