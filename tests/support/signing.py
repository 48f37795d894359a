"""Hand-made SigV4 requests: any body, any headers, any clock, signed with botocore's signer."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

import botocore.auth
import botocore.compat
import urllib3
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "us-east-1"
_HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=60))


@contextmanager
def clock(offset: dt.timedelta) -> Iterator[None]:
    """botocore signs (and presigns) as if the time were now + ``offset``."""
    real = botocore.compat.get_current_datetime

    def shifted(remove_tzinfo: bool = True) -> dt.datetime:
        return real(remove_tzinfo) + offset

    with contextlib.ExitStack() as patches:
        # With awscrt installed botocore signs with CRT's signer, which has its own import.
        for module in (botocore.auth, _crt_auth()):
            if module is not None:
                patches.enter_context(mock.patch.object(module, "get_current_datetime", shifted))
        yield


def _crt_auth():
    try:
        import botocore.crt.auth as crt_auth
    except ImportError:
        return None
    return crt_auth


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def send(endpoint_url: str, method: str, path: str = "/", *, service: str, keys: tuple[str, str] | None,
         body: bytes = b"", headers: dict[str, str] | None = None, region: str = REGION) -> Reply:
    """Send one request, signed for ``service`` with ``keys`` (None: unsigned)."""
    request = AWSRequest(method=method, url=endpoint_url + path, data=body, headers=dict(headers or {}))
    if keys is not None:
        signer = S3SigV4Auth if service == "s3" else SigV4Auth
        signer(Credentials(*keys), service, region).add_auth(request)
    prepared = request.prepare()
    return fetch(method, prepared.url, headers=dict(prepared.headers.items()), body=body)


def fetch(method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Reply:
    response = _HTTP.request(method, url, headers=headers or {}, body=body or None, redirect=False)
    return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.data)


def json_call(endpoint_url: str, target: str, body: bytes, keys: tuple[str, str] | None, *,
              service: str = "sagemaker", version: str = "1.1") -> Reply:
    headers = {"X-Amz-Target": target, "Content-Type": f"application/x-amz-json-{version}"}
    return send(endpoint_url, "POST", "/", service=service, keys=keys, body=body, headers=headers)
