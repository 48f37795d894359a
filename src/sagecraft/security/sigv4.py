"""AWS Signature Version 4 verification (Authorization header and presigned query strings).

The server recomputes the signature the client made, step by step as the AWS SigV4 spec (and
botocore's signer) defines it, and compares in constant time."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from botocore.utils import normalize_url_path

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_SKEW = dt.timedelta(minutes=15)
_ALGORITHM = "AWS4-HMAC-SHA256"
_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-f]+)"
)
_SPACES = re.compile(r"\s+")
# boto3 still presigns S3 URLs with Signature Version 2 unless told otherwise.
_SIGV2 = ("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256 "
          "(for boto3 presigned URLs: Config(signature_version='s3v4')).")


class AuthError(Exception):
    """Why a request is not authenticated; the gateway words it per protocol family."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # unsigned | unsupported | unknown_key | bad_signature | skewed | expired | malformed
        self.message = message


@dataclass(frozen=True)
class Signature:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    presigned: bool
    expires: int | None = None

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"

    @property
    def timestamp(self) -> dt.datetime:
        return _parse_amz_date(self.amz_date)


def read_signature(headers: dict[str, str], query: list[tuple[str, str]]) -> Signature:
    """The signature a request carries. Raises AuthError('unsigned') when it carries none."""
    authorization = headers.get("authorization")
    if authorization:
        match = _AUTH_RE.match(authorization.strip())
        if not match:
            if authorization.startswith("AWS "):
                raise AuthError("unsupported", _SIGV2)
            raise AuthError("malformed", "The Authorization header is malformed.")
        amz_date = headers.get("x-amz-date") or _from_http_date(headers.get("date"))
        return _build(match["credential"], match["signed"], match["signature"], amz_date, False, None)
    params = dict(query)
    if params.get("X-Amz-Algorithm") == _ALGORITHM:
        try:
            expires = int(params.get("X-Amz-Expires", "604800"))
        except ValueError:
            raise AuthError("malformed", "X-Amz-Expires must be a number.") from None
        return _build(params.get("X-Amz-Credential", ""), params.get("X-Amz-SignedHeaders", ""),
                      params.get("X-Amz-Signature", ""), params.get("X-Amz-Date", ""), True, expires)
    if "AWSAccessKeyId" in params and "Signature" in params:
        raise AuthError("unsupported", _SIGV2)
    raise AuthError("unsigned", "Request is missing Authentication Token.")


def _from_http_date(value: str | None) -> str:
    if not value:
        return ""
    import email.utils

    try:
        return email.utils.parsedate_to_datetime(value).astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    except (TypeError, ValueError):
        return ""


def _build(credential: str, signed: str, signature: str, amz_date: str, presigned: bool,
           expires: int | None) -> Signature:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise AuthError("malformed", f"The credential scope '{credential}' is malformed.")
    if not re.fullmatch(r"\d{8}T\d{6}Z", amz_date or ""):
        raise AuthError("malformed", "The request has no valid X-Amz-Date.")
    return Signature(parts[0], parts[1], parts[2], parts[3], tuple(signed.split(";")), signature, amz_date,
                     presigned, expires)


def check_time(signature: Signature, now: dt.datetime | None = None) -> None:
    now = now or dt.datetime.now(dt.timezone.utc)
    when = signature.timestamp
    if signature.presigned:
        if now > when + dt.timedelta(seconds=signature.expires or 0):
            raise AuthError("expired", "Request has expired.")
        if when - now > MAX_SKEW:
            raise AuthError("skewed", "The difference between the request time and the current time is too large.")
        return
    if abs(now - when) > MAX_SKEW:
        raise AuthError("skewed", "The difference between the request time and the current time is too large.")


def _parse_amz_date(text: str) -> dt.datetime:
    """``YYYYMMDDTHHMMSSZ``, whose shape read_signature checked; sliced, as strptime costs ten times more."""
    return dt.datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]),
                       int(text[13:15]), tzinfo=dt.timezone.utc)


@functools.lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(("AWS4" + secret).encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def canonical_query(query: list[tuple[str, str]], presigned: bool) -> str:
    pairs = sorted(
        (_encode(k), _encode(v)) for k, v in query if not (presigned and k == "X-Amz-Signature")
    )
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_uri(raw_path: str, service: str) -> str:
    if service == "s3":
        return raw_path or "/"  # S3 signs the path exactly as sent, encoded once
    return quote(normalize_url_path(raw_path), safe="/~")


def canonical_request(method: str, raw_path: str, query: list[tuple[str, str]], headers: dict[str, str],
                      signature: Signature, payload_hash: str) -> str:
    lines = []
    for name in signature.signed_headers:
        value = headers.get(name)
        if value is None:
            raise AuthError("bad_signature", f"The signed header '{name}' is missing from the request.")
        lines.append(f"{name}:{_SPACES.sub(' ', value.strip())}\n")
    return "\n".join([
        method.upper(),
        canonical_uri(raw_path, signature.service),
        canonical_query(query, signature.presigned),
        "".join(lines),
        ";".join(signature.signed_headers),
        payload_hash,
    ])


def expected_signature(secret: str, signature: Signature, canonical: str) -> str:
    to_sign = "\n".join([_ALGORITHM, signature.amz_date, signature.scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = signing_key(secret, signature.date, signature.region, signature.service)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, method: str, raw_path: str, query: list[tuple[str, str]], headers: dict[str, str],
           signature: Signature, payload_hash: str) -> None:
    canonical = canonical_request(method, raw_path, query, headers, signature, payload_hash)
    if not hmac.compare_digest(expected_signature(secret, signature, canonical), signature.signature):
        raise AuthError(
            "bad_signature",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )


def chunk_signature(secret: str, signature: Signature, previous: str, chunk_hash: str) -> str:
    """The signature of one chunk of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body."""
    to_sign = "\n".join([f"{_ALGORITHM}-PAYLOAD", signature.amz_date, signature.scope, previous,
                         EMPTY_SHA256, chunk_hash])
    key = signing_key(secret, signature.date, signature.region, signature.service)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def raw_query_pairs(query_string: str) -> list[tuple[str, str]]:
    """Query pairs decoded exactly once (``+`` kept literal, as SigV4 canonicalization wants)."""
    pairs = []
    for part in query_string.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs
