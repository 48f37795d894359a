"""ML lineage through boto3: artifacts, actions, contexts, associations and QueryLineage."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error_of(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_artifacts_actions_contexts(sm):
    uri = f"s3://bucket/{unique('data')}/train.csv"
    source = {"SourceUri": uri, "SourceTypes": [{"SourceIdType": "S3ETag", "Value": "abc"}]}
    first = sm.create_artifact(ArtifactName="train", ArtifactType="DataSet", Source=source, Properties={"rows": "100"})[
        "ArtifactArn"
    ]
    second = sm.create_artifact(ArtifactName="train", ArtifactType="DataSet", Source=source)["ArtifactArn"]
    assert first != second and ":artifact/" in first  # artifacts are known by ARN, names may repeat
    described = sm.describe_artifact(ArtifactArn=first)
    assert (described["ArtifactName"], described["ArtifactType"], described["Source"]["SourceUri"]) == (
        "train",
        "DataSet",
        uri,
    )
    assert described["Properties"] == {"rows": "100"}
    listed = sm.list_artifacts(SourceUri=uri, SortBy="CreationTime", SortOrder="Ascending")["ArtifactSummaries"]
    assert [a["ArtifactArn"] for a in listed] == [first, second]
    sm.delete_artifact(ArtifactArn=second)
    assert error_of(sm.describe_artifact, ArtifactArn=second)[0] == "ResourceNotFound"

    action = unique("deploy")
    arn = sm.create_action(
        ActionName=action,
        ActionType="ModelDeployment",
        Status="Completed",
        Source={"SourceUri": "s3://bucket/model.tar.gz"},
    )["ActionArn"]
    assert arn.endswith(f":action/{action}")
    code, message = error_of(
        sm.create_action,
        ActionName=action,
        ActionType="ModelDeployment",
        Source={"SourceUri": "s3://bucket/model.tar.gz"},
    )
    assert code == "ValidationException" and "already exists" in message
    assert sm.describe_action(ActionName=action)["Status"] == "Completed"
    assert action in [
        a["ActionName"] for a in sm.list_actions(ActionType="ModelDeployment", MaxResults=100)["ActionSummaries"]
    ]
    context = unique("endpoint")
    sm.create_context(
        ContextName=context, ContextType="Endpoint", Source={"SourceUri": "arn:endpoint"}, Description="served"
    )
    assert sm.describe_context(ContextName=context)["Description"] == "served"
    sm.delete_context(ContextName=context)
    sm.delete_action(ActionName=action)
    assert error_of(sm.describe_context, ContextName=context)[0] == "ResourceNotFound"
    assert error_of(sm.describe_action, ActionName=action)[0] == "ResourceNotFound"


def test_associations_and_query_lineage(sm):
    def artifact(kind: str) -> str:
        return sm.create_artifact(ArtifactType=kind, Source={"SourceUri": f"s3://b/{unique(kind)}"})["ArtifactArn"]

    data, model = artifact("DataSet"), artifact("Model")
    action = sm.create_action(ActionName=unique("train"), ActionType="Training", Source={"SourceUri": "s3://b/job"})[
        "ActionArn"
    ]
    endpoint = sm.create_context(ContextName=unique("ep"), ContextType="Endpoint", Source={"SourceUri": "arn:ep"})[
        "ContextArn"
    ]
    sm.add_association(SourceArn=data, DestinationArn=action, AssociationType="ContributedTo")
    sm.add_association(SourceArn=action, DestinationArn=model, AssociationType="Produced")
    sm.add_association(SourceArn=model, DestinationArn=endpoint, AssociationType="ContributedTo")
    code, message = error_of(sm.add_association, SourceArn=data, DestinationArn=action)
    assert code == "ValidationException" and "already exists" in message
    missing = data.rsplit("/", 1)[0] + "/" + uuid.uuid4().hex
    assert error_of(sm.add_association, SourceArn=missing, DestinationArn=action)[0] == "ResourceNotFound"

    outgoing = sm.list_associations(SourceArn=action)["AssociationSummaries"]
    assert [(a["DestinationArn"], a["AssociationType"], a["DestinationType"]) for a in outgoing] == [
        (model, "Produced", "Model")
    ]
    assert [a["SourceArn"] for a in sm.list_associations(DestinationArn=action)["AssociationSummaries"]] == [data]
    assert [
        a["DestinationArn"]
        for a in sm.list_associations(SourceArn=model, AssociationType="ContributedTo")["AssociationSummaries"]
    ] == [endpoint]

    down = sm.query_lineage(StartArns=[data], Direction="Descendants", IncludeEdges=True)
    assert {v["Arn"] for v in down["Vertices"]} == {action, model, endpoint}
    assert {(e["SourceArn"], e["DestinationArn"]) for e in down["Edges"]} == {
        (data, action),
        (action, model),
        (model, endpoint),
    }
    assert next(v for v in down["Vertices"] if v["Arn"] == model) == {
        "Arn": model,
        "Type": "Model",
        "LineageType": "Artifact",
    }
    one_hop = sm.query_lineage(StartArns=[data], Direction="Descendants", MaxDepth=1)
    assert [v["Arn"] for v in one_hop["Vertices"]] == [action]
    up = sm.query_lineage(StartArns=[endpoint], Direction="Ascendants", Filters={"LineageTypes": ["Artifact"]})
    assert {v["Arn"] for v in up["Vertices"]} == {data, model}
    both = sm.query_lineage(StartArns=[model], Direction="Both", MaxDepth=1, IncludeEdges=False)
    assert {v["Arn"] for v in both["Vertices"]} == {action, endpoint} and both["Edges"] == []

    sm.delete_association(SourceArn=model, DestinationArn=endpoint)
    assert error_of(sm.delete_association, SourceArn=model, DestinationArn=endpoint)[0] == "ResourceNotFound"
    assert sm.list_associations(SourceArn=model)["AssociationSummaries"] == []
