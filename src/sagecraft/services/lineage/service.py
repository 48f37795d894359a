"""Lineage use-cases: artifacts, actions and contexts (create, describe, list, delete), associations
between any two ARNs, and QueryLineage's breadth-first walk over the associations.

Artifacts are known by ARN (their names need not be unique), actions and contexts by name (unique
ignoring case, like every SageMaker name). An association's ends must exist when they are lineage
entities; other ARNs (trial components, jobs, model packages…) are taken as given."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.arns import arn
from sagecraft.core.errors import ResourceNotFound, ValidationException
from sagecraft.services.lineage import repository as repo
from sagecraft.services.lineage.models import (
    KINDS,
    LINEAGE_TYPE_OF_RESOURCE,
    Association,
    LineageEntity,
    camel,
    resource_type,
)
from sagecraft.storage.metadata import MetadataStore

DEFAULT_MAX_DEPTH = 10


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def normal_arn(value: str) -> str:
    head, sep, resource = value.rpartition(":")
    return f"{head}{sep}{resource.lower()}"


class LineageService:
    def __init__(self, store: MetadataStore, clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.store = store
        self.clock = clock

    # -- entities --------------------------------------------------------------------------------------

    def create(self, account_id: str, region: str, kind: str, request: Mapping[str, Any]) -> str:
        label = KINDS[kind]
        name = request.get(f"{label}Name")
        resource = uuid.uuid4().hex if kind == "artifact" else name.lower()
        entity_arn = arn("sagemaker", region, account_id, f"{kind}/{resource}")
        source = request.get("Source")
        now = self.clock()
        values = dict(
            account_id=account_id,
            region=region,
            kind=kind,
            name=name,
            arn=entity_arn,
            entity_type=request.get(f"{label}Type"),
            source=source,
            source_uri=(source or {}).get("SourceUri"),
            status=request.get("Status"),
            description=request.get("Description"),
            properties=request.get("Properties") or {},
            metadata_properties=request.get("MetadataProperties"),
            created_at=now,
            last_modified=now,
            tags=list(request.get("Tags") or []),
        )
        if kind == "action" and not values["status"]:
            values["status"] = "Unknown"
        try:
            with self.store.write() as db:
                if repo.entity(db, entity_arn) is not None:
                    raise ValidationException(f"{label} '{entity_arn}' already exists.")
                repo.insert_entity(db, values)
        except IntegrityError:
            raise ValidationException(f"{label} '{entity_arn}' already exists.") from None
        return entity_arn

    def get(self, account_id: str, region: str, kind: str, key: str) -> LineageEntity:
        """By ARN (artifacts) or by name (actions, contexts)."""
        entity_arn = (
            normal_arn(key) if kind == "artifact" else arn("sagemaker", region, account_id, f"{kind}/{key.lower()}")
        )
        with self.store.read() as db:
            found = repo.entity(db, entity_arn)
        if found is None or found.kind != kind:
            raise ResourceNotFound(f"{KINDS[kind]} '{entity_arn}' does not exist.")
        return found

    def list(self, account_id: str, region: str, kind: str, params: Mapping[str, Any]) -> list[LineageEntity]:
        with self.store.read() as db:
            found = repo.entities(db, account_id, region, kind)
        label = KINDS[kind]
        uri, wanted_type = params.get("SourceUri"), params.get(f"{label}Type")
        return [
            e
            for e in found
            if (uri is None or (e.source or {}).get("SourceUri") == uri)
            and (wanted_type is None or e.entity_type == wanted_type)
        ]

    def delete(self, account_id: str, region: str, kind: str, key: str) -> str:
        found = self.get(account_id, region, kind, key)
        with self.store.write() as db:
            repo.delete_entity(db, found.arn)
        return found.arn

    # -- associations ----------------------------------------------------------------------------------

    def associate(
        self, account_id: str, region: str, source_arn: str, destination_arn: str, association_type: str | None
    ) -> None:
        source_arn, destination_arn = normal_arn(source_arn), normal_arn(destination_arn)
        values: dict[str, Any] = dict(
            account_id=account_id,
            region=region,
            source_arn=source_arn,
            destination_arn=destination_arn,
            association_type=association_type,
            created_at=self.clock(),
        )
        try:
            with self.store.write() as db:
                for end, end_arn in (("source", source_arn), ("destination", destination_arn)):
                    values[f"{end}_type"], values[f"{end}_name"] = self._describe_end(db, end_arn)
                if repo.association(db, source_arn, destination_arn) is not None:
                    raise _association_exists(source_arn, destination_arn)
                repo.insert_association(db, values)
        except IntegrityError:
            raise _association_exists(source_arn, destination_arn) from None

    def link_data(
        self, account_id: str, region: str, uri: str, artifact_type: str, other_arn: str, *, produced: bool
    ) -> None:
        """Record that ``other_arn`` (a job's trial component) read (ContributedTo) or wrote (Produced)
        the data at ``uri``. One artifact stands for a URI, so a job writing what another reads links them."""
        with self.store.read() as db:
            artifact_arn = repo.first_artifact_with_uri(db, account_id, region, uri)
        if artifact_arn is None:
            source = {"Source": {"SourceUri": uri}, "ArtifactType": artifact_type}
            artifact_arn = self.create(account_id, region, "artifact", source)
        ends = (other_arn, artifact_arn) if produced else (artifact_arn, other_arn)
        try:
            self.associate(account_id, region, *ends, "Produced" if produced else "ContributedTo")
        except ValidationException as error:
            if "already exists" not in error.message:
                raise

    def disassociate(self, source_arn: str, destination_arn: str) -> None:
        source_arn, destination_arn = normal_arn(source_arn), normal_arn(destination_arn)
        with self.store.write() as db:
            if not repo.delete_association(db, source_arn, destination_arn):
                raise ResourceNotFound(f"Association from '{source_arn}' to '{destination_arn}' does not exist.")

    def associations(self, account_id: str, region: str, params: Mapping[str, Any]) -> list[Association]:
        with self.store.read() as db:
            found = repo.associations(db, account_id, region)
        checks = [
            ("SourceArn", "source_arn"),
            ("DestinationArn", "destination_arn"),
            ("SourceType", "source_type"),
            ("DestinationType", "destination_type"),
            ("AssociationType", "association_type"),
        ]
        for key, attribute in checks:
            wanted = params.get(key)
            if wanted is not None:
                wanted = normal_arn(wanted) if key.endswith("Arn") else wanted
                found = [a for a in found if getattr(a, attribute) == wanted]
        return found

    def _describe_end(self, db: Any, end_arn: str) -> tuple[str, str | None]:
        """(type, name) of an association's end; a lineage entity must exist."""
        kind = resource_type(end_arn)
        if kind in KINDS:
            found = repo.entity(db, end_arn)
            if found is None:
                raise ResourceNotFound(f"{KINDS[kind]} '{end_arn}' does not exist.")
            return found.entity_type or KINDS[kind], found.name
        return camel(kind), end_arn.rsplit("/", 1)[-1]

    # -- QueryLineage ----------------------------------------------------------------------------------

    def query(self, params: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Breadth-first from the start ARNs along the associations, up to MaxDepth hops."""
        starts = [normal_arn(a) for a in params.get("StartArns") or []]
        direction = params.get("Direction") or "Both"
        max_depth = params.get("MaxDepth", DEFAULT_MAX_DEPTH)
        seen, frontier, edges = set(starts), list(starts), {}
        with self.store.read() as db:
            for _depth in range(max_depth):
                if not frontier:
                    break
                found: list[Association] = []
                if direction in ("Descendants", "Both"):
                    found += repo.edges_touching(db, frontier, outgoing=True)
                if direction in ("Ascendants", "Both"):
                    found += repo.edges_touching(db, frontier, outgoing=False)
                following = []
                for edge in found:
                    edges[(edge.source_arn, edge.destination_arn)] = edge
                    for end in (edge.source_arn, edge.destination_arn):
                        if end not in seen:
                            seen.add(end)
                            following.append(end)
                frontier = following
            entities = repo.entities_by_arn(db, sorted(seen))
        vertices = [
            v
            for v in (_vertex(a, entities.get(a)) for a in sorted(seen - set(starts)))
            if _vertex_matches(v, entities.get(v["Arn"]), params.get("Filters") or {})
        ]
        kept = {v["Arn"] for v in vertices} | set(starts)
        edge_list = [
            {"SourceArn": e.source_arn, "DestinationArn": e.destination_arn, "AssociationType": e.association_type}
            for e in edges.values()
            if e.source_arn in kept and e.destination_arn in kept
        ]
        return vertices, edge_list if params.get("IncludeEdges", True) else []


def _vertex(vertex_arn: str, entity: LineageEntity | None) -> dict[str, Any]:
    kind = resource_type(vertex_arn)
    lineage_type = LINEAGE_TYPE_OF_RESOURCE.get(kind)
    out = {"Arn": vertex_arn, "Type": (entity.entity_type if entity else None) or camel(kind)}
    if lineage_type:
        out["LineageType"] = lineage_type
    return out


def _vertex_matches(vertex: dict[str, Any], entity: LineageEntity | None, filters: Mapping[str, Any]) -> bool:
    if filters.get("Types") and vertex["Type"] not in filters["Types"]:
        return False
    if filters.get("LineageTypes") and vertex.get("LineageType") not in filters["LineageTypes"]:
        return False
    bounds = [
        ("CreatedBefore", "created_at", False),
        ("CreatedAfter", "created_at", True),
        ("ModifiedBefore", "last_modified", False),
        ("ModifiedAfter", "last_modified", True),
    ]
    for key, attribute, after in bounds:
        if filters.get(key) is not None:
            if entity is None:
                return False
            value = getattr(entity, attribute)
            if (after and not value > filters[key]) or (not after and not value < filters[key]):
                return False
    for key, value in (filters.get("Properties") or {}).items():
        if entity is None or entity.properties.get(key) != value:
            return False
    return True


def _association_exists(source_arn: str, destination_arn: str) -> ValidationException:
    return ValidationException(f"Association from '{source_arn}' to '{destination_arn}' already exists.")
