"""Reaching the running Sagecraft server of a home from the client side: the environment that
points AWS tools at it (``sagecraft env``), a boto3 session, a ready ``sagemaker.Session``.

The server names itself in ``HOME/server.json`` while it runs; its admin key is in
``HOME/credentials``."""

from __future__ import annotations

import functools
import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from sagecraft.config.settings import DEFAULT_REGION, Settings, default_bucket_name
from sagecraft.core.processes import process_alive
from sagecraft.security.admin_key import read_admin_key

# Variables that would make botocore ignore the exported keys: an explicit profile disables the
# environment credentials, and a leftover session token would be sent along with our key.
SHADOWING_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class NoServerRunning(RuntimeError):
    """No Sagecraft server runs for a home; the message says how to start one."""


@dataclass(frozen=True)
class ServerInfo:
    home: Path
    pid: int
    endpoint_url: str
    account_id: str
    sdk_config_file: Path
    ca_bundle: str | None = None  # the server's certificate when it speaks HTTPS


def running_server(home: str | os.PathLike | None = None) -> ServerInfo | None:
    """The server running for ``home``, or None (a stale server.json is removed)."""
    settings = Settings.load(home)
    try:
        info = json.loads(settings.server_file.read_text())
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not process_alive(pid, info.get("start_ticks")):
        settings.server_file.unlink(missing_ok=True)
        return None
    return ServerInfo(
        home=settings.home,
        pid=pid,
        endpoint_url=info["endpoint_url"],
        account_id=info.get("account_id", settings.account_id),
        sdk_config_file=Path(info.get("sdk_config_file", settings.sdk_config_file)),
        ca_bundle=info.get("ca_bundle"),
    )


def find_server(home: str | os.PathLike | None = None) -> ServerInfo:
    info = running_server(home)
    if info is None:
        where = Settings.load(home).home
        option = f" --home {shlex.quote(str(home))}" if home else ""
        raise NoServerRunning(
            f"No Sagecraft server is running for home {where}. Start one with `sagecraft up{option}` "
            f"(or `sagecraft server{option}` in another terminal)."
        )
    return info


def admin_key(home: str | os.PathLike | None = None) -> tuple[str, str]:
    settings = Settings.load(home)
    key = read_admin_key(settings.credentials_file)
    if key is None:
        raise NoServerRunning(f"No credentials in {settings.credentials_file}: start the server once to create them.")
    return key


def client_env(home: str | os.PathLike | None = None, region: str | None = None) -> dict[str, str]:
    """The environment that points boto3, the SageMaker SDK and the AWS CLI at the server."""
    info = find_server(home)
    key_id, secret = admin_key(home)
    region = region or DEFAULT_REGION
    return {
        "AWS_ENDPOINT_URL": info.endpoint_url,
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,  # what other AWS SDKs (JS, Java, Go) read
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(info.sdk_config_file),
        **({"AWS_CA_BUNDLE": info.ca_bundle} if info.ca_bundle else {}),  # trust a self-signed certificate
    }


def shell_lines(env: dict[str, str]) -> list[str]:
    """``unset``/``export`` lines for ``eval $(sagecraft env)``."""
    return [f"unset {' '.join(SHADOWING_VARIABLES)}"] + [f"export {k}={shlex.quote(v)}" for k, v in env.items()]


@functools.cache
def _endpoint_session_class() -> type:
    import boto3  # here, not at the top: `sagecraft env`/`down` need no boto3 and answer faster

    class EndpointSession(boto3.Session):
        """A boto3 session whose clients all reach one endpoint, including those the SageMaker SDK
        points at AWS itself (its STS client, built with ``https://sts.<region>.amazonaws.com``)."""

        def __init__(self, endpoint_url: str, ca_bundle: str | None = None, **kwargs) -> None:
            super().__init__(**kwargs)
            self.endpoint_url = endpoint_url
            self.ca_bundle = ca_bundle

        def client(self, *args, **kwargs):
            given = kwargs.get("endpoint_url")
            if given is None or ".amazonaws.com" in given:
                kwargs["endpoint_url"] = self.endpoint_url
            if self.ca_bundle and kwargs.get("verify") is None:
                kwargs["verify"] = self.ca_bundle
            return super().client(*args, **kwargs)

    return EndpointSession


def boto3_session(home: str | os.PathLike | None = None, region: str | None = None):
    """A ``boto3.Session`` whose clients and resources all reach the server of ``home``."""
    info = find_server(home)
    key_id, secret = admin_key(home)
    return _endpoint_session_class()(info.endpoint_url, info.ca_bundle, aws_access_key_id=key_id,
                                     aws_secret_access_key=secret, region_name=region or DEFAULT_REGION)


def sagemaker_session(home: str | os.PathLike | None = None, region: str | None = None):
    """A ready ``sagemaker.Session`` for the server of ``home``: every client reaches the server,
    the default bucket is ``sagemaker-<region>-<account>`` and telemetry is off."""
    import sagemaker
    from sagemaker.config import load_sagemaker_config

    info = find_server(home)
    region = region or DEFAULT_REGION
    boto_session = boto3_session(home, region)
    config = load_sagemaker_config([str(info.sdk_config_file)]) if info.sdk_config_file.exists() else None
    return sagemaker.Session(
        boto_session=boto_session,
        default_bucket=default_bucket_name(region, info.account_id),
        sagemaker_config=config,
    )
