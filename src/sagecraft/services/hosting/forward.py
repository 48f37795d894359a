"""A lean keep-alive HTTP/1.1 client to the workers (asyncio streams, a pool of idle connections
per port): the invocation hot path does no per-request connection or process work."""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict

# SageMaker gives a model 60 s to answer; then the invocation fails with ModelError.
TIMEOUT_SECONDS = float(os.environ.get("SAGECRAFT_MODEL_TIMEOUT_SECONDS", "60"))
MAX_IDLE = 64


class WorkerUnavailable(Exception):
    pass


class WorkerClient:
    def __init__(self) -> None:
        self._idle: dict[int, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = defaultdict(list)

    async def invoke(self, port: int, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """POST /invocations; a stale pooled connection is retried once on a fresh one."""
        for attempt in range(2):
            fresh = attempt == 1 or not self._idle[port]
            try:
                reader, writer = await self._connect(port, fresh)
            except OSError as error:
                raise WorkerUnavailable(str(error)) from None
            try:
                # asyncio.timeout, not wait_for: no extra task (and loop turn) per invocation.
                async with asyncio.timeout(TIMEOUT_SECONDS):
                    result = await self._exchange(reader, writer, body, headers)
            except (ConnectionError, asyncio.IncompleteReadError, ValueError):
                writer.close()
                if fresh:
                    raise WorkerUnavailable("the model server closed the connection") from None
                continue
            except BaseException:
                writer.close()
                raise
            if len(self._idle[port]) < MAX_IDLE:
                self._idle[port].append((reader, writer))
            else:
                writer.close()
            return result
        raise WorkerUnavailable("the model server closed the connection")

    async def _connect(self, port: int, fresh: bool):
        if not fresh:
            return self._idle[port].pop()
        return await asyncio.open_connection("127.0.0.1", port)

    @staticmethod
    async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes,
                        headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(f"POST /invocations HTTP/1.1\r\nhost: worker\r\ncontent-length: {len(body)}\r\n{head}\r\n"
                     .encode("latin-1") + body)
        await writer.drain()
        status_line = await reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        response_headers: dict[str, str] = {}
        while True:
            line = await reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            response_headers[name.strip().lower()] = value.strip()
        if response_headers.get("transfer-encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
            return status, response_headers, bytes(data)
        length = int(response_headers.get("content-length", "0"))
        return status, response_headers, await reader.readexactly(length)

    def close(self) -> None:
        for pool in self._idle.values():
            for _, writer in pool:
                writer.close()
        self._idle.clear()
