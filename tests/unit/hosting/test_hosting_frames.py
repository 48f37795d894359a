"""The framed gateway-to-worker protocol: frames split or batched by the socket, headers with any
text, and the client's pool against a real frame server on a Unix socket (answers, the model's
errors, a worker that went away, a pooled connection the worker closed)."""

from __future__ import annotations

import asyncio

import pytest

from sagecraft.executors.serving import frames
from sagecraft.executors.serving.codecs import BadPayload
from sagecraft.executors.serving.worker import FrameServer
from sagecraft.services.hosting.forward import WorkerClient, WorkerUnavailable


def test_frames_split_anywhere_or_batched_come_out_whole():
    one = frames.request_frame(b"1,2,3", {"content-type": "text/csv", "accept": "application/json"})
    two = frames.request_frame(b"", {})
    stream = one + two
    for cut in range(1, len(stream)):
        reader = frames.FrameReader(frames.REQUEST)
        got = reader.feed(stream[:cut]) + reader.feed(stream[cut:])
        assert [(frames.decode_meta(meta), body) for _, meta, body in got] == [
            ({"content-type": "text/csv", "accept": "application/json"}, b"1,2,3"), ({}, b"")]
        assert not reader.buffer


def test_meta_keeps_any_text_and_status_travels():
    headers = {"x-sagecraft-model-dir": "/home/josé/models/m:1", "x-amzn-sagemaker-custom-attributes": "a=b, c"}
    [(fields, meta, body)] = frames.FrameReader(frames.RESPONSE).feed(frames.response_frame(424, b"x" * 70000,
                                                                                            headers))
    assert fields[0] == 424 and frames.decode_meta(meta) == headers and body == b"x" * 70000


class _Echo:
    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> tuple[bytes, str]:
        if body == b"bad":
            raise BadPayload("Feature size of csv inference data 1 is not consistent")
        if body == b"boom":
            raise RuntimeError("the model broke")
        return body[::-1] + (accept or "").encode(), content_type or "text/plain"


def test_client_round_trips_errors_and_reconnects(capsys):
    async def scenario() -> None:
        listener, address = frames.bind_listener()
        loop = asyncio.get_running_loop()
        accepted: list[FrameServer] = []

        def protocol() -> FrameServer:
            accepted.append(FrameServer(_Echo()))
            return accepted[-1]

        server = await loop.create_unix_server(protocol, sock=listener)
        client = WorkerClient()
        try:
            assert await client.invoke(address, b"abc", {"content-type": "text/csv", "accept": "!"}) == (
                200, {"content-type": "text/csv"}, b"cba!")
            status, headers, body = await client.invoke(address, b"bad", {})
            assert (status, headers["content-type"]) == (400, "text/plain") and b"Feature size" in body
            status, _, body = await client.invoke(address, b"boom", {})
            assert (status, body) == (500, b"RuntimeError: the model broke")
            calls = await asyncio.gather(*(client.invoke(address, str(i).encode(), {}) for i in range(20)))
            assert [c[2] for c in calls] == [str(i).encode()[::-1] for i in range(20)]
            # The worker goes away and another takes its address (a restart): the pooled connections it
            # closed are not used again, a fresh one serves.
            server.close()
            for served in accepted:
                served.transport.close()
            await server.wait_closed()
            while not all(pooled.closed for pooled in client._idle[address]):
                await asyncio.sleep(0)  # the client hears of each close on a later loop turn
            server = await loop.create_unix_server(protocol, path=address)
            assert (await client.invoke(address, b"xy", {}))[2] == b"yx"
            server.close()
            await server.wait_closed()
            with pytest.raises(WorkerUnavailable):
                await client.invoke("\0sagecraft-worker-nobody-listens", b"x", {})
        finally:
            client.close()
            frames.release(address)

    asyncio.run(scenario())
    assert "RuntimeError: the model broke" in capsys.readouterr().err  # the traceback goes to the worker log
