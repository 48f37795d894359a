"""Step policies: CacheConfig (same arguments within ExpireAfter → reuse) and RetryPolicies
(which failures are retried, how often and after how long), as the SDK's retry model defines them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from sagecraft.core.errors import AwsError

_DURATION = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
EXCEPTION_TYPES = (
    "Step.SERVICE_FAULT",
    "Step.THROTTLING",
    "SageMaker.JOB_INTERNAL_ERROR",
    "SageMaker.CAPACITY_ERROR",
    "SageMaker.RESOURCE_LIMIT",
)
DEFAULT_INTERVAL_SECONDS = 1.0
DEFAULT_BACKOFF_RATE = 2.0


def expire_after(text: str | None) -> dt.timedelta | None:
    """An ISO 8601 duration (``PT1H``, ``P30D``); None when absent (cached results never expire)."""
    if not text:
        return None
    match = _DURATION.match(text.strip().upper())
    if match is None or not any(match.groups()):
        return None
    years, months, weeks, days, hours, minutes, seconds = match.groups()
    return dt.timedelta(
        days=365 * int(years or 0) + 30 * int(months or 0) + 7 * int(weeks or 0) + int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=float(seconds or 0),
    )


def valid_expiry(text: str | None) -> bool:
    return not text or expire_after(text) is not None


def cache_key(step_type: str, arguments: Any, extra: Any = None) -> str:
    """A digest of the step's arguments as resolved, with execution variables left symbolic (so that
    default output paths, which hold the execution id, still match across executions)."""
    text = json.dumps({"type": step_type, "arguments": arguments, "extra": extra}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def call_failure_type(error: Exception) -> str | None:
    """The retry ExceptionType a failed Create* call counts as (None: never retried)."""
    if isinstance(error, AwsError):
        if error.code in ("ThrottlingException", "Throttling", "TooManyRequestsException"):
            return "Step.THROTTLING"
        if error.code == "ResourceLimitExceeded":
            return "SageMaker.RESOURCE_LIMIT"
        if error.status >= 500:
            return "Step.SERVICE_FAULT"
        return None
    return "Step.SERVICE_FAULT"  # an unexpected error inside Sagecraft


def job_failure_type(reason: str | None) -> str | None:
    """The retry ExceptionType a failed job counts as, from its FailureReason."""
    text = (reason or "").lstrip()
    if text.startswith(("InternalServerError", "InternalFailure")):
        return "SageMaker.JOB_INTERNAL_ERROR"
    if text.startswith(("CapacityError", "InsufficientCapacity")):
        return "SageMaker.CAPACITY_ERROR"
    if text.startswith("ResourceLimitExceeded"):
        return "SageMaker.RESOURCE_LIMIT"
    return None


def retry_delay(
    policies: list[dict[str, Any]], failure_type: str | None, attempt: int, first_started: dt.datetime, now: dt.datetime
) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or None when no policy allows another attempt.
    MaxAttempts counts retries; ExpireAfterMin bounds the time since the step first started."""
    if failure_type is None:
        return None
    for policy in policies:
        if failure_type not in (policy.get("ExceptionType") or []):
            continue
        retries = attempt - 1
        if policy.get("MaxAttempts") is not None and retries >= int(policy["MaxAttempts"]):
            continue
        minutes = policy.get("ExpireAfterMin")
        if minutes is not None and now - first_started >= dt.timedelta(minutes=float(minutes)):
            continue
        if policy.get("MaxAttempts") is None and minutes is None:
            continue
        interval = float(policy.get("IntervalSeconds") or DEFAULT_INTERVAL_SECONDS)
        backoff = float(policy.get("BackoffRate") or DEFAULT_BACKOFF_RATE)
        return interval * backoff**retries
    return None
