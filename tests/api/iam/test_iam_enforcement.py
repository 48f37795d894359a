"""Policies enforced on every call: a new user can do nothing; the seed's VolumeKmsKey policy means
what it means in AWS; explicit Deny wins; iam:PassRole guards execution roles; the simulator agrees
with enforcement."""

from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.server import REGION

ACCOUNT = "000000000000"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/ffffffff-12ab-34cd-56ef-1234567890ab"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1"
TRUST_SAGEMAKER = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
SEED_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"], "Resource": "*",
    "Condition": {"StringEquals": {"sagemaker:VolumeKmsKey": KEY}}}]}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def iam(server):
    return server.client("iam")


def client_as(server, key: dict, service: str):
    return boto3.client(service, endpoint_url=server.endpoint_url, region_name=REGION,
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                        config=Config(retries={"max_attempts": 1}))


def new_user(iam, *policies: dict) -> tuple[str, dict]:
    name = unique("user")
    iam.create_user(UserName=name)
    for index, document in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"p{index}", PolicyDocument=json.dumps(document))
    return name, iam.create_access_key(UserName=name)["AccessKey"]


OUTPUT_BUCKET = unique("iam-output")


def training_request(role_arn: str, volume_key: str | None = None) -> dict:
    resources = {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10}
    if volume_key:
        resources["VolumeKmsKeyId"] = volume_key
    return {"TrainingJobName": unique("seed"), "RoleArn": role_arn,
            "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
            "OutputDataConfig": {"S3OutputPath": f"s3://{OUTPUT_BUCKET}/output"}, "ResourceConfig": resources,
            "StoppingCondition": {"MaxRuntimeInSeconds": 60}, "HyperParameters": {"num_round": "1"}}


def stop_quietly(server, name: str) -> None:
    """The job may already have ended (it has no input): only a running one needs stopping."""
    try:
        server.client("sagemaker").stop_training_job(TrainingJobName=name)
    except ClientError as error:
        assert "status" in error.response["Error"]["Message"]


@pytest.fixture(scope="module")
def role_arn(server, iam):
    server.client("s3").create_bucket(Bucket=OUTPUT_BUCKET)
    return iam.create_role(RoleName=unique("SeedTrainer"),
                           AssumeRolePolicyDocument=json.dumps(TRUST_SAGEMAKER))["Role"]["Arn"]


def test_a_new_user_can_do_nothing(server, iam):
    name, key = new_user(iam)
    with pytest.raises(ClientError) as excinfo:
        client_as(server, key, "sagemaker").list_endpoints()
    assert code(excinfo) == "AccessDeniedException"
    message = excinfo.value.response["Error"]["Message"]
    assert f"user/{name}" in message and "sagemaker:ListEndpoints" in message
    assert "no identity-based policy allows" in message
    with pytest.raises(ClientError) as excinfo:
        client_as(server, key, "s3").list_buckets()
    assert code(excinfo) == "AccessDenied"
    with pytest.raises(ClientError) as excinfo:
        client_as(server, key, "iam").list_users()
    assert code(excinfo) == "AccessDenied"
    # Who am I needs no permission.
    assert client_as(server, key, "sts").get_caller_identity()["Arn"].endswith(f":user/{name}")


def test_the_seed_policy(server, iam, role_arn):
    pass_role = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole",
                                                         "Resource": role_arn}]}
    _, key = new_user(iam, SEED_POLICY, pass_role)
    sagemaker = client_as(server, key, "sagemaker")
    created = sagemaker.create_training_job(**training_request(role_arn, KEY))
    assert created["TrainingJobArn"]
    for request in (training_request(role_arn), training_request(role_arn, OTHER_KEY)):
        with pytest.raises(ClientError) as excinfo:
            sagemaker.create_training_job(**request)
        assert code(excinfo) == "AccessDeniedException"
        assert server.client("sagemaker").list_training_jobs(NameContains=request["TrainingJobName"])[
            "TrainingJobSummaries"] == []  # nothing was created
    # DescribeTrainingJob carries no VolumeKmsKey: the conditioned statement does not apply.
    name = created["TrainingJobArn"].rsplit("/", 1)[-1]
    with pytest.raises(ClientError) as excinfo:
        sagemaker.describe_training_job(TrainingJobName=name)
    assert code(excinfo) == "AccessDeniedException"
    for call in (lambda: sagemaker.list_endpoints(),
                 lambda: sagemaker.create_processing_job(
                     ProcessingJobName=unique("p"), RoleArn=role_arn,
                     ProcessingResources={"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                                                            "VolumeSizeInGB": 30, "VolumeKmsKeyId": KEY}},
                     AppSpecification={"ImageUri": XGBOOST_IMAGE})):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert code(excinfo) == "AccessDeniedException"
    stop_quietly(server, name)


def test_explicit_deny_overrides_allow(server, iam, role_arn):
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sagemaker:CreateTrainingJob",
                                                    "Resource": "*"}]}
    pass_role = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole",
                                                         "Resource": role_arn}]}
    _, key = new_user(iam, SEED_POLICY, pass_role, deny)
    with pytest.raises(ClientError) as excinfo:
        client_as(server, key, "sagemaker").create_training_job(**training_request(role_arn, KEY))
    assert "explicit deny" in excinfo.value.response["Error"]["Message"]


def test_pass_role_is_required(server, iam, role_arn):
    _, key = new_user(iam, SEED_POLICY)
    with pytest.raises(ClientError) as excinfo:
        client_as(server, key, "sagemaker").create_training_job(**training_request(role_arn, KEY))
    assert code(excinfo) == "AccessDeniedException"
    assert "iam:PassRole" in excinfo.value.response["Error"]["Message"]


def test_group_and_managed_policies_apply(server, iam):
    name, key = new_user(iam)
    group = unique("readers")
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerReadOnly")
    sagemaker = client_as(server, key, "sagemaker")
    with pytest.raises(ClientError):
        sagemaker.list_endpoints()
    iam.add_user_to_group(GroupName=group, UserName=name)
    assert "Endpoints" in sagemaker.list_endpoints()  # takes effect at once
    with pytest.raises(ClientError):
        sagemaker.delete_endpoint(EndpointName="anything")
    iam.remove_user_from_group(GroupName=group, UserName=name)
    with pytest.raises(ClientError):
        sagemaker.list_endpoints()


def test_deactivated_and_deleted_keys_stop_working(server, iam):
    name, key = new_user(iam)
    sts = client_as(server, key, "sts")
    sts.get_caller_identity()
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as excinfo:
        sts.get_caller_identity()
    assert code(excinfo) == "InvalidClientTokenId"
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError):
        sts.get_caller_identity()


def test_bucket_prefix_with_policy_variables(server, iam):
    bucket = unique("home")
    server.client("s3").create_bucket(Bucket=bucket)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": f"arn:aws:s3:::{bucket}/home/${{aws:username}}/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}}]}
    name, key = new_user(iam, policy)
    s3 = client_as(server, key, "s3")
    s3.put_object(Bucket=bucket, Key=f"home/{name}/a.txt", Body=b"mine")
    assert s3.get_object(Bucket=bucket, Key=f"home/{name}/a.txt")["Body"].read() == b"mine"
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"home/{name}/")["KeyCount"] == 1
    for call in (lambda: s3.put_object(Bucket=bucket, Key="home/someone/a.txt", Body=b"x"),
                 lambda: s3.list_objects_v2(Bucket=bucket, Prefix="home/"),
                 lambda: s3.list_objects_v2(Bucket=bucket)):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert code(excinfo) == "AccessDenied"


def test_simulator_agrees_with_enforcement(server, iam, role_arn):
    pass_role = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole",
                                                         "Resource": role_arn}]}
    name, key = new_user(iam, SEED_POLICY, pass_role)
    user_arn = iam.get_user(UserName=name)["User"]["Arn"]
    sagemaker = client_as(server, key, "sagemaker")
    cases = [("sagemaker:CreateTrainingJob", [KEY]), ("sagemaker:CreateTrainingJob", [OTHER_KEY]),
             ("sagemaker:CreateTrainingJob", None)]
    for action, key_values in cases:
        entries = [{"ContextKeyName": "sagemaker:VolumeKmsKey", "ContextKeyValues": key_values,
                    "ContextKeyType": "string"}] if key_values else []
        simulated = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=[action],
                                                  ContextEntries=entries)["EvaluationResults"][0]["EvalDecision"]
        request = training_request(role_arn, key_values[0] if key_values else None)
        try:
            sagemaker.create_training_job(**request)
            enforced = "allowed"
            stop_quietly(server, request["TrainingJobName"])
        except ClientError as error:
            assert error.response["Error"]["Code"] == "AccessDeniedException"
            enforced = "implicitDeny"
        assert simulated == enforced, (action, key_values)
    custom = iam.simulate_custom_policy(PolicyInputList=[json.dumps(SEED_POLICY)],
                                        ActionNames=["sagemaker:DescribeTrainingJob", "sagemaker:ListEndpoints"])
    assert [r["EvalDecision"] for r in custom["EvaluationResults"]] == ["implicitDeny", "implicitDeny"]


def test_roles_at_work(server, iam):
    """A job's script runs with its role's temporary credentials: what it may do is what the role allows."""
    bucket = unique("role-bucket")
    server.client("s3").create_bucket(Bucket=bucket)
    role = unique("Writer")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST_SAGEMAKER))["Role"]["Arn"]
    sts = server.client("sts")
    with pytest.raises(ClientError) as excinfo:  # the trust policy names only SageMaker
        sts.assume_role(RoleArn=arn, RoleSessionName="me")
    assert code(excinfo) == "AccessDenied"
    trust_root = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                          "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust_root))
    credentials = sts.assume_role(RoleArn=arn, RoleSessionName="job")["Credentials"]
    s3 = boto3.client("s3", endpoint_url=server.endpoint_url, region_name=REGION,
                      aws_access_key_id=credentials["AccessKeyId"],
                      aws_secret_access_key=credentials["SecretAccessKey"],
                      aws_session_token=credentials["SessionToken"], config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="model.bin", Body=b"x")
    assert code(excinfo) == "AccessDenied"
    iam.put_role_policy(RoleName=role, PolicyName="write", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    s3.put_object(Bucket=bucket, Key="model.bin", Body=b"x")


def test_the_audit_trail_records_allowed_and_denied_calls_without_secrets(server, iam):
    name, key = new_user(iam)
    with pytest.raises(ClientError):
        client_as(server, key, "sagemaker").list_endpoints()
    client_as(server, key, "sts").get_caller_identity()
    created = server.client("iam").create_access_key(UserName=name)["AccessKey"]
    trail = server.client("cloudtrail")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": name}])["Events"]
        if {"ListEndpoints", "GetCallerIdentity"} <= {e["EventName"] for e in events}:
            break
        time.sleep(0.1)
    records = {e["EventName"]: json.loads(e["CloudTrailEvent"]) for e in events}
    denied = records["ListEndpoints"]
    assert denied["errorCode"] == "AccessDeniedException" and denied["userIdentity"]["type"] == "IAMUser"
    assert denied["eventSource"] == "sagemaker.amazonaws.com" and "requestID" in denied
    assert "errorCode" not in records["GetCallerIdentity"]
    text = (server.home / "audit" / "trail.jsonl").read_text()
    assert created["SecretAccessKey"] not in text and key["SecretAccessKey"] not in text


def test_bucket_policies_grant_and_deny(server, iam):
    bucket = unique("shared")
    root_s3 = server.client("s3")
    root_s3.create_bucket(Bucket=bucket)
    root_s3.put_object(Bucket=bucket, Key="data.csv", Body=b"1,2")
    name, key = new_user(iam)
    user_arn = iam.get_user(UserName=name)["User"]["Arn"]
    s3 = client_as(server, key, "s3")
    with pytest.raises(ClientError):
        s3.get_object(Bucket=bucket, Key="data.csv")
    with pytest.raises(ClientError) as excinfo:
        root_s3.get_bucket_policy(Bucket=bucket)
    assert code(excinfo) == "NoSuchBucketPolicy"
    grant = {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadForUser", "Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    root_s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(grant))
    assert json.loads(root_s3.get_bucket_policy(Bucket=bucket)["Policy"]) == grant
    assert s3.get_object(Bucket=bucket, Key="data.csv")["Body"].read() == b"1,2"  # the bucket policy allows
    with pytest.raises(ClientError) as excinfo:
        root_s3.delete_object(Bucket=bucket, Key="data.csv")  # its Deny binds even the root
    assert code(excinfo) == "AccessDenied"
    # The simulator, given the same bucket policy, agrees.
    simulated = iam.simulate_principal_policy(
        PolicySourceArn=user_arn, ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=[f"arn:aws:s3:::{bucket}/data.csv"], ResourcePolicy=json.dumps(grant))
    assert [r["EvalDecision"] for r in simulated["EvaluationResults"]] == ["allowed", "implicitDeny"]
    with pytest.raises(ClientError) as excinfo:
        root_s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}]}))
    assert code(excinfo) == "MalformedPolicy"
    root_s3.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_object(Bucket=bucket, Key="data.csv")
    root_s3.delete_object(Bucket=bucket, Key="data.csv")


def test_session_policies_narrow_a_role_session(server, iam):
    bucket = unique("session")
    server.client("s3").create_bucket(Bucket=bucket)
    role = unique("Wide")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    read_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                         "Resource": "*"}]}
    credentials = server.client("sts").assume_role(RoleArn=arn, RoleSessionName="narrow",
                                                   Policy=json.dumps(read_only))["Credentials"]
    s3 = boto3.client("s3", endpoint_url=server.endpoint_url, region_name=REGION,
                      aws_access_key_id=credentials["AccessKeyId"],
                      aws_secret_access_key=credentials["SecretAccessKey"],
                      aws_session_token=credentials["SessionToken"], config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x")  # the role may, the session may not
    assert "session policy" in excinfo.value.response["Error"]["Message"]
    server.client("s3").put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    with pytest.raises(ClientError) as excinfo:
        server.client("sts").assume_role(RoleArn=arn, RoleSessionName="bad", Policy='{"Statement": 1}')
    assert code(excinfo) == "MalformedPolicyDocument"
