"""Record use-cases of the feature store runtime: put, get, batch get, delete, batch write, list.

Every record is validated against the group's definitions before anything is written; a write goes
to the online store and the offline journal in one durable step (online.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from sagecraft.core.errors import ClientError, ResourceNotFound
from sagecraft.services.featurestore import records
from sagecraft.services.featurestore.models import FeatureGroup, FeatureGroupStatus, ttl_to_seconds
from sagecraft.services.featurestore.online import OnlineStore, Write
from sagecraft.services.featurestore.requests import check_ttl
from sagecraft.services.featurestore.sealing import RecordSealer
from sagecraft.services.featurestore.service import FeatureGroupService

MAX_BATCH_IDENTIFIERS = 100
# One store change: the group incarnation's key, its record writes, its offline journal rows.
Change = tuple[str, list[Write], list[tuple[str, str]]]
STORES = ("OnlineStore", "OfflineStore")


class ValidationError(ClientError):
    """The runtime's validation error code (the control plane says ValidationException)."""

    code = "ValidationError"


def iso_time(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class RecordService:
    def __init__(
        self,
        groups: FeatureGroupService,
        online: OnlineStore,
        clock: Callable[[], float] = time.time,
        sealer: RecordSealer | None = None,
    ) -> None:
        self.sealer = sealer or groups.sealer
        self.groups = groups
        self.online = online
        self.clock = clock

    def group(self, account_id: str, region: str, name: str) -> FeatureGroup:
        group = self.groups.get(account_id, region, name)
        if group.status is not FeatureGroupStatus.CREATED:
            if group.status is FeatureGroupStatus.DELETING:
                raise ResourceNotFound(f"Resource Not Found: FeatureGroup {group.name} is being deleted.")
            raise ValidationError(
                f"FeatureGroup {group.name} is in status {group.status.value}: records can be "
                "written and read once it is Created."
            )
        return group

    def _targets(self, group: FeatureGroup, target_stores: list[str] | None) -> tuple[bool, bool]:
        wanted = set(target_stores or STORES)
        if target_stores is not None and not target_stores:
            raise ValidationError("TargetStores must name at least one store.")
        if "OnlineStore" in wanted and target_stores and not group.online_enabled:
            raise ValidationError(f"The OnlineStore is not enabled for FeatureGroup {group.name}.")
        if "OfflineStore" in wanted and target_stores and not group.offline_enabled:
            raise ValidationError(f"The OfflineStore is not enabled for FeatureGroup {group.name}.")
        return "OnlineStore" in wanted and group.online_enabled, "OfflineStore" in wanted and group.offline_enabled

    def _prepare(
        self,
        group: FeatureGroup,
        record: list[Mapping[str, Any]],
        target_stores: list[str] | None,
        ttl: Mapping[str, Any] | None,
        now: float,
    ) -> tuple[Write, str | None]:
        try:
            valid = records.validate(
                group.definitions_by_name, group.record_identifier, group.event_time_feature, record
            )
            check_ttl(ttl)
        except ClientError as error:
            raise ValidationError(error.message) from None
        online, offline = self._targets(group, target_stores)
        ttl_seconds = ttl_to_seconds(ttl) if ttl else group.ttl_seconds()
        expires_at = valid.event_time + ttl_seconds if ttl_seconds else None
        sealed = self.sealer.seal(group, valid.values)
        write = Write(valid.record_id, valid.event_time, sealed, expires_at, online=online)
        row = None
        if offline:
            row = self._journal_row(
                group,
                {
                    "event_time": valid.event_time,
                    "values": valid.values,
                    "write_time": now,
                    "api_invocation_time": now,
                    "is_deleted": False,
                },
            )
        return write, row

    def _journal_row(self, group: FeatureGroup, row: dict[str, Any]) -> str:
        return json.dumps(self.sealer.seal(group, row))

    def prepare_put(self, account_id: str, region: str, params: Mapping[str, Any]) -> Change:
        """Validates a PutRecord: what to apply to the store (nothing is written yet)."""
        group = self.group(account_id, region, params["FeatureGroupName"])
        write, row = self._prepare(
            group, params["Record"], params.get("TargetStores"), params.get("TtlDuration"), self.clock()
        )
        return group.store_key, [write], [(group.store_key, row)] if row else []

    def put(self, account_id: str, region: str, params: Mapping[str, Any]) -> None:
        self.online.apply(*self.prepare_put(account_id, region, params))

    def batch_write(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Each entry validated on its own (its error reported, the others written); the valid ones
        of a group are written in one durable step, in entry order."""
        errors = []
        now = self.clock()
        pending: dict[str, tuple[list[Write], list[tuple[str, str]]]] = {}
        for entry in params["Entries"]:
            try:
                group = self.group(account_id, region, entry["FeatureGroupName"])
                write, row = self._prepare(
                    group,
                    entry["Record"],
                    entry.get("TargetStores"),
                    entry.get("TtlDuration") or params.get("TtlDuration"),
                    now,
                )
            except ClientError as error:
                errors.append({"Entry": entry, "ErrorCode": error.code, "ErrorMessage": error.message})
                continue
            writes, journal = pending.setdefault(group.store_key, ([], []))
            writes.append(write)
            if row:
                journal.append((group.store_key, row))
        for key, (writes, journal) in pending.items():
            self.online.apply(key, writes, journal)
        return {"Errors": errors, "UnprocessedEntries": []}

    def _online_group(self, account_id: str, region: str, name: str) -> FeatureGroup:
        group = self.group(account_id, region, name)
        if not group.online_enabled:
            raise ValidationError(f"The OnlineStore is not enabled for FeatureGroup {group.name}.")
        return group

    def _shape(self, group: FeatureGroup, values: dict[str, Any], names: list[str] | None) -> list[dict[str, Any]]:
        if names:
            unknown = [n for n in names if n not in group.definitions_by_name]
            if unknown:
                raise ValidationError(
                    f"The following feature(s) are not defined in FeatureGroup {group.name}: {', '.join(unknown)}."
                )
        return records.to_wire(values, names or None)

    def get(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        group = self._online_group(account_id, region, params["FeatureGroupName"])
        record_id = params["RecordIdentifierValueAsString"]
        self.sealer.check(group)
        found = self.online.get(group.store_key, [record_id]).get(record_id)
        if found is None or not found.live(self.clock()):
            self._shape(group, {}, params.get("FeatureNames"))
            return {}
        values = self.sealer.open(group, found.values)
        out: dict[str, Any] = {"Record": self._shape(group, values, params.get("FeatureNames"))}
        if params.get("ExpirationTimeResponse") == "Enabled" and found.expires_at is not None:
            out["ExpiresAt"] = iso_time(found.expires_at)
        return out

    def batch_get(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        identifiers = params["Identifiers"]
        total = sum(len(i["RecordIdentifiersValueAsString"]) for i in identifiers)
        if total > MAX_BATCH_IDENTIFIERS:
            raise ValidationError(
                f"BatchGetRecord accepts at most {MAX_BATCH_IDENTIFIERS} record identifiers; got {total}."
            )
        out: dict[str, Any] = {"Records": [], "Errors": [], "UnprocessedIdentifiers": []}
        expiration = params.get("ExpirationTimeResponse") == "Enabled"
        now = self.clock()
        for identifier in identifiers:
            name, ids = identifier["FeatureGroupName"], identifier["RecordIdentifiersValueAsString"]
            try:
                group = self._online_group(account_id, region, name)
                self._shape(group, {}, identifier.get("FeatureNames"))
                self.sealer.check(group)
            except ClientError as error:
                out["Errors"] += [
                    {
                        "FeatureGroupName": name,
                        "RecordIdentifierValueAsString": record_id,
                        "ErrorCode": error.code,
                        "ErrorMessage": error.message,
                    }
                    for record_id in ids
                ]
                continue
            found = self.online.get(group.store_key, list(ids))
            for record_id in ids:
                stored = found.get(record_id)
                if stored is None or not stored.live(now):
                    continue
                entry = {
                    "FeatureGroupName": name,
                    "RecordIdentifierValueAsString": record_id,
                    "Record": self._shape(
                        group, self.sealer.open(group, stored.values), identifier.get("FeatureNames")
                    ),
                }
                if expiration and stored.expires_at is not None:
                    entry["ExpiresAt"] = iso_time(stored.expires_at)
                out["Records"].append(entry)
        return out

    def delete(self, account_id: str, region: str, params: Mapping[str, Any]) -> None:
        self.online.apply(*self.prepare_delete(account_id, region, params))

    def prepare_delete(self, account_id: str, region: str, params: Mapping[str, Any]) -> Change:
        """Validates a DeleteRecord: what to apply to the store (nothing is written yet)."""
        group = self.group(account_id, region, params["FeatureGroupName"])
        event_name = group.event_time_feature
        event_type = group.definitions_by_name[event_name]["FeatureType"]
        try:
            event_time = records.parse_event_time(params["EventTime"], event_type, event_name)
        except ClientError as error:
            raise ValidationError(error.message) from None
        mode = params.get("DeletionMode") or "SoftDelete"
        if mode not in ("SoftDelete", "HardDelete"):
            raise ValidationError(
                f"Value '{mode}' at 'deletionMode' failed to satisfy constraint: Member must "
                "satisfy enum value set: [SoftDelete, HardDelete]"
            )
        online, offline = self._targets(group, params.get("TargetStores"))
        self.sealer.check(group)  # a delete needs the group's KMS key as a put does
        record_id = params["RecordIdentifierValueAsString"]
        write = Write(record_id, event_time, None, None, hard_delete=mode == "HardDelete", online=online)
        row = None
        if offline:
            now = self.clock()
            values = {group.record_identifier: record_id, event_name: params["EventTime"]}
            row = self._journal_row(
                group,
                {
                    "event_time": event_time,
                    "values": values,
                    "write_time": now,
                    "api_invocation_time": now,
                    "is_deleted": True,
                },
            )
        return group.store_key, [write], [(group.store_key, row)] if row else []

    def list_records(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        group = self._online_group(account_id, region, params["FeatureGroupName"])
        token = params.get("NextToken")
        after = base64.urlsafe_b64decode(token.encode()).decode() if token else ""
        size = params.get("MaxResults") or 100
        include_deleted = bool(params.get("IncludeSoftDeletedRecords"))
        now = self.clock()
        found: list[str] = []
        while len(found) < size:
            batch = self.online.scan(group.store_key, after, size)
            if not batch:
                after = ""
                break
            for stored in batch:
                after = stored.record_id
                if stored.live(now) or (include_deleted and stored.values is None):
                    found.append(stored.record_id)
                    if len(found) == size:
                        break
        out: dict[str, Any] = {"RecordIdentifiers": found}
        if after and len(found) == size:
            out["NextToken"] = base64.urlsafe_b64encode(after.encode()).decode()
        return out
