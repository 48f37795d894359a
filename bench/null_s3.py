"""The client's ceiling: an ASGI app that accepts any PutObject and answers any GetObject with
8 MiB of zeros, doing no work. boto3 against it shows how fast the client side alone can go.

    python bench/null_s3.py PORT
"""

from __future__ import annotations

import sys

import uvicorn

OBJECT = bytes(8 * 1024 * 1024)


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    while True:
        message = await receive()
        if not message.get("more_body"):
            break
    body = OBJECT if scope["method"] == "GET" and scope["path"].count("/") > 1 else b""
    headers = [(b"etag", b'"0"'), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
