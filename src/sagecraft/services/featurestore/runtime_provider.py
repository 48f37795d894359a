"""The feature store runtime on the wire (``sagemaker-featurestore-runtime``, rest-json)."""

from __future__ import annotations

from collections.abc import Awaitable

from sagecraft.core.context import RequestContext
from sagecraft.services.featurestore.commit import GroupCommitter
from sagecraft.services.featurestore.runtime import RecordService


class FeatureStoreRuntimeProvider:
    service_name = "sagemaker-featurestore-runtime"
    # Writes wait on the online store's disk sync: off the event loop. Reads of the embedded store are
    # quicker than the hop to a worker thread, and a writer never blocks them (their own connection).
    WRITES = frozenset({"PutRecord", "DeleteRecord", "BatchWriteRecord"})
    READS = frozenset({"GetRecord", "BatchGetRecord", "ListRecords"})
    # With a group committer, PutRecord and DeleteRecord are validated on the loop and await the
    # committer thread: no worker-thread hop per request, one disk sync per batch of writers.
    COMMITTED = frozenset({"PutRecord", "DeleteRecord"})

    def __init__(self, records: RecordService, committer: GroupCommitter | None = None) -> None:
        self.records = records
        self.committer = committer
        fast = getattr(records.online, "fast_reads", False)
        threaded = self.WRITES if fast else self.WRITES | self.READS
        self.threaded_operations = threaded - self.COMMITTED if committer is not None else threaded

    def put_record(self, context: RequestContext, params: dict) -> dict | Awaitable[dict]:
        if self.committer is None:
            self.records.put(context.account_id, context.region, params)
            return {}
        return self._committed(self.records.prepare_put(context.account_id, context.region, params))

    def get_record(self, context: RequestContext, params: dict) -> dict:
        return self.records.get(context.account_id, context.region, params)

    def batch_get_record(self, context: RequestContext, params: dict) -> dict:
        return self.records.batch_get(context.account_id, context.region, params)

    def delete_record(self, context: RequestContext, params: dict) -> dict | Awaitable[dict]:
        if self.committer is None:
            self.records.delete(context.account_id, context.region, params)
            return {}
        return self._committed(self.records.prepare_delete(context.account_id, context.region, params))

    async def _committed(self, change) -> dict:
        await self.committer.apply(change)
        return {}

    def batch_write_record(self, context: RequestContext, params: dict) -> dict:
        return self.records.batch_write(context.account_id, context.region, params)

    def list_records(self, context: RequestContext, params: dict) -> dict:
        return self.records.list_records(context.account_id, context.region, params)
