"""Athena query executions: queued in the metadata store, run by a thread pool (QUEUED → RUNNING →
SUCCEEDED | FAILED | CANCELLED), results written as ``<OutputLocation>/<QueryExecutionId>.csv``
plus ``.csv.metadata`` (the column info, as JSON) in the object store."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb

from sagecraft.core.errors import ClientError
from sagecraft.services.athena import repository as repo
from sagecraft.services.athena.engine import Engine, QueryError
from sagecraft.services.athena.results import column_info
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectMeta, ObjectStore

log = logging.getLogger(__name__)
ACTIVE = ("QUEUED", "RUNNING")


class InvalidRequest(ClientError):
    code = "InvalidRequestException"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


STOP_SECONDS = 300.0  # how long a stopped query is interrupted before it is given up as stuck


class AthenaService:
    def __init__(self, store: MetadataStore, objects: ObjectStore, engine: Engine, workers: int = 2) -> None:
        self.store = store
        self.objects = objects
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="athena")
        self._running: dict[str, duckdb.DuckDBPyConnection] = {}
        self._cancelled: set[str] = set()  # stopped while running here: interrupted until they end
        self._lock = threading.Lock()

    def start(self) -> None:
        with self.store.write() as db:
            for query_id in repo.unfinished(db):
                repo.transition(
                    db,
                    query_id,
                    ACTIVE,
                    {
                        "state": "FAILED",
                        "completed_at": _now(),
                        "state_change_reason": "Query was interrupted by a restart of the server.",
                    },
                )

    def close(self) -> None:
        with self._lock:
            for conn in self._running.values():
                conn.interrupt()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, account_id: str, region: str, params: dict[str, Any]) -> str:
        token = params.get("ClientRequestToken")
        if token:
            with self.store.read() as db:
                existing = repo.by_token(db, account_id, token)
            if existing is not None:
                return existing.query_id
        output = (params.get("ResultConfiguration") or {}).get("OutputLocation")
        if not output:
            raise InvalidRequest(
                "No output location provided. An output location is required either through the "
                "Workgroup result configuration setting or as an API input."
            )
        if not output.startswith("s3://"):
            raise InvalidRequest(f"outputLocation is not a valid S3 path. Provided {output}")
        query_id = str(uuid.uuid4())
        context = params.get("QueryExecutionContext") or {}
        with self.store.write() as db:
            repo.insert_query(
                db,
                dict(
                    query_id=query_id,
                    account_id=account_id,
                    region=region,
                    work_group=params.get("WorkGroup") or "primary",
                    query=params["QueryString"],
                    statement_type="DML",
                    context={
                        "Database": context.get("Database") or "default",
                        "Catalog": context.get("Catalog") or "AwsDataCatalog",
                    },
                    output_location=output.rstrip("/"),
                    state="QUEUED",
                    submitted_at=_now(),
                    client_request_token=token,
                ),
            )
        self._pool.submit(self._execute, query_id)
        return query_id

    def get(self, account_id: str, query_id: str) -> Any:
        with self.store.read() as db:
            row = repo.by_id(db, query_id)
        if row is None or row.account_id != account_id:
            raise InvalidRequest(f"QueryExecution {query_id} was not found")
        return row

    def stop(self, account_id: str, query_id: str) -> None:
        self.get(account_id, query_id)
        with self.store.write() as db:
            stopped = repo.transition(
                db,
                query_id,
                ACTIVE,
                {"state": "CANCELLED", "completed_at": _now(), "state_change_reason": "Query cancelled by user"},
            )
        if stopped:
            with self._lock:
                self._cancelled.add(query_id)
            threading.Thread(target=self._interrupt, args=(query_id,), name="athena-stop", daemon=True).start()

    def _interrupt(self, query_id: str) -> None:
        """DuckDB's interrupt only reaches the statement running at that instant: a query runs several
        (views, then the COPY of its result), so it is interrupted again until its thread lets it go."""
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline:
            with self._lock:
                if query_id not in self._cancelled:
                    return
                conn = self._running.get(query_id)
            if conn is not None:
                conn.interrupt()
            time.sleep(0.05)
        log.warning("Athena query %s did not stop within %.0f s of StopQueryExecution", query_id, STOP_SECONDS)

    def list(self, account_id: str, region: str, work_group: str) -> list[str]:
        with self.store.read() as db:
            return repo.listing(db, account_id, region, work_group)

    def _register(self, query_id: str, conn: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            self._running[query_id] = conn

    def _execute(self, query_id: str) -> None:
        started = _now()
        with self.store.write() as db:
            if not repo.transition(db, query_id, ("QUEUED",), {"state": "RUNNING"}):
                with self._lock:
                    self._cancelled.discard(query_id)
                return  # cancelled while queued
            row = repo.by_id(db, query_id)
        stats: dict[str, Any] = {"QueryQueueTimeInMillis": int((started - row.submitted_at).total_seconds() * 1000)}
        try:
            result = self.engine.run(
                row.query,
                row.account_id,
                row.region,
                row.context["Database"],
                lambda conn: self._register(query_id, conn),
            )
            bucket, key = split_s3(f"{row.output_location}/{query_id}")
            if result.statement_type == "DDL":
                self.objects.put_object(bucket, f"{key}.txt", b"", ObjectMeta(content_type="text/plain"))
            else:
                try:
                    self.objects.put_object(
                        bucket, f"{key}.csv", result.csv_path or b"", ObjectMeta(content_type="text/csv")
                    )
                finally:
                    if result.csv_path:
                        os.unlink(result.csv_path)
                metadata = json.dumps({"ColumnInfo": column_info(result.columns)}).encode()
                self.objects.put_object(
                    bucket, f"{key}.csv.metadata", metadata, ObjectMeta(content_type="application/json")
                )
                stats["DataScannedInBytes"] = 0
            stats["EngineExecutionTimeInMillis"] = result.engine_millis
            values = {"state": "SUCCEEDED", "statement_type": result.statement_type}
        except QueryError as error:
            values = {"state": "FAILED", "state_change_reason": str(error)}
        except Exception as error:
            log.exception("Athena query %s failed", query_id)
            values = {"state": "FAILED", "state_change_reason": f"GENERIC_INTERNAL_ERROR: {error}"}
        finally:
            with self._lock:
                self._running.pop(query_id, None)
                self._cancelled.discard(query_id)
        finished = _now()
        stats["TotalExecutionTimeInMillis"] = int((finished - row.submitted_at).total_seconds() * 1000)
        stats.setdefault("DataScannedInBytes", 0)
        with self.store.write() as db:
            repo.transition(db, query_id, ("RUNNING",), {**values, "completed_at": finished, "statistics": stats})
