"""The feature store runtime on the wire (``sagemaker-featurestore-runtime``, rest-json)."""

from __future__ import annotations

from sagecraft.core.context import RequestContext
from sagecraft.services.featurestore.runtime import RecordService


class FeatureStoreRuntimeProvider:
    service_name = "sagemaker-featurestore-runtime"
    # Writes wait on the online store's disk sync: off the event loop. Reads of the embedded store are
    # quicker than the hop to a worker thread, and a writer never blocks them (their own connection).
    WRITES = frozenset({"PutRecord", "DeleteRecord", "BatchWriteRecord"})
    READS = frozenset({"GetRecord", "BatchGetRecord", "ListRecords"})

    def __init__(self, records: RecordService) -> None:
        self.records = records
        fast = getattr(records.online, "fast_reads", False)
        self.threaded_operations = self.WRITES if fast else self.WRITES | self.READS

    def put_record(self, context: RequestContext, params: dict) -> dict:
        self.records.put(context.account_id, context.region, params)
        return {}

    def get_record(self, context: RequestContext, params: dict) -> dict:
        return self.records.get(context.account_id, context.region, params)

    def batch_get_record(self, context: RequestContext, params: dict) -> dict:
        return self.records.batch_get(context.account_id, context.region, params)

    def delete_record(self, context: RequestContext, params: dict) -> dict:
        self.records.delete(context.account_id, context.region, params)
        return {}

    def batch_write_record(self, context: RequestContext, params: dict) -> dict:
        return self.records.batch_write(context.account_id, context.region, params)

    def list_records(self, context: RequestContext, params: dict) -> dict:
        return self.records.list_records(context.account_id, context.region, params)
