"""The gateway's client to the workers: framed requests (executors/serving/frames.py) over pooled
Unix-socket connections, each an asyncio protocol that completes one future per request. The hot
path does no HTTP formatting or parsing, no per-request connection and no stream-reader turns."""

from __future__ import annotations

import asyncio
import os
import socket
from collections import defaultdict

from sagecraft.executors.serving.frames import RESPONSE, FrameReader, decode_meta, request_frame

# SageMaker gives a model 60 s to answer; then the invocation fails with ModelError.
TIMEOUT_SECONDS = float(os.environ.get("SAGECRAFT_MODEL_TIMEOUT_SECONDS", "60"))
MAX_IDLE = 64


class WorkerUnavailable(Exception):
    pass


class _Connection(asyncio.Protocol):
    """One connection to a worker; one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.reader = FrameReader(RESPONSE)
        self.waiter: asyncio.Future | None = None
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        frames = self.reader.feed(data)
        if frames and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(frames[0])

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the model server closed the connection"))

    async def exchange(self, frame: bytes) -> tuple[tuple[int, ...], bytes, bytes]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(frame)
        try:
            return await self.waiter
        finally:
            self.waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class WorkerClient:
    def __init__(self) -> None:
        self._idle: dict[str, list[_Connection]] = defaultdict(list)

    async def invoke(self, address: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """One invocation: (status, response headers, body). A pooled connection the worker closed
        meanwhile (it was restarted) is retried once on a fresh one."""
        frame = request_frame(body, headers)
        for attempt in range(2):
            connection = self._pooled(address) if attempt == 0 else None
            fresh = connection is None
            if fresh:
                try:
                    connection = await self._connect(address)
                except OSError as error:
                    raise WorkerUnavailable(str(error)) from None
            try:
                # asyncio.timeout, not wait_for: no extra task (and loop turn) per invocation.
                async with asyncio.timeout(TIMEOUT_SECONDS):
                    (status, _, _), meta, reply = await connection.exchange(frame)
            except ConnectionError:
                connection.close()
                if fresh:
                    raise WorkerUnavailable("the model server closed the connection") from None
                continue
            except BaseException:
                connection.close()  # a late answer must never reach the next request
                raise
            pool = self._idle[address]
            if len(pool) < MAX_IDLE:
                pool.append(connection)
            else:
                connection.close()
            return status, decode_meta(meta), reply
        raise WorkerUnavailable("the model server closed the connection")

    def _pooled(self, address: str) -> _Connection | None:
        pool = self._idle[address]
        while pool:
            connection = pool.pop()
            if not connection.closed:
                return connection
        return None

    @staticmethod
    async def _connect(address: str) -> _Connection:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
            _, connection = await loop.create_unix_connection(_Connection, sock=sock)
        except BaseException:
            sock.close()
            raise
        return connection

    def close(self) -> None:
        for pool in self._idle.values():
            for connection in pool:
                connection.close()
        self._idle.clear()
