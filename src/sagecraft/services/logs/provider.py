"""CloudWatch Logs on the wire (AWS JSON 1.1, ``Logs_20140328``)."""

from __future__ import annotations

from sagecraft.core.arns import parse_arn
from sagecraft.core.context import RequestContext
from sagecraft.services.logs.errors import InvalidParameterException, group_not_found
from sagecraft.services.logs.models import LogEvent, LogGroup, LogScope, LogStream
from sagecraft.services.logs.service import LogsService
from sagecraft.services.logs.tokens import Position, position_number


def _scope(context: RequestContext) -> LogScope:
    return LogScope(context.account_id, context.region)


def _group_name(scope: LogScope, params: dict, required: bool = True) -> str | None:
    """logGroupName, or logGroupIdentifier (a name or a log group ARN)."""
    name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
    if name and identifier:
        raise InvalidParameterException("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if identifier is None:
        if name is None and required:
            raise InvalidParameterException("Either logGroupName or logGroupIdentifier must be specified.")
        return name
    if not identifier.startswith("arn:"):
        return identifier
    try:
        parts = parse_arn(identifier)
    except ValueError:
        raise group_not_found() from None
    resource = parts["resource"]
    if resource.endswith(":*"):
        resource = resource[:-2]
    if (parts["service"] != "logs" or not resource.startswith("log-group:")
            or parts["account_id"] != scope.account_id or parts["region"] != scope.region):
        raise group_not_found()
    return resource[len("log-group:"):]


def _group_out(group: LogGroup) -> dict:
    out = {
        "logGroupName": group.name,
        "creationTime": group.created_ms,
        "metricFilterCount": 0,
        "arn": group.arn + ":*",
        "logGroupArn": group.arn,
        "storedBytes": group.stored_bytes,
        "logGroupClass": group.group_class,
        "deletionProtectionEnabled": group.deletion_protection,
    }
    if group.retention_days is not None:
        out["retentionInDays"] = group.retention_days
    if group.kms_key_id:
        out["kmsKeyId"] = group.kms_key_id
    return out


def _stream_out(stream: LogStream) -> dict:
    out = {
        "logStreamName": stream.name,
        "creationTime": stream.created_ms,
        "arn": stream.arn,
        "storedBytes": stream.stored_bytes,
    }
    if stream.last_event_ms is not None:
        out.update(firstEventTimestamp=stream.first_event_ms, lastEventTimestamp=stream.last_event_ms,
                   lastIngestionTime=stream.last_ingestion_ms, uploadSequenceToken=f"{stream.upload_sequence:056d}")
    return out


def _event_out(event: LogEvent) -> dict:
    return {"timestamp": event.timestamp_ms, "message": event.message, "ingestionTime": event.ingestion_ms}


class LogsProvider:
    service_name = "logs"
    # Every operation reads or writes the metadata store: keep them off the event loop.
    threaded_operations = frozenset({
        "CreateLogGroup", "CreateLogStream", "DeleteLogGroup", "DeleteLogStream", "PutLogEvents",
        "DescribeLogGroups", "DescribeLogStreams", "GetLogEvents", "FilterLogEvents",
        "PutRetentionPolicy", "DeleteRetentionPolicy",
    })

    def __init__(self, service: LogsService) -> None:
        self.service = service

    def create_log_group(self, context: RequestContext, params: dict) -> dict:
        self.service.create_group(
            _scope(context), params["logGroupName"], kms_key_id=params.get("kmsKeyId"),
            group_class=params.get("logGroupClass", "STANDARD"), tags=params.get("tags"),
            deletion_protection=params.get("deletionProtectionEnabled", False),
        )
        return {}

    def delete_log_group(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_group(_scope(context), params["logGroupName"])
        return {}

    def put_retention_policy(self, context: RequestContext, params: dict) -> dict:
        self.service.put_retention(_scope(context), params["logGroupName"], params["retentionInDays"])
        return {}

    def delete_retention_policy(self, context: RequestContext, params: dict) -> dict:
        self.service.put_retention(_scope(context), params["logGroupName"], None)
        return {}

    def create_log_stream(self, context: RequestContext, params: dict) -> dict:
        self.service.create_stream(_scope(context), params["logGroupName"], params["logStreamName"])
        return {}

    def delete_log_stream(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_stream(_scope(context), params["logGroupName"], params["logStreamName"])
        return {}

    def describe_log_groups(self, context: RequestContext, params: dict) -> dict:
        scope = _scope(context)
        prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
        if prefix and pattern:
            raise InvalidParameterException(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
        identifiers = params.get("logGroupIdentifiers")
        if identifiers:
            names = sorted({_group_name(scope, {"logGroupIdentifier": i}) for i in identifiers})
            groups, _ = self.service.list_groups(scope, names=names, group_class=params.get("logGroupClass"),
                                                 limit=len(names))
            return {"logGroups": [_group_out(g) for g in groups]}
        groups, token = self.service.list_groups(
            scope, prefix=prefix, pattern=pattern, group_class=params.get("logGroupClass"),
            limit=params.get("limit", 50), token=params.get("nextToken"),
        )
        out: dict = {"logGroups": [_group_out(g) for g in groups]}
        if token:
            out["nextToken"] = token
        return out

    def describe_log_streams(self, context: RequestContext, params: dict) -> dict:
        scope = _scope(context)
        group = _group_name(scope, params)
        streams, token = self.service.list_streams(
            scope, group, prefix=params.get("logStreamNamePrefix"),
            by_last_event=params.get("orderBy") == "LastEventTime", descending=params.get("descending", False),
            limit=params.get("limit", 50), token=params.get("nextToken"),
        )
        out: dict = {"logStreams": [_stream_out(s) for s in streams]}
        if token:
            out["nextToken"] = token
        return out

    def put_log_events(self, context: RequestContext, params: dict) -> dict:
        events = [(e["timestamp"], e["message"]) for e in params["logEvents"]]
        result = self.service.put_events(_scope(context), params["logGroupName"], params["logStreamName"], events)
        out: dict = {"nextSequenceToken": result.next_sequence_token}
        rejected = {
            "tooNewLogEventStartIndex": result.too_new_start,
            "tooOldLogEventEndIndex": result.too_old_end,
            "expiredLogEventEndIndex": result.expired_end,
        }
        rejected = {k: v for k, v in rejected.items() if v is not None}
        if rejected:
            out["rejectedLogEventsInfo"] = rejected
        return out

    def get_log_events(self, context: RequestContext, params: dict) -> dict:
        scope = _scope(context)
        page = self.service.get_events(
            scope, _group_name(scope, params), params["logStreamName"], start_ms=params.get("startTime"),
            end_ms=params.get("endTime"), limit=params.get("limit"), token=params.get("nextToken"),
            from_head=params.get("startFromHead", False),
        )
        return {
            "events": [_event_out(e) for e in page.events],
            "nextForwardToken": page.forward_token,
            "nextBackwardToken": page.backward_token,
        }

    def filter_log_events(self, context: RequestContext, params: dict) -> dict:
        scope = _scope(context)
        page = self.service.filter_events(
            scope, _group_name(scope, params), stream_names=params.get("logStreamNames"),
            stream_prefix=params.get("logStreamNamePrefix"), start_ms=params.get("startTime"),
            end_ms=params.get("endTime"), pattern=params.get("filterPattern"), limit=params.get("limit"),
            token=params.get("nextToken"),
        )
        events = [{**_event_out(e), "logStreamName": e.stream_name, "eventId": _event_id(e)} for e in page.events]
        out: dict = {"events": events, "searchedLogStreams": []}  # no longer reported by AWS either
        if page.next_token:
            out["nextToken"] = page.next_token
        return out


def _event_id(event: LogEvent) -> str:
    return position_number(Position(event.timestamp_ms, event.event_id))
