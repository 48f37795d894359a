"""Lineage entities as stored (schema.lineage_entities, lineage_associations) and on the wire."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

KINDS = {"artifact": "Artifact", "action": "Action", "context": "Context"}
# What a vertex of another capability is, from its ARN's resource type.
LINEAGE_TYPE_OF_RESOURCE = {"experiment-trial-component": "TrialComponent", **KINDS}


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def resource_type(arn: str) -> str:
    """``training-job`` for ``arn:aws:sagemaker:…:training-job/x``."""
    return arn.split(":", 5)[-1].split("/", 1)[0]


def camel(resource: str) -> str:
    return "".join(part.capitalize() for part in resource.split("-"))


@dataclass
class LineageEntity:
    id: int
    kind: str
    name: str | None
    arn: str
    entity_type: str | None
    source: dict | None
    status: str | None
    description: str | None
    properties: dict[str, str]
    metadata_properties: dict | None
    created_at: dt.datetime
    last_modified: dt.datetime
    tags: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Any) -> LineageEntity:
        return cls(
            row.id,
            row.kind,
            row.name,
            row.arn,
            row.entity_type,
            row.source,
            row.status,
            row.description,
            dict(row.properties or {}),
            row.metadata_properties,
            row.created_at,
            row.last_modified,
            list(row.tags or []),
        )

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    def describe(self) -> dict[str, Any]:
        label = self.label
        return _drop_none(
            {
                f"{label}Name": self.name,
                f"{label}Arn": self.arn,
                "Source": self.source,
                f"{label}Type": self.entity_type,
                "Description": self.description if self.kind != "artifact" else None,
                "Status": self.status if self.kind == "action" else None,
                "Properties": self.properties,
                "CreationTime": self.created_at,
                "LastModifiedTime": self.last_modified,
                "MetadataProperties": self.metadata_properties if self.kind != "context" else None,
            }
        )

    def summary(self) -> dict[str, Any]:
        label = self.label
        return _drop_none(
            {
                f"{label}Arn": self.arn,
                f"{label}Name": self.name,
                "Source": self.source,
                f"{label}Type": self.entity_type,
                "Status": self.status if self.kind == "action" else None,
                "CreationTime": self.created_at,
                "LastModifiedTime": self.last_modified,
            }
        )


@dataclass
class Association:
    source_arn: str
    destination_arn: str
    source_type: str | None
    destination_type: str | None
    source_name: str | None
    destination_name: str | None
    association_type: str | None
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: Any) -> Association:
        return cls(
            row.source_arn,
            row.destination_arn,
            row.source_type,
            row.destination_type,
            row.source_name,
            row.destination_name,
            row.association_type,
            row.created_at,
        )

    def summary(self) -> dict[str, Any]:
        return _drop_none(
            {
                "SourceArn": self.source_arn,
                "DestinationArn": self.destination_arn,
                "SourceType": self.source_type,
                "DestinationType": self.destination_type,
                "AssociationType": self.association_type,
                "SourceName": self.source_name,
                "DestinationName": self.destination_name,
                "CreationTime": self.created_at,
            }
        )
