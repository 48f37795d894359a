"""One model server process: ``python -m sagecraft.executors.serving.worker --fd N``.

It loads the model before serving (a load failure exits non-zero with the reason on stderr), then
answers the SageMaker inference contract on the listening socket it inherited: ``GET /ping`` and
``POST /invocations``; the gateway's invocations arrive as frames (frames.py) on a second, Unix
socket (``--frame-fd``). It exits when the server that started it is gone. Environment:
SAGECRAFT_HANDLER (xgboost-builtin | framework | multi-model), SM_MODEL_DIR, SAGEMAKER_PROGRAM,
SAGECRAFT_CODE_DIR, SAGECRAFT_FRAMEWORK, SAGECRAFT_MME_MEMORY_MB, SAGECRAFT_MME_MAX_MODELS. A
multi-model worker gets the target model's folder in the ``x-sagecraft-model-dir`` header."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

from sagecraft.executors.serving import codecs, frames
from sagecraft.executors.serving.handlers import FrameworkHandler, Handler, XGBoostBuiltin
from sagecraft.executors.serving.multimodel import MultiModelHandler

log = logging.getLogger("sagecraft.worker")


def load_handler() -> Handler:
    model_dir = Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    if os.environ.get("SAGECRAFT_HANDLER") == "multi-model":
        return MultiModelHandler.from_environment()
    if os.environ.get("SAGECRAFT_HANDLER") == "framework":
        program = Path(os.environ["SAGECRAFT_CODE_DIR"]) / os.environ["SAGEMAKER_PROGRAM"]
        if not program.exists():
            raise FileNotFoundError(f"The inference script {os.environ['SAGEMAKER_PROGRAM']!r} is not in the "
                                    "source directory.")
        return FrameworkHandler(model_dir, program, os.environ.get("SAGECRAFT_FRAMEWORK"))
    return XGBoostBuiltin(model_dir)


def answer(handler: Handler, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
    """One invocation, whichever way it arrived: (status, body, content type)."""
    try:
        target = headers.get("x-sagecraft-model-dir")
        if target and isinstance(handler, MultiModelHandler):
            reply, content_type = handler.invoke_model(target, body, headers.get("content-type"),
                                                       headers.get("accept"))
        else:
            reply, content_type = handler.invoke(body, headers.get("content-type"), headers.get("accept"))
        return 200, reply, content_type
    except (codecs.BadPayload, codecs.UnsupportedMediaType) as error:
        return error.status, str(error).encode(), "text/plain"
    except Exception as error:  # the model's own failure: a 500 with its message, logged
        print(traceback.format_exc(), file=sys.stderr, flush=True)
        return 500, f"{type(error).__name__}: {error}".encode(), "text/plain"


class App:
    """A bare ASGI app: no framework on the hot path."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/ping":
            await _reply(send, 200, b"", "text/plain")
            return
        if path != "/invocations" or scope["method"] != "POST":
            await _reply(send, 404, b"Not Found", "text/plain")
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        await _reply(send, *answer(self.handler, b"".join(chunks), headers))


async def _reply(send, status: int, body: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class FrameServer(asyncio.Protocol):
    """The gateway's framed requests (frames.py), answered in order on the event loop."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.reader = frames.FrameReader(frames.REQUEST)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        for _, meta, body in self.reader.feed(data):
            status, reply, content_type = answer(self.handler, body, frames.decode_meta(meta))
            self.transport.write(frames.response_frame(status, reply, {"content-type": content_type}))


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--frame-fd", type=int, help="a listening Unix socket for the gateway's framed requests")
    args = parser.parse_args(argv)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stdout)
    try:
        handler = load_handler()
    except Exception as error:
        print(f"Failed to load the model: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        return 1
    import uvicorn

    sock = socket.socket(fileno=args.fd)
    frame_sock = socket.socket(fileno=args.frame_fd) if args.frame_fd is not None else None
    log.info("model loaded; serving on %s", sock.getsockname())
    config = uvicorn.Config(App(handler), access_log=False, log_level="warning",
                            lifespan="off", http="httptools", loop="uvloop" if _has("uvloop") else "asyncio")
    server = uvicorn.Server(config)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(_serve(server, sock, frame_sock, handler))
    return 0


async def _serve(server, sock: socket.socket, frame_sock: socket.socket | None, handler: Handler) -> None:
    # Held until the end: a server object that is garbage-collected closes its listening socket.
    frame_server = None
    if frame_sock is not None:
        frame_server = await asyncio.get_running_loop().create_unix_server(lambda: FrameServer(handler),
                                                                           sock=frame_sock)
    try:
        # The socket object itself (not fd=, which uvicorn takes for AF_UNIX): asyncio then sets
        # TCP_NODELAY on each connection, else Nagle holds the body (written apart from the head) ~40 ms.
        await server.serve(sockets=[sock])
    finally:
        if frame_server is not None:
            frame_server.close()


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    sys.exit(main())
