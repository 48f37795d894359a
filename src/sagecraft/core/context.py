"""Who is calling, from where, in which account and region: passed to every service call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

DEFAULT_ACCOUNT_ID = "000000000000"


def new_request_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Principal:
    """The identity a request authenticated as."""

    access_key_id: str
    arn: str
    user_id: str
    account_id: str = DEFAULT_ACCOUNT_ID
    session_token: str | None = None


@dataclass
class RequestContext:
    principal: Principal
    region: str
    account_id: str = DEFAULT_ACCOUNT_ID
    request_id: str = field(default_factory=new_request_id)
    source_ip: str = ""
    endpoint_url: str = ""  # how the caller reached us, e.g. for S3 Location values
