"""Settings from command-line options and the environment (see design.md's contracts table)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sagecraft.core.context import DEFAULT_ACCOUNT_ID

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8642
DEFAULT_REGION = "us-east-1"


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """``--home``, else ``$SAGECRAFT_HOME``, else ``~/.sagecraft``."""
    chosen = home or os.environ.get("SAGECRAFT_HOME") or Path.home() / ".sagecraft"
    return Path(chosen).expanduser().resolve()


def default_bucket_name(region: str, account_id: str) -> str:
    """The SageMaker SDK's default bucket name (``Session.default_bucket()``)."""
    return f"sagemaker-{region}-{account_id}"


@dataclass(frozen=True)
class Settings:
    home: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    account_id: str = DEFAULT_ACCOUNT_ID
    database_url: str = ""
    object_store: str = ""
    executor: str = "local"
    tls_cert: Path | None = None  # set: the server speaks HTTPS with this certificate (and tls_key)
    tls_key: Path | None = None

    @classmethod
    def load(cls, home: str | os.PathLike | None = None, host: str | None = None,
             port: int | None = None, *, tls: bool = False, tls_cert: str | os.PathLike | None = None,
             tls_key: str | os.PathLike | None = None) -> Settings:
        """``tls`` without a certificate: a self-signed one under HOME/tls (made by the server)."""
        root = resolve_home(home)
        if tls or tls_cert:
            tls_cert = Path(tls_cert) if tls_cert else root / "tls" / "server.crt"
            tls_key = Path(tls_key) if tls_key else root / "tls" / "server.key"
        return cls(
            home=root,
            host=host or DEFAULT_HOST,
            port=DEFAULT_PORT if port is None else port,  # 0 asks the OS for a free port
            account_id=os.environ.get("SAGECRAFT_ACCOUNT_ID", DEFAULT_ACCOUNT_ID),
            database_url=os.environ.get("SAGECRAFT_DATABASE_URL") or f"sqlite:///{root / 'metadata.sqlite3'}",
            object_store=os.environ.get("SAGECRAFT_OBJECT_STORE") or f"file://{root / 'objects'}",
            executor=os.environ.get("SAGECRAFT_EXECUTOR", "local"),
            tls_cert=Path(tls_cert).resolve() if tls_cert else None,
            tls_key=Path(tls_key).resolve() if tls_key else None,
        )

    @property
    def endpoint_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"{'https' if self.tls_cert else 'http'}://{host}:{self.port}"

    @property
    def credentials_file(self) -> Path:
        return self.home / "credentials"

    @property
    def server_file(self) -> Path:
        """Written by a running server: its pid and endpoint, so ``env``/``down`` can find it."""
        return self.home / "server.json"

    @property
    def spool_dir(self) -> Path:
        return self.home / "tmp"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "server.log"

    @property
    def sdk_config_file(self) -> Path:
        return self.home / "sagemaker-config.yaml"
