"""Amazon Athena on the wire (json 1.1): query executions and their results."""

from __future__ import annotations

import base64
import json
from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.services.athena.results import parse_csv
from sagecraft.services.athena.service import AthenaService, InvalidRequest, split_s3
from sagecraft.storage.objects.base import ObjectNotFound


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except ValueError:
        raise InvalidRequest("Invalid NextToken") from None


class AthenaProvider:
    service_name = "athena"
    threaded_operations = frozenset(
        {
            "StartQueryExecution",
            "GetQueryExecution",
            "GetQueryResults",
            "StopQueryExecution",
            "ListQueryExecutions",
            "BatchGetQueryExecution",
        }
    )

    def __init__(self, service: AthenaService) -> None:
        self.service = service

    def start_query_execution(self, context: RequestContext, params: dict) -> dict:
        return {"QueryExecutionId": self.service.submit(context.account_id, context.region, params)}

    def _execution(self, row: Any) -> dict[str, Any]:
        suffix = ".txt" if row.statement_type == "DDL" else ".csv"
        status: dict[str, Any] = {"State": row.state, "SubmissionDateTime": row.submitted_at}
        if row.state_change_reason:
            status["StateChangeReason"] = row.state_change_reason
        if row.completed_at:
            status["CompletionDateTime"] = row.completed_at
        if row.state == "FAILED":
            status["AthenaError"] = {
                "ErrorCategory": 2,
                "ErrorType": 1300,
                "Retryable": False,
                "ErrorMessage": row.state_change_reason or "",
            }
        return {
            "QueryExecutionId": row.query_id,
            "Query": row.query,
            "StatementType": row.statement_type,
            "ResultConfiguration": {"OutputLocation": f"{row.output_location}/{row.query_id}{suffix}"},
            "QueryExecutionContext": row.context,
            "Status": status,
            "Statistics": row.statistics or {"QueryQueueTimeInMillis": 0},
            "WorkGroup": row.work_group,
            "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
        }

    def get_query_execution(self, context: RequestContext, params: dict) -> dict:
        return {"QueryExecution": self._execution(self.service.get(context.account_id, params["QueryExecutionId"]))}

    def batch_get_query_execution(self, context: RequestContext, params: dict) -> dict:
        found, missing = [], []
        for query_id in params["QueryExecutionIds"]:
            try:
                found.append(self._execution(self.service.get(context.account_id, query_id)))
            except InvalidRequest as error:
                missing.append({"QueryExecutionId": query_id, "ErrorCode": error.code, "ErrorMessage": error.message})
        return {"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing}

    def stop_query_execution(self, context: RequestContext, params: dict) -> dict:
        self.service.stop(context.account_id, params["QueryExecutionId"])
        return {}

    def list_query_executions(self, context: RequestContext, params: dict) -> dict:
        ids = self.service.list(context.account_id, context.region, params.get("WorkGroup") or "primary")
        start = _offset(params.get("NextToken"))
        size = params.get("MaxResults") or 50
        out: dict[str, Any] = {"QueryExecutionIds": ids[start : start + size]}
        if start + size < len(ids):
            out["NextToken"] = _token(start + size)
        return out

    def get_query_results(self, context: RequestContext, params: dict) -> dict:
        row = self.service.get(context.account_id, params["QueryExecutionId"])
        if row.state != "SUCCEEDED":
            reason = f" {row.state_change_reason}" if row.state == "FAILED" and row.state_change_reason else ""
            raise InvalidRequest(
                f"Query has not yet finished. Current state: {row.state}"
                if row.state in ("QUEUED", "RUNNING")
                else f"Query did not succeed. Current state: {row.state}.{reason}"
            )
        if row.statement_type == "DDL":
            return {"ResultSet": {"Rows": [], "ResultSetMetadata": {"ColumnInfo": []}}, "UpdateCount": 0}
        bucket, key = split_s3(f"{row.output_location}/{row.query_id}.csv")
        try:
            rows = parse_csv(self._read(bucket, key))
            info = json.loads(self._read(bucket, f"{key}.metadata"))["ColumnInfo"]
        except ObjectNotFound:
            raise InvalidRequest(
                f"The query results of {row.query_id} are no longer in {row.output_location}"
            ) from None
        start = _offset(params.get("NextToken"))
        size = params.get("MaxResults") or 1000
        if not 1 <= size <= 1000:
            raise InvalidRequest("MaxResults must be between 1 and 1000")
        chunk = rows[start : start + size]
        out: dict[str, Any] = {
            "ResultSet": {
                "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in r]} for r in chunk],
                "ResultSetMetadata": {"ColumnInfo": info},
            },
            "UpdateCount": 0,
        }
        if start + size < len(rows):
            out["NextToken"] = _token(start + size)
        return out

    def _read(self, bucket: str, key: str) -> bytes:
        _, chunks = self.service.objects.open_object(bucket, key)
        return b"".join(chunks)
