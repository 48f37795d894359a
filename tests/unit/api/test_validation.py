"""Input validation against botocore's shapes: AWS's messages, with the failing member's path."""

import botocore.session
import pytest

from sagecraft.api.validation import validate
from sagecraft.core.errors import ValidationException

_SESSION = botocore.session.get_session()


def _shape(service: str, operation: str):
    return _SESSION.get_service_model(service).operation_model(operation).input_shape


def _message(service: str, operation: str, params: dict) -> str:
    with pytest.raises(ValidationException) as caught:
        validate(_shape(service, operation), params)
    return caught.value.message


def test_valid_input_passes():
    validate(_shape("sagemaker-featurestore-runtime", "PutRecord"),
             {"FeatureGroupName": "fg", "Record": [{"FeatureName": "id", "ValueAsString": "1"}]})


def test_a_missing_required_member_is_named():
    message = _message("sagemaker-featurestore-runtime", "PutRecord", {"FeatureGroupName": "fg"})
    assert message == ("1 validation error detected: Value null at 'record' failed to satisfy constraint: "
                       "Member must not be null")


def test_list_items_and_nested_members_carry_their_path():
    record = [{"FeatureName": "id", "ValueAsString": "1"}, {"FeatureName": "", "ValueAsString": "2"}, None]
    message = _message("sagemaker-featurestore-runtime", "PutRecord", {"FeatureGroupName": "fg", "Record": record})
    assert message.startswith("3 validation errors detected: ")  # the empty name: length and pattern
    assert "Value '' at 'record.2.member.featureName' failed to satisfy constraint: Member must have length " \
           "greater than or equal to 1" in message
    assert "Value null at 'record.3.member' failed to satisfy constraint: Member must not be null" in message


def test_map_entries_enums_patterns_and_ranges():
    params = {"TrainingJobName": "bad name!", "RoleArn": "arn:aws:iam::123456789012:role/r",
              "AlgorithmSpecification": {"TrainingImage": "i", "TrainingInputMode": "Sideways"},
              "OutputDataConfig": {"S3OutputPath": "s3://b/o"},
              "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
              "StoppingCondition": {"MaxRuntimeInSeconds": 0}, "HyperParameters": {"k": "x" * 2600}}
    message = _message("sagemaker", "CreateTrainingJob", params)
    assert message.startswith("4 validation errors detected: ")
    assert "at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression " \
           "pattern" in message
    assert "Value 'Sideways' at 'algorithmSpecification.trainingInputMode' failed to satisfy constraint: Member " \
           "must satisfy enum value set: [" in message
    assert "Value '0' at 'stoppingCondition.maxRuntimeInSeconds' failed to satisfy constraint: Member must " \
           "greater than or equal to 1" in message
    assert "at 'hyperParameters.k.value' failed to satisfy constraint: Member must have length less than or " \
           "equal to 2500" in message
