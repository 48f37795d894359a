"""Experiments, trials and trial components through boto3: the SDK's load-or-create contract
(ValidationException "already exists"), associations, listings with filters and pages, updates."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from botocore.exceptions import ClientError


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error_of(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


@pytest.fixture
def experiment(sm) -> str:
    name = unique("exp")
    sm.create_experiment(ExperimentName=name, Description="first", Tags=[{"Key": "team", "Value": "ml"}])
    return name


def test_experiment_lifecycle_and_errors(sm, experiment):
    described = sm.describe_experiment(ExperimentName=experiment)
    assert described["ExperimentArn"].endswith(f":experiment/{experiment}")
    assert described["DisplayName"] == experiment and described["Description"] == "first"
    code, message = error_of(sm.create_experiment, ExperimentName=experiment)
    assert code == "ValidationException" and "already exists" in message
    sm.update_experiment(ExperimentName=experiment, DisplayName="Shown", Description="second")
    described = sm.describe_experiment(ExperimentName=experiment)
    assert (described["DisplayName"], described["Description"]) == ("Shown", "second")
    assert described["LastModifiedTime"] >= described["CreationTime"]
    names = [
        e["ExperimentName"] for e in sm.list_experiments(SortBy="CreationTime", MaxResults=100)["ExperimentSummaries"]
    ]
    assert experiment in names
    missing = unique("nope")
    assert error_of(sm.describe_experiment, ExperimentName=missing)[0] == "ResourceNotFound"
    assert error_of(sm.update_experiment, ExperimentName=missing, DisplayName="x")[0] == "ResourceNotFound"
    sm.delete_experiment(ExperimentName=experiment)
    assert error_of(sm.describe_experiment, ExperimentName=experiment)[0] == "ResourceNotFound"


def test_trials_belong_to_an_existing_experiment(sm, experiment):
    trial = unique("trial")
    code, _ = error_of(sm.create_trial, TrialName=trial, ExperimentName=unique("missing"))
    assert code == "ResourceNotFound"
    arn = sm.create_trial(TrialName=trial, ExperimentName=experiment)["TrialArn"]
    assert arn.endswith(f":experiment-trial/{trial}")
    code, message = error_of(sm.create_trial, TrialName=trial, ExperimentName=experiment)
    assert code == "ValidationException" and "already exists" in message
    assert sm.describe_trial(TrialName=trial)["ExperimentName"] == experiment
    listed = sm.list_trials(ExperimentName=experiment)["TrialSummaries"]
    assert [t["TrialName"] for t in listed] == [trial]
    sm.update_trial(TrialName=trial, DisplayName="Trial-one")
    assert sm.describe_trial(TrialName=trial)["DisplayName"] == "Trial-one"
    code, _ = error_of(sm.delete_experiment, ExperimentName=experiment)
    assert code == "ValidationException"  # it still has a trial
    sm.delete_trial(TrialName=trial)
    assert error_of(sm.describe_trial, TrialName=trial)[0] == "ResourceNotFound"
    sm.delete_experiment(ExperimentName=experiment)


def test_trial_component_updates(sm):
    name = unique("tc")
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    sm.create_trial_component(
        TrialComponentName=name,
        DisplayName="Component",
        Status={"PrimaryStatus": "InProgress"},
        StartTime=start,
        Parameters={"lr": {"NumberValue": 0.1}, "opt": {"StringValue": "adam"}, "drop": {"NumberValue": 1}},
        InputArtifacts={"data": {"Value": "s3://b/data.csv", "MediaType": "text/csv"}},
        Tags=[{"Key": "sagemaker:trial-component-source", "Value": "run"}],
    )
    code, message = error_of(sm.create_trial_component, TrialComponentName=name)
    assert code == "ValidationException" and "already exists" in message
    sm.update_trial_component(
        TrialComponentName=name,
        Parameters={"lr": {"NumberValue": 0.2}, "epochs": {"NumberValue": 3}},
        ParametersToRemove=["drop"],
        OutputArtifacts={"model": {"Value": "s3://b/model.tar.gz"}},
        InputArtifactsToRemove=["data"],
        Status={"PrimaryStatus": "Completed", "Message": "done"},
        EndTime=start + dt.timedelta(minutes=5),
    )
    described = sm.describe_trial_component(TrialComponentName=name)
    assert described["Parameters"] == {
        "lr": {"NumberValue": 0.2},
        "epochs": {"NumberValue": 3.0},
        "opt": {"StringValue": "adam"},
    }
    assert described["OutputArtifacts"] == {"model": {"Value": "s3://b/model.tar.gz"}}
    assert "InputArtifacts" not in described or described["InputArtifacts"] == {}
    assert described["Status"] == {"PrimaryStatus": "Completed", "Message": "done"}
    assert described["EndTime"] - described["StartTime"] == dt.timedelta(minutes=5)
    code, _ = error_of(sm.update_trial_component, TrialComponentName=name, EndTime=start - dt.timedelta(days=1))
    assert code == "ValidationException"
    code, _ = error_of(
        sm.update_trial_component,
        TrialComponentName=name,
        Parameters={"a": {"NumberValue": 1}},
        ParametersToRemove=["a"],
    )
    assert code == "ValidationException"
    assert sm.describe_trial_component(TrialComponentName=name)["Parameters"]["lr"] == {"NumberValue": 0.2}
    code, _ = error_of(sm.update_trial_component, TrialComponentName=unique("nope"), DisplayName="x")
    assert code == "ResourceNotFound"
    sm.delete_trial_component(TrialComponentName=name)
    assert error_of(sm.describe_trial_component, TrialComponentName=name)[0] == "ResourceNotFound"


def test_associations_and_component_listings(sm, experiment):
    trial_a, trial_b = unique("ta"), unique("tb")
    for trial in (trial_a, trial_b):
        sm.create_trial(TrialName=trial, ExperimentName=experiment)
    names = [unique(f"tc{i}") for i in range(3)]
    for name in names:
        sm.create_trial_component(TrialComponentName=name)
    sm.associate_trial_component(TrialComponentName=names[0], TrialName=trial_a)
    sm.associate_trial_component(TrialComponentName=names[1], TrialName=trial_a)
    sm.associate_trial_component(TrialComponentName=names[1], TrialName=trial_a)  # a repeat is harmless
    sm.associate_trial_component(TrialComponentName=names[2], TrialName=trial_b)
    assert (
        error_of(sm.associate_trial_component, TrialComponentName=names[0], TrialName=unique("nope"))[0]
        == "ResourceNotFound"
    )

    def listed(**params) -> list[str]:
        return [c["TrialComponentName"] for c in sm.list_trial_components(**params)["TrialComponentSummaries"]]

    assert listed(TrialName=trial_a, SortBy="Name", SortOrder="Ascending") == sorted(names[:2])
    assert listed(ExperimentName=experiment, SortBy="CreationTime", SortOrder="Ascending") == names
    assert listed(ExperimentName=experiment) == names[::-1]  # newest first by default
    first = sm.list_trial_components(ExperimentName=experiment, MaxResults=2, SortOrder="Ascending")
    second = sm.list_trial_components(
        ExperimentName=experiment, MaxResults=2, SortOrder="Ascending", NextToken=first["NextToken"]
    )
    assert [
        c["TrialComponentName"] for c in first["TrialComponentSummaries"] + second["TrialComponentSummaries"]
    ] == names and "NextToken" not in second
    created = sm.describe_trial_component(TrialComponentName=names[1])["CreationTime"]
    assert (
        listed(ExperimentName=experiment, CreatedAfter=created - dt.timedelta(milliseconds=1), SortOrder="Ascending")
        == names[1:]
    )
    assert error_of(sm.list_trial_components, ExperimentName=experiment, TrialName=trial_a)[0] == "ValidationException"
    assert error_of(sm.list_trial_components, TrialName=unique("nope"))[0] == "ResourceNotFound"
    assert [t["TrialName"] for t in sm.list_trials(TrialComponentName=names[2])["TrialSummaries"]] == [trial_b]

    assert error_of(sm.delete_trial_component, TrialComponentName=names[0])[0] == "ValidationException"
    assert error_of(sm.delete_trial, TrialName=trial_a)[0] == "ValidationException"
    sm.disassociate_trial_component(TrialComponentName=names[0], TrialName=trial_a)
    assert (
        error_of(sm.disassociate_trial_component, TrialComponentName=names[0], TrialName=trial_a)[0]
        == "ResourceNotFound"
    )
    assert listed(TrialName=trial_a) == [names[1]]
    sm.delete_trial_component(TrialComponentName=names[0])
