"""Wiring of the audit trail: the trail file under the home, LookupEvents, and the gateway's hook."""

from __future__ import annotations

import time

from sagecraft.config.settings import Settings
from sagecraft.core.context import RequestContext
from sagecraft.services.cloudtrail.events import api_call
from sagecraft.services.cloudtrail.provider import CloudTrailProvider
from sagecraft.services.cloudtrail.trail import AuditTrail


class AuditHook:
    """What the gateway calls once per answered request."""

    def __init__(self, trail: AuditTrail) -> None:
        self.trail = trail

    def __call__(self, context: RequestContext, signing_name: str, operation: str, params: dict | None,
                 error: tuple[str, str] | None, user_agent: str) -> None:
        when = time.time()
        self.trail.record(lambda: api_call(context, signing_name, operation, params, error, user_agent, when))


def audit_trail(settings: Settings, closers: list) -> tuple[CloudTrailProvider, AuditHook]:
    trail = AuditTrail(settings.home / "audit" / "trail.jsonl")
    closers.append(trail.close)
    return CloudTrailProvider(trail), AuditHook(trail)
