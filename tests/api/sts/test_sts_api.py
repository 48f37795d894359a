"""STS through boto3 against a real server: caller identity, AssumeRole and its credentials."""

from __future__ import annotations

import re

import boto3
import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole-20260101T000000"


@pytest.fixture(scope="module")
def sts(server):
    return server.client("sts")


def client_for(server, creds: dict, service: str = "sts", token: str | None = None):
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"] if token is None else token,
                            region_name=REGION)
    return session.client(service, endpoint_url=server.endpoint_url, config=boto3.session.Config(
        retries={"max_attempts": 1, "mode": "standard"}))


def error_of(info) -> tuple[str, str]:
    error = info.value.response["Error"]
    return error["Code"], error.get("Message", "")


def test_the_admin_key_is_the_account_root(sts):
    identity = sts.get_caller_identity()
    assert (identity["Account"], identity["Arn"], identity["UserId"]) == (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root",
                                                                          ACCOUNT)


def test_assumed_role_credentials_work_and_identify_the_session(server, sts):
    reply = sts.assume_role(RoleArn=ROLE, RoleSessionName="SageMaker", DurationSeconds=900,
                            Policy='{"Version":"2012-10-17","Statement":[]}',
                            Tags=[{"Key": "team", "Value": "ml"}])
    creds, user = reply["Credentials"], reply["AssumedRoleUser"]
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", creds["AccessKeyId"])
    assert creds["Expiration"].tzinfo is not None
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/AmazonSageMaker-ExecutionRole-20260101T000000/SageMaker"
    assert user["Arn"] == session_arn and user["AssumedRoleId"].endswith(":SageMaker")

    identity = client_for(server, creds).get_caller_identity()
    assert (identity["Account"], identity["Arn"], identity["UserId"]) == (ACCOUNT, session_arn,
                                                                          user["AssumedRoleId"])
    # The SDK's get_execution_role() turns the session ARN back into the role's ARN like this:
    role_name = identity["Arn"].split("/")[1]
    assert f"arn:aws:iam::{ACCOUNT}:role/{role_name}" == ROLE.replace("service-role/", "")


def test_a_tampered_or_missing_session_token_is_rejected(server, sts):
    creds = sts.assume_role(RoleArn=ROLE, RoleSessionName="tamper")["Credentials"]
    token = creds["SessionToken"]
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    for bad in (tampered, ""):
        with pytest.raises(ClientError) as info:
            client_for(server, creds, token=bad).get_caller_identity()
        assert error_of(info)[0] == "InvalidClientTokenId"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_role_chaining_is_limited_to_an_hour(server, sts):
    creds = sts.assume_role(RoleArn=ROLE, RoleSessionName="first", DurationSeconds=7200)["Credentials"]
    chained = client_for(server, creds)
    with pytest.raises(ClientError) as info:
        chained.assume_role(RoleArn=ROLE, RoleSessionName="second", DurationSeconds=3601)
    assert error_of(info) == ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit "
                                                 "for roles assumed by role chaining.")
    second = chained.assume_role(RoleArn=ROLE, RoleSessionName="second")["Credentials"]
    assert client_for(server, second).get_caller_identity()["Arn"].endswith("/second")


@pytest.mark.parametrize("role_arn", [
    f"arn:aws:iam::{ACCOUNT}:user/not-a-role",
    f"arn:aws:iam:us-east-1:{ACCOUNT}:role/regional",
    "definitely-not-an-arn-at-all",
])
def test_a_malformed_role_arn_is_a_validation_error(sts, role_arn):
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert error_of(info) == ("ValidationError", "Request ARN is invalid")


def test_another_accounts_role_is_access_denied(sts):
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/Elsewhere", RoleSessionName="s1")
    code, message = error_of(info)
    assert code == "AccessDenied" and "sts:AssumeRole" in message
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_malformed_session_policy_is_refused(sts):
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=ROLE, RoleSessionName="s1", Policy="{not json")
    assert error_of(info)[0] == "MalformedPolicyDocument"


@pytest.mark.parametrize("seconds", [899, 43201])
def test_duration_outside_the_limits_is_a_validation_error(server, seconds):
    sts = server.client("sts", parameter_validation=False)
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=ROLE, RoleSessionName="s1", DurationSeconds=seconds)
    code, message = error_of(info)
    assert "durationSeconds" in message
    assert code == "ValidationError"
