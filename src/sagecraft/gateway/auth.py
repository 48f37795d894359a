"""Authentication at the edge: every request is SigV4-verified against a known key."""

from __future__ import annotations

from sagecraft.core.errors import AwsError
from sagecraft.security.sigv4 import AuthError

# How each protocol family words an authentication failure: kind -> (code, status).
_CODES = {
    "rest-xml": {
        "unsigned": ("AccessDenied", 403),
        "unsupported": ("InvalidRequest", 400),
        "unknown_key": ("InvalidAccessKeyId", 403),
        "bad_token": ("InvalidToken", 400),
        "bad_signature": ("SignatureDoesNotMatch", 403),
        "skewed": ("RequestTimeTooSkewed", 403),
        "expired": ("AccessDenied", 403),
        "malformed": ("AuthorizationHeaderMalformed", 400),
    },
    "json": {
        "unsigned": ("MissingAuthenticationTokenException", 403),
        "unsupported": ("IncompleteSignatureException", 403),
        "unknown_key": ("UnrecognizedClientException", 403),
        "bad_token": ("UnrecognizedClientException", 403),
        "bad_signature": ("InvalidSignatureException", 403),
        "skewed": ("RequestTimeTooSkewed", 403),
        "expired": ("ExpiredTokenException", 403),
        "malformed": ("IncompleteSignatureException", 403),
    },
    "query": {
        "unsigned": ("MissingAuthenticationToken", 403),
        "unsupported": ("IncompleteSignature", 403),
        "unknown_key": ("InvalidClientTokenId", 403),
        "bad_token": ("InvalidClientTokenId", 403),
        "bad_signature": ("SignatureDoesNotMatch", 403),
        "skewed": ("RequestTimeTooSkewed", 403),
        "expired": ("ExpiredToken", 403),
        "malformed": ("IncompleteSignature", 403),
    },
}
_MESSAGES = {
    ("rest-xml", "unknown_key"): "The AWS Access Key Id you provided does not exist in our records.",
    ("json", "unknown_key"): "The security token included in the request is invalid.",
    ("query", "unknown_key"): "The security token included in the request is invalid.",
}


def auth_error(protocol: str, error: AuthError) -> AwsError:
    family = "json" if protocol in ("json", "rest-json") else protocol if protocol in _CODES else "json"
    code, status = _CODES[family][error.kind]
    message = _MESSAGES.get((family, error.kind), error.message)
    failure = AwsError(message, code=code, status=status)
    failure.sender_fault = True
    return failure
