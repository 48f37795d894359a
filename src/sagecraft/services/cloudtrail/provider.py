"""CloudTrail on the wire: LookupEvents over the audit trail (management events of this server)."""

from __future__ import annotations

import datetime as dt
import json

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ClientError
from sagecraft.services.cloudtrail.events import decode_token, encode_token
from sagecraft.services.cloudtrail.trail import AuditTrail

MAX_RESULTS = 50


class InvalidLookupAttributesException(ClientError):
    code = "InvalidLookupAttributesException"


class InvalidNextTokenException(ClientError):
    code = "InvalidNextTokenException"


def _attribute_value(event: dict, key: str) -> list[str]:
    identity = event.get("userIdentity", {})
    values = {
        "EventId": [event.get("eventID")], "EventName": [event.get("eventName")],
        "ReadOnly": [str(event.get("readOnly", False)).lower()],
        "Username": [identity.get("userName") or identity.get("arn", "").rsplit("/", 1)[-1]],
        "EventSource": [event.get("eventSource")], "AccessKeyId": [identity.get("accessKeyId")],
        "ResourceName": [str(v) for k, v in (event.get("requestParameters") or {}).items()
                         if isinstance(v, str) and (k.endswith("Name") or k.endswith("Arn") or k == "Bucket")],
    }.get(key)
    if values is None:
        raise InvalidLookupAttributesException(f"LookupAttributes key {key} is not supported by Sagecraft.")
    return [v for v in values if v]


def _summary(event: dict) -> dict:
    identity = event.get("userIdentity", {})
    return {
        "EventId": event["eventID"], "EventName": event["eventName"], "ReadOnly": str(event["readOnly"]).lower(),
        "AccessKeyId": identity.get("accessKeyId", ""), "EventSource": event["eventSource"],
        "EventTime": dt.datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00")),
        "Username": identity.get("userName") or identity.get("arn", "").rsplit("/", 1)[-1],
        "Resources": [], "CloudTrailEvent": json.dumps(event),
    }


class CloudTrailProvider:
    service_name = "cloudtrail"
    threaded_operations = frozenset({"LookupEvents"})  # reads the trail file

    def __init__(self, trail: AuditTrail) -> None:
        self.trail = trail

    def lookup_events(self, context: RequestContext, params: dict) -> dict:
        attributes = params.get("LookupAttributes") or []
        if len(attributes) > 1:
            raise InvalidLookupAttributesException("You can specify only one lookup attribute.")
        start, end = params.get("StartTime"), params.get("EndTime")
        limit = min(params.get("MaxResults", MAX_RESULTS), MAX_RESULTS)
        try:
            skip = decode_token(params["NextToken"]) if params.get("NextToken") else 0
        except ValueError:
            raise InvalidNextTokenException("The NextToken is invalid.") from None
        matched, found = 0, []
        # A looked-up value appears verbatim in its event's line: other lines are skipped unparsed.
        needle = json.dumps(attributes[0]["AttributeValue"])[1:-1] if attributes else ""
        for event in self.trail.events_newest_first(needle):
            if event.get("recipientAccountId") != context.account_id:
                continue
            when = dt.datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))
            if start and when < start:
                break  # newest first: everything further is older still
            if end and when > end:
                continue
            if any(a["AttributeValue"] not in _attribute_value(event, a["AttributeKey"]) for a in attributes):
                continue
            matched += 1
            if matched <= skip:
                continue
            if len(found) == limit:
                return {"Events": found, "NextToken": encode_token(skip + limit)}
            found.append(_summary(event))
        return {"Events": found}
