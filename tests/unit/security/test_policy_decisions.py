"""AWS's documented answers for policy decisions, one table row per case.

Each row: identity policies, an optional resource-based policy, the request, and the decision AWS's
policy evaluation logic gives (allowed / explicitDeny / implicitDeny)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sagecraft.security.policy import AuthorizationRequest, NamedPolicy, evaluate, parse_policy

ACCOUNT = "111122223333"
OTHER = "444455556666"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/ffffffff-12ab-34cd-56ef-1234567890ab"
JOB = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/train-1"
BUCKET = "arn:aws:s3:::data-bucket"
OBJECT = "arn:aws:s3:::data-bucket/home/alice/notes.txt"

ALLOW, DENY, NONE = "allowed", "explicitDeny", "implicitDeny"  # NONE: implicit deny


def stmt(effect="Allow", action="*", resource="*", condition=None, **elements):
    statement = {"Effect": effect, "Action": action, "Resource": resource, **elements}
    if condition:
        statement["Condition"] = condition
    for negated in ("NotAction", "NotResource"):
        if negated in elements:
            statement.pop(negated.removeprefix("Not"), None)
    return statement


def doc(*statements, version="2012-10-17"):
    return {"Version": version, "Statement": list(statements)}


def deny(**kwargs):
    return stmt("Deny", **kwargs)


# The seed's best-practice policy: training only with the named volume key.
SEED = doc(
    stmt(
        action=["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"],
        resource="*",
        condition={"StringEquals": {"sagemaker:VolumeKmsKey": KEY}},
    )
)


@dataclass
class Case:
    name: str
    identity: list
    expected: str
    action: str = "sagemaker:CreateTrainingJob"
    resource: str = JOB
    context: dict = field(default_factory=dict)
    resource_policy: dict | None = None
    principal: str = ALICE
    principal_account: str = ACCOUNT
    resource_account: str | None = None
    boundary: list | None = None
    session: list | None = None
    is_root: bool = False
    role_arn: str | None = None


def case(name, identity, expected, **kwargs) -> Case:
    return Case(name, identity if isinstance(identity, list) else [identity], expected, **kwargs)


def ctx(**keys):
    return {key.replace("__", ":").replace("_SLASH_", "/"): value for key, value in keys.items()}


CASES = [
    # --- no policy, basic allow/deny -------------------------------------------------------------
    case("no policy: implicit deny", [], NONE),
    case("allow all", doc(stmt()), ALLOW),
    case("deny all", doc(deny()), DENY),
    case("allow then deny: deny wins", [doc(stmt()), doc(deny())], DENY),
    case("deny in same policy wins", doc(stmt(), deny(action="sagemaker:CreateTrainingJob")), DENY),
    case("deny other action does not apply", doc(stmt(), deny(action="sagemaker:DeleteModel")), ALLOW),
    case("allow other action only", doc(stmt(action="sagemaker:DescribeTrainingJob")), NONE),
    case("two statements, second allows", doc(stmt(action="s3:GetObject"), stmt(action="sagemaker:Create*")), ALLOW),
    case("action list", doc(stmt(action=["s3:GetObject", "sagemaker:CreateTrainingJob"])), ALLOW),
    case("single statement object", {"Version": "2012-10-17", "Statement": stmt()}, ALLOW),
    # --- action wildcards ------------------------------------------------------------------------
    case("service wildcard", doc(stmt(action="sagemaker:*")), ALLOW),
    case("prefix wildcard", doc(stmt(action="sagemaker:Create*")), ALLOW),
    case("infix wildcard", doc(stmt(action="sagemaker:*Training*")), ALLOW),
    case("question mark", doc(stmt(action="sagemaker:CreateTrainingJo?")), ALLOW),
    case("question mark needs one char", doc(stmt(action="sagemaker:CreateTrainingJob?")), NONE),
    case("actions are case-insensitive", doc(stmt(action="SageMaker:createtrainingjob")), ALLOW),
    case("other service wildcard", doc(stmt(action="s3:*")), NONE),
    case("wildcard service part", doc(stmt(action="*:CreateTrainingJob")), ALLOW),
    # --- NotAction -------------------------------------------------------------------------------
    case("NotAction excludes the action", doc(stmt(NotAction="sagemaker:CreateTrainingJob")), NONE),
    case("NotAction allows others", doc(stmt(NotAction="iam:*")), ALLOW),
    case("NotAction wildcard excludes", doc(stmt(NotAction="sagemaker:*")), NONE),
    case("Deny NotAction denies everything else", doc(stmt(), deny(NotAction="s3:*")), DENY),
    case("Deny NotAction spares the listed", doc(stmt(), deny(NotAction="sagemaker:*")), ALLOW),
    # --- resources -------------------------------------------------------------------------------
    case("exact resource", doc(stmt(resource=JOB)), ALLOW),
    case("other resource", doc(stmt(resource=JOB + "x")), NONE),
    case("resource wildcard", doc(stmt(resource=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/*")), ALLOW),
    case(
        "resource wildcard in region", doc(stmt(resource=f"arn:aws:sagemaker:*:{ACCOUNT}:training-job/train-1")), ALLOW
    ),
    case("resource wildcard wrong type", doc(stmt(resource=f"arn:aws:sagemaker:*:{ACCOUNT}:endpoint/*")), NONE),
    case("resource wildcard other account", doc(stmt(resource=f"arn:aws:sagemaker:*:{OTHER}:*")), NONE),
    case("resource is case-sensitive", doc(stmt(resource=JOB.replace("train-1", "Train-1"))), NONE),
    case("resource question mark", doc(stmt(resource=JOB[:-1] + "?")), ALLOW),
    case("wildcard does not span ARN colons", doc(stmt(resource="arn:aws:sagemaker:us-*:training-job/train-1")), NONE),
    case("arn:* matches all", doc(stmt(resource="arn:*")), ALLOW),
    case(
        "s3 object under prefix",
        doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/home/*")),
        ALLOW,
        action="s3:GetObject",
        resource=OBJECT,
    ),
    case(
        "s3 bucket pattern misses objects",
        doc(stmt(action="s3:GetObject", resource=BUCKET)),
        NONE,
        action="s3:GetObject",
        resource=OBJECT,
    ),
    case("resource list", doc(stmt(resource=[BUCKET, JOB])), ALLOW),
    # --- NotResource -----------------------------------------------------------------------------
    case("NotResource excludes", doc(stmt(NotResource=JOB)), NONE),
    case("NotResource allows others", doc(stmt(NotResource="arn:aws:s3:::*")), ALLOW),
    case("Deny NotResource protects all but listed", doc(stmt(), deny(NotResource=BUCKET)), DENY),
    case("Deny NotResource spares listed", doc(stmt(), deny(NotResource=JOB)), ALLOW),
    # --- the seed's VolumeKmsKey policy ----------------------------------------------------------
    case("seed: create with the key", SEED, ALLOW, context=ctx(sagemaker__volumekmskey=[KEY])),
    case("seed: create without a key", SEED, NONE),
    case("seed: create with another key", SEED, NONE, context=ctx(sagemaker__volumekmskey=[OTHER_KEY])),
    case("seed: describe has no VolumeKmsKey key", SEED, NONE, action="sagemaker:DescribeTrainingJob"),
    case(
        "seed: processing not allowed",
        SEED,
        NONE,
        action="sagemaker:CreateProcessingJob",
        context=ctx(sagemaker__volumekmskey=[KEY]),
    ),
    case("seed: list endpoints not allowed", SEED, NONE, action="sagemaker:ListEndpoints", resource="*"),
    case(
        "seed + explicit deny",
        [SEED, doc(deny(action="sagemaker:CreateTrainingJob"))],
        DENY,
        context=ctx(sagemaker__volumekmskey=[KEY]),
    ),
    case(
        "seed with IfExists lets describe through",
        doc(
            stmt(
                action=["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"],
                condition={"StringEqualsIfExists": {"sagemaker:VolumeKmsKey": KEY}},
            )
        ),
        ALLOW,
        action="sagemaker:DescribeTrainingJob",
    ),
    # --- string conditions -----------------------------------------------------------------------
    case(
        "StringEquals case-sensitive",
        doc(stmt(condition={"StringEquals": {"aws:username": "Alice"}})),
        NONE,
        context=ctx(aws__username=["alice"]),
    ),
    case(
        "StringEqualsIgnoreCase",
        doc(stmt(condition={"StringEqualsIgnoreCase": {"aws:username": "ALICE"}})),
        ALLOW,
        context=ctx(aws__username=["alice"]),
    ),
    case(
        "multi-value OR",
        doc(stmt(condition={"StringEquals": {"aws:username": ["bob", "alice"]}})),
        ALLOW,
        context=ctx(aws__username=["alice"]),
    ),
    case(
        "StringNotEquals multi-value is AND (neither)",
        doc(stmt(condition={"StringNotEquals": {"aws:username": ["bob", "alice"]}})),
        NONE,
        context=ctx(aws__username=["alice"]),
    ),
    case(
        "StringNotEquals with other value",
        doc(stmt(condition={"StringNotEquals": {"aws:username": "bob"}})),
        ALLOW,
        context=ctx(aws__username=["alice"]),
    ),
    case(
        "StringNotEquals absent key is true", doc(stmt(condition={"StringNotEquals": {"aws:username": "bob"}})), ALLOW
    ),
    case("StringEquals absent key is false", doc(stmt(condition={"StringEquals": {"aws:username": "bob"}})), NONE),
    case(
        "StringLike wildcard",
        doc(stmt(condition={"StringLike": {"s3:prefix": "home/*"}})),
        ALLOW,
        context=ctx(s3__prefix=["home/alice/"]),
    ),
    case(
        "StringLike miss",
        doc(stmt(condition={"StringLike": {"s3:prefix": "home/*"}})),
        NONE,
        context=ctx(s3__prefix=["tmp/"]),
    ),
    case(
        "StringNotLike",
        doc(stmt(condition={"StringNotLike": {"s3:prefix": "secret*"}})),
        ALLOW,
        context=ctx(s3__prefix=["home/"]),
    ),
    case(
        "StringEquals does not expand wildcards",
        doc(stmt(condition={"StringEquals": {"s3:prefix": "home/*"}})),
        NONE,
        context=ctx(s3__prefix=["home/alice"]),
    ),
    case(
        "condition keys are case-insensitive",
        doc(stmt(condition={"StringEquals": {"AWS:UserName": "alice"}})),
        ALLOW,
        context=ctx(aws__username=["alice"]),
    ),
    case(
        "two keys are AND",
        doc(stmt(condition={"StringEquals": {"aws:username": "alice", "s3:prefix": "x"}})),
        NONE,
        context=ctx(aws__username=["alice"], s3__prefix=["y"]),
    ),
    case(
        "two keys both match",
        doc(stmt(condition={"StringEquals": {"aws:username": "alice", "s3:prefix": "x"}})),
        ALLOW,
        context=ctx(aws__username=["alice"], s3__prefix=["x"]),
    ),
    case(
        "two operators are AND",
        doc(stmt(condition={"StringEquals": {"aws:username": "alice"}, "Bool": {"aws:SecureTransport": "true"}})),
        NONE,
        context=ctx(aws__username=["alice"], aws__securetransport=["false"]),
    ),
    case(
        "condition on a Deny applies when true",
        doc(stmt(), deny(condition={"Bool": {"aws:SecureTransport": "false"}})),
        DENY,
        context=ctx(aws__securetransport=["false"]),
    ),
    case(
        "condition on a Deny skipped when false",
        doc(stmt(), deny(condition={"Bool": {"aws:SecureTransport": "false"}})),
        ALLOW,
        context=ctx(aws__securetransport=["true"]),
    ),
    # --- numeric, date, bool, ip, binary, arn ----------------------------------------------------
    case(
        "NumericLessThanEquals ok",
        doc(stmt(condition={"NumericLessThanEquals": {"sagemaker:MaxRuntimeInSeconds": "3600"}})),
        ALLOW,
        context=ctx(sagemaker__maxruntimeinseconds=["1800"]),
    ),
    case(
        "NumericLessThanEquals too big",
        doc(stmt(condition={"NumericLessThanEquals": {"sagemaker:MaxRuntimeInSeconds": 3600}})),
        NONE,
        context=ctx(sagemaker__maxruntimeinseconds=["7200"]),
    ),
    case(
        "NumericEquals float",
        doc(stmt(condition={"NumericEquals": {"s3:max-keys": "10"}})),
        ALLOW,
        context={"s3:max-keys": ["10.0"]},
    ),
    case(
        "NumericGreaterThan",
        doc(stmt(condition={"NumericGreaterThan": {"s3:max-keys": "10"}})),
        NONE,
        context={"s3:max-keys": ["10"]},
    ),
    case(
        "NumericNotEquals",
        doc(stmt(condition={"NumericNotEquals": {"s3:max-keys": ["10", "20"]}})),
        ALLOW,
        context={"s3:max-keys": ["30"]},
    ),
    case(
        "Numeric with non-number request value",
        doc(stmt(condition={"NumericEquals": {"s3:max-keys": "10"}})),
        NONE,
        context={"s3:max-keys": ["ten"]},
    ),
    case(
        "DateLessThan ISO",
        doc(stmt(condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})),
        ALLOW,
        context=ctx(aws__currenttime=["2026-11-27T12:00:00Z"]),
    ),
    case(
        "DateGreaterThan ISO",
        doc(stmt(condition={"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})),
        NONE,
        context=ctx(aws__currenttime=["2026-11-27T12:00:00Z"]),
    ),
    case(
        "Date epoch vs ISO",
        doc(stmt(condition={"DateGreaterThanEquals": {"aws:EpochTime": "2020-01-01T00:00:00Z"}})),
        ALLOW,
        context=ctx(aws__epochtime=["1800000000"]),
    ),
    case(
        "DateNotEquals",
        doc(stmt(condition={"DateNotEquals": {"aws:CurrentTime": "2026-11-27T12:00:00Z"}})),
        NONE,
        context=ctx(aws__currenttime=["2026-11-27T12:00:00+00:00"]),
    ),
    case(
        "Bool true",
        doc(stmt(condition={"Bool": {"aws:SecureTransport": True}})),
        ALLOW,
        context=ctx(aws__securetransport=["true"]),
    ),
    case(
        "Bool false",
        doc(stmt(condition={"Bool": {"aws:SecureTransport": "true"}})),
        NONE,
        context=ctx(aws__securetransport=["false"]),
    ),
    case("Bool absent", doc(stmt(condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})), NONE),
    case("BoolIfExists absent", doc(stmt(condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})), ALLOW),
    case(
        "IpAddress in range",
        doc(stmt(condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
        ALLOW,
        context=ctx(aws__sourceip=["10.1.2.3"]),
    ),
    case(
        "IpAddress out of range",
        doc(stmt(condition={"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}})),
        NONE,
        context=ctx(aws__sourceip=["127.0.0.1"]),
    ),
    case(
        "NotIpAddress",
        doc(stmt(condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
        ALLOW,
        context=ctx(aws__sourceip=["127.0.0.1"]),
    ),
    case(
        "IpAddress single host",
        doc(stmt(condition={"IpAddress": {"aws:SourceIp": "127.0.0.1"}})),
        ALLOW,
        context=ctx(aws__sourceip=["127.0.0.1"]),
    ),
    case(
        "IpAddress IPv6",
        doc(stmt(condition={"IpAddress": {"aws:SourceIp": "::1/128"}})),
        ALLOW,
        context=ctx(aws__sourceip=["::1"]),
    ),
    case(
        "BinaryEquals",
        doc(stmt(condition={"BinaryEquals": {"custom:blob": "QmluYXJ5"}})),
        ALLOW,
        context=ctx(custom__blob=["QmluYXJ5"]),
    ),
    case(
        "ArnLike role pattern",
        doc(stmt(condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/a*"}})),
        ALLOW,
        context=ctx(aws__principalarn=[ALICE]),
    ),
    case(
        "ArnEquals exact",
        doc(stmt(condition={"ArnEquals": {"sagemaker:ModelArn": JOB}})),
        ALLOW,
        context=ctx(sagemaker__modelarn=[JOB]),
    ),
    case(
        "ArnNotLike",
        doc(stmt(condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}})),
        ALLOW,
        context=ctx(aws__principalarn=[ALICE]),
    ),
    case(
        "ArnLike wildcard does not span colons",
        doc(stmt(condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*user/alice"}})),
        NONE,
        context=ctx(aws__principalarn=[ALICE]),
    ),
    # --- Null and IfExists -----------------------------------------------------------------------
    case("Null true: key absent", doc(stmt(condition={"Null": {"sagemaker:VolumeKmsKey": "true"}})), ALLOW),
    case(
        "Null true: key present",
        doc(stmt(condition={"Null": {"sagemaker:VolumeKmsKey": "true"}})),
        NONE,
        context=ctx(sagemaker__volumekmskey=[KEY]),
    ),
    case(
        "Null false: key present",
        doc(stmt(condition={"Null": {"sagemaker:VolumeKmsKey": "false"}})),
        ALLOW,
        context=ctx(sagemaker__volumekmskey=[KEY]),
    ),
    case("Deny when no key (Null)", doc(stmt(), deny(condition={"Null": {"sagemaker:VolumeKmsKey": "true"}})), DENY),
    case(
        "StringLikeIfExists present and wrong",
        doc(stmt(condition={"StringLikeIfExists": {"sagemaker:InstanceTypes": "ml.m5.*"}})),
        NONE,
        context=ctx(sagemaker__instancetypes=["ml.p3.2xlarge"]),
    ),
    case(
        "StringLikeIfExists present and right",
        doc(stmt(condition={"StringLikeIfExists": {"sagemaker:InstanceTypes": "ml.m5.*"}})),
        ALLOW,
        context=ctx(sagemaker__instancetypes=["ml.m5.xlarge"]),
    ),
    case(
        "Deny StringNotEqualsIfExists absent → deny applies",
        doc(stmt(), deny(condition={"StringNotEqualsIfExists": {"sagemaker:VolumeKmsKey": KEY}})),
        DENY,
    ),
    case(
        "Deny StringNotEquals with the key → deny skipped",
        doc(stmt(), deny(condition={"StringNotEquals": {"sagemaker:VolumeKmsKey": KEY}})),
        ALLOW,
        context=ctx(sagemaker__volumekmskey=[KEY]),
    ),
    # --- multi-valued keys ------------------------------------------------------------------------
    case(
        "ForAllValues all in set",
        doc(stmt(condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}})),
        ALLOW,
        context=ctx(aws__tagkeys=["team", "env"]),
    ),
    case(
        "ForAllValues one outside",
        doc(stmt(condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}})),
        NONE,
        context=ctx(aws__tagkeys=["team", "cost"]),
    ),
    case(
        "ForAllValues on an empty set is true",
        doc(stmt(condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}})),
        ALLOW,
    ),
    case(
        "ForAllValues on an explicit empty list",
        doc(stmt(condition={"ForAllValues:StringEquals": {"aws:TagKeys": "team"}})),
        ALLOW,
        context=ctx(aws__tagkeys=[]),
    ),
    case(
        "ForAnyValue one inside",
        doc(stmt(condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}})),
        ALLOW,
        context=ctx(aws__tagkeys=["cost", "team"]),
    ),
    case(
        "ForAnyValue none inside",
        doc(stmt(condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}})),
        NONE,
        context=ctx(aws__tagkeys=["cost"]),
    ),
    case(
        "ForAnyValue on an empty set is false",
        doc(stmt(condition={"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}})),
        NONE,
    ),
    case(
        "ForAnyValue StringLike",
        doc(stmt(condition={"ForAnyValue:StringLike": {"sagemaker:VpcSubnets": "subnet-1*"}})),
        ALLOW,
        context=ctx(sagemaker__vpcsubnets=["subnet-9", "subnet-12"]),
    ),
    case(
        "ForAllValues StringLike",
        doc(stmt(condition={"ForAllValues:StringLike": {"sagemaker:VpcSubnets": "subnet-1*"}})),
        NONE,
        context=ctx(sagemaker__vpcsubnets=["subnet-9", "subnet-12"]),
    ),
    case(
        "ForAllValues negated: none may be listed",
        doc(stmt(condition={"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}})),
        ALLOW,
        context=ctx(aws__tagkeys=["team", "env"]),
    ),
    case(
        "ForAnyValue negated: one not listed",
        doc(stmt(condition={"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team"]}})),
        ALLOW,
        context=ctx(aws__tagkeys=["team", "env"]),
    ),
    case(
        "Deny ForAnyValue on forbidden tag",
        doc(stmt(), deny(condition={"ForAnyValue:StringEquals": {"aws:TagKeys": "owner"}})),
        DENY,
        context=ctx(aws__tagkeys=["owner"]),
    ),
    # --- policy variables -------------------------------------------------------------------------
    case(
        "variable in resource",
        doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/home/${aws:username}/*")),
        ALLOW,
        action="s3:GetObject",
        resource=OBJECT,
        context=ctx(aws__username=["alice"]),
    ),
    case(
        "variable in resource, other user",
        doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/home/${aws:username}/*")),
        NONE,
        action="s3:GetObject",
        resource=OBJECT,
        context=ctx(aws__username=["bob"]),
    ),
    case(
        "variable absent: no match",
        doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/home/${aws:username}/*")),
        NONE,
        action="s3:GetObject",
        resource=OBJECT,
    ),
    case(
        "variable default used",
        doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/home/${aws:username, 'alice'}/*")),
        ALLOW,
        action="s3:GetObject",
        resource=OBJECT,
    ),
    case(
        "variable in condition",
        doc(
            stmt(
                action="s3:ListBucket",
                resource=BUCKET,
                condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
            )
        ),
        ALLOW,
        action="s3:ListBucket",
        resource=BUCKET,
        context=ctx(aws__username=["alice"], s3__prefix=["home/alice/x"]),
    ),
    case(
        "variables are literal in 2008-10-17",
        doc(
            stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/home/${aws:username}/*"),
            version="2008-10-17",
        ),
        NONE,
        action="s3:GetObject",
        resource=OBJECT,
        context=ctx(aws__username=["alice"]),
    ),
    case(
        "${*} is a literal star",
        doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/${*}")),
        NONE,
        action="s3:GetObject",
        resource=OBJECT,
    ),
    case(
        "${*} matches a literal star",
        doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/${*}")),
        ALLOW,
        action="s3:GetObject",
        resource="arn:aws:s3:::data-bucket/*",
    ),
    case(
        "tag variable in condition",
        doc(stmt(condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})),
        ALLOW,
        context={"aws:resourcetag/team": ["ml"], "aws:principaltag/team": ["ml"]},
    ),
    # --- resource-based policies and principals ---------------------------------------------------
    case(
        "bucket policy allows the user (same account)",
        [],
        ALLOW,
        action="s3:GetObject",
        resource=OBJECT,
        resource_policy=doc(
            stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/*", Principal={"AWS": ALICE})
        ),
    ),
    case(
        "bucket policy names another user",
        [],
        NONE,
        action="s3:GetObject",
        resource=OBJECT,
        resource_policy=doc(
            stmt(
                action="s3:GetObject",
                resource="arn:aws:s3:::data-bucket/*",
                Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"},
            )
        ),
    ),
    case(
        "bucket policy Principal *",
        [],
        ALLOW,
        action="s3:GetObject",
        resource=OBJECT,
        resource_policy=doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/*", Principal="*")),
    ),
    case(
        "bucket policy deny overrides identity allow",
        doc(stmt()),
        DENY,
        action="s3:GetObject",
        resource=OBJECT,
        resource_policy=doc(deny(action="s3:*", resource="arn:aws:s3:::data-bucket/*", Principal="*")),
    ),
    case(
        "bucket policy account principal (same account, no identity allow)",
        [],
        ALLOW,
        action="s3:GetObject",
        resource=OBJECT,
        resource_policy=doc(
            stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/*", Principal={"AWS": ACCOUNT})
        ),
    ),
    case(
        "cross-account: resource allow alone is not enough",
        [],
        NONE,
        action="s3:GetObject",
        resource=OBJECT,
        principal=f"arn:aws:iam::{OTHER}:user/carol",
        principal_account=OTHER,
        resource_account=ACCOUNT,
        resource_policy=doc(
            stmt(
                action="s3:GetObject",
                resource="arn:aws:s3:::data-bucket/*",
                Principal={"AWS": f"arn:aws:iam::{OTHER}:root"},
            )
        ),
    ),
    case(
        "cross-account: identity allow alone is not enough",
        doc(stmt()),
        NONE,
        action="s3:GetObject",
        resource=OBJECT,
        principal=f"arn:aws:iam::{OTHER}:user/carol",
        principal_account=OTHER,
        resource_account=ACCOUNT,
    ),
    case(
        "cross-account: both allow",
        doc(stmt()),
        ALLOW,
        action="s3:GetObject",
        resource=OBJECT,
        principal=f"arn:aws:iam::{OTHER}:user/carol",
        principal_account=OTHER,
        resource_account=ACCOUNT,
        resource_policy=doc(
            stmt(
                action="s3:GetObject",
                resource="arn:aws:s3:::data-bucket/*",
                Principal={"AWS": f"arn:aws:iam::{OTHER}:root"},
            )
        ),
    ),
    case(
        "NotPrincipal excludes the named user",
        [],
        NONE,
        action="s3:GetObject",
        resource=OBJECT,
        resource_policy=doc(
            stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/*", NotPrincipal={"AWS": ALICE})
        ),
    ),
    case(
        "Deny NotPrincipal hits everyone else",
        doc(stmt()),
        DENY,
        action="s3:GetObject",
        resource=OBJECT,
        resource_policy=doc(
            deny(
                action="s3:*",
                resource="arn:aws:s3:::data-bucket/*",
                NotPrincipal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"},
            )
        ),
    ),
    case(
        "role ARN in principal matches its sessions",
        [],
        ALLOW,
        action="s3:GetObject",
        resource=OBJECT,
        principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/Trainer/job-1",
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/Trainer",
        resource_policy=doc(
            stmt(
                action="s3:GetObject",
                resource="arn:aws:s3:::data-bucket/*",
                Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/Trainer"},
            )
        ),
    ),
    # --- root, boundaries, sessions ---------------------------------------------------------------
    case("root is allowed without policies", [], ALLOW, principal=f"arn:aws:iam::{ACCOUNT}:root", is_root=True),
    case(
        "root is bound by a bucket policy deny",
        [],
        DENY,
        principal=f"arn:aws:iam::{ACCOUNT}:root",
        is_root=True,
        action="s3:GetObject",
        resource=OBJECT,
        resource_policy=doc(deny(action="s3:*", resource="arn:aws:s3:::data-bucket/*", Principal="*")),
    ),
    case("boundary allows too", doc(stmt()), ALLOW, boundary=[doc(stmt(action="sagemaker:*"))]),
    case("boundary does not allow", doc(stmt()), NONE, boundary=[doc(stmt(action="s3:*"))]),
    case("boundary alone grants nothing", [], NONE, boundary=[doc(stmt())]),
    case("boundary deny", doc(stmt()), DENY, boundary=[doc(stmt(), deny(action="sagemaker:Create*"))]),
    case("session policy limits the role", doc(stmt()), NONE, session=[doc(stmt(action="s3:*"))]),
    case("session policy allows too", doc(stmt()), ALLOW, session=[doc(stmt(action="sagemaker:*"))]),
    case(
        "resource allow naming the user escapes the boundary",
        [],
        ALLOW,
        action="s3:GetObject",
        resource=OBJECT,
        boundary=[doc(stmt(action="iam:*"))],
        resource_policy=doc(
            stmt(action="s3:GetObject", resource="arn:aws:s3:::data-bucket/*", Principal={"AWS": ALICE})
        ),
    ),
]


def _named(documents, kind):
    if documents is None:
        return None
    return [NamedPolicy(f"{kind}-{i}", parse_policy(d, "identity"), kind) for i, d in enumerate(documents)]


def decide(c: Case):
    request = AuthorizationRequest(
        action=c.action,
        resource=c.resource,
        principal_arn=c.principal,
        principal_account=c.principal_account,
        resource_account=c.resource_account,
        context=c.context,
        is_root=c.is_root,
        role_arn=c.role_arn,
    )
    resource = (
        NamedPolicy("resource", parse_policy(c.resource_policy, "resource"), "resource") if c.resource_policy else None
    )
    return evaluate(
        request, _named(c.identity, "identity"), resource, _named(c.boundary, "boundary"), _named(c.session, "session")
    )


def test_the_table_is_large_enough():
    assert len(CASES) >= 100
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_decision(c: Case):
    result = decide(c)
    assert result.decision.value == c.expected, result.reason
