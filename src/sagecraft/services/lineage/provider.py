"""SageMaker ML lineage on the wire (the ``sagemaker`` control plane, JSON 1.1)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ResourceNotFound
from sagecraft.services.experiments.paging import page, sort, within
from sagecraft.services.lineage.service import LineageService

SORT_KEYS = {"Name": lambda e: e.name or "", "CreationTime": lambda e: (e.created_at, e.id)}
ASSOCIATION_SORT_KEYS = {
    "SourceArn": lambda a: a.source_arn,
    "DestinationArn": lambda a: a.destination_arn,
    "SourceType": lambda a: a.source_type or "",
    "DestinationType": lambda a: a.destination_type or "",
    "CreationTime": lambda a: a.created_at,
}


def _scope(operation: str, params: dict) -> str:
    kept = {k: v for k, v in params.items() if k not in ("NextToken", "MaxResults")}
    return operation + ":" + hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class LineageProvider:
    service_name = "sagemaker"
    operations = frozenset(
        {
            "CreateArtifact",
            "DescribeArtifact",
            "ListArtifacts",
            "DeleteArtifact",
            "CreateAction",
            "DescribeAction",
            "ListActions",
            "DeleteAction",
            "CreateContext",
            "DescribeContext",
            "ListContexts",
            "DeleteContext",
            "AddAssociation",
            "DeleteAssociation",
            "ListAssociations",
            "QueryLineage",
        }
    )
    threaded_operations = operations

    def __init__(self, service: LineageService) -> None:
        self.service = service

    def _create(self, context: RequestContext, kind: str, params: dict) -> str:
        return self.service.create(context.account_id, context.region, kind, params)

    def _list(self, context: RequestContext, kind: str, params: dict, operation: str, member: str) -> dict:
        found = [
            e
            for e in self.service.list(context.account_id, context.region, kind, params)
            if within(e.created_at, params)
        ]
        chosen, token = page(sort(found, params, SORT_KEYS), params, _scope(operation, params))
        return _drop_none({member: [e.summary() for e in chosen], "NextToken": token})

    def create_artifact(self, context: RequestContext, params: dict) -> dict:
        return {"ArtifactArn": self._create(context, "artifact", params)}

    def describe_artifact(self, context: RequestContext, params: dict) -> dict:
        return self.service.get(context.account_id, context.region, "artifact", params["ArtifactArn"]).describe()

    def list_artifacts(self, context: RequestContext, params: dict) -> dict:
        return self._list(context, "artifact", params, "ListArtifacts", "ArtifactSummaries")

    def delete_artifact(self, context: RequestContext, params: dict) -> dict:
        if not params.get("ArtifactArn"):
            uri = (params.get("Source") or {}).get("SourceUri")
            matching = self.service.list(context.account_id, context.region, "artifact", {"SourceUri": uri})
            if len(matching) != 1:
                raise ResourceNotFound(f"No single artifact has the source {uri}.")
            params = {"ArtifactArn": matching[0].arn}
        return {
            "ArtifactArn": self.service.delete(context.account_id, context.region, "artifact", params["ArtifactArn"])
        }

    def create_action(self, context: RequestContext, params: dict) -> dict:
        return {"ActionArn": self._create(context, "action", params)}

    def describe_action(self, context: RequestContext, params: dict) -> dict:
        return self.service.get(context.account_id, context.region, "action", params["ActionName"]).describe()

    def list_actions(self, context: RequestContext, params: dict) -> dict:
        return self._list(context, "action", params, "ListActions", "ActionSummaries")

    def delete_action(self, context: RequestContext, params: dict) -> dict:
        return {"ActionArn": self.service.delete(context.account_id, context.region, "action", params["ActionName"])}

    def create_context(self, context: RequestContext, params: dict) -> dict:
        return {"ContextArn": self._create(context, "context", params)}

    def describe_context(self, context: RequestContext, params: dict) -> dict:
        return self.service.get(context.account_id, context.region, "context", params["ContextName"]).describe()

    def list_contexts(self, context: RequestContext, params: dict) -> dict:
        return self._list(context, "context", params, "ListContexts", "ContextSummaries")

    def delete_context(self, context: RequestContext, params: dict) -> dict:
        return {"ContextArn": self.service.delete(context.account_id, context.region, "context", params["ContextName"])}

    def add_association(self, context: RequestContext, params: dict) -> dict:
        self.service.associate(
            context.account_id,
            context.region,
            params["SourceArn"],
            params["DestinationArn"],
            params.get("AssociationType"),
        )
        return {"SourceArn": params["SourceArn"], "DestinationArn": params["DestinationArn"]}

    def delete_association(self, context: RequestContext, params: dict) -> dict:
        self.service.disassociate(params["SourceArn"], params["DestinationArn"])
        return {"SourceArn": params["SourceArn"], "DestinationArn": params["DestinationArn"]}

    def list_associations(self, context: RequestContext, params: dict) -> dict:
        found = [
            a
            for a in self.service.associations(context.account_id, context.region, params)
            if within(a.created_at, params)
        ]
        ordered = sort(found, params, ASSOCIATION_SORT_KEYS)
        chosen, token = page(ordered, params, _scope("ListAssociations", params))
        return _drop_none({"AssociationSummaries": [a.summary() for a in chosen], "NextToken": token})

    def query_lineage(self, context: RequestContext, params: dict) -> dict:
        vertices, edges = self.service.query(params)
        return {"Vertices": vertices, "Edges": edges}
