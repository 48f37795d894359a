"""Fuzzed policy documents and requests: the parser answers MalformedPolicyDocument or a document,
and evaluation answers a decision — never another exception (which would be a 500 on the wire)."""

from __future__ import annotations

import json
import random

from sagecraft.security.policy import AuthorizationRequest, MalformedPolicyDocument, NamedPolicy, evaluate, parse_policy

ATOMS = ["*", "?", "s3:*", "sagemaker:Create*", "arn:aws:s3:::b/*", "arn:*", "${aws:username}", "${", "}", "",
         "Allow", "Deny", "2012-10-17", "2008-10-17", 1, 0.5, True, None, [], {}, "aws:SourceIp", "10.0.0.0/8",
         "not-an-ip", "2026-01-01T00:00:00Z", "x" * 300, "ünïcødé", "arn:aws:iam::1:user/a", "${aws:x, 'd'}"]
ELEMENTS = ["Version", "Statement", "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
            "NotPrincipal", "Condition", "Id", "Bogus"]
OPERATORS = ["StringEquals", "StringLike", "NumericLessThan", "DateGreaterThan", "Bool", "IpAddress", "ArnLike",
             "Null", "ForAllValues:StringEquals", "ForAnyValue:StringLikeIfExists", "NotIpAddress", "BinaryEquals",
             "StringEqualsIfExists", "NullIfExists", "Weird"]


def random_value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth > 3 or roll < 0.5:
        return rng.choice(ATOMS)
    if roll < 0.75:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(ELEMENTS + OPERATORS): random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


ACTIONS = ["*", "s3:*", "s3:Get?bject", "sagemaker:Create*", "x:y", "iam:PassRole"]
RESOURCES = ["*", "arn:*", "arn:aws:s3:::b/*", "arn:aws:s3:::${aws:username}/*", "arn:aws:sagemaker:*:1:*/y"]


def valid_or_not(rng: random.Random, valid: list):
    return rng.choice(valid) if rng.random() < 0.85 else rng.choice(ATOMS)


def random_statement(rng: random.Random) -> dict:
    statement = {"Effect": rng.choice(["Allow", "Deny", "Allow", "Maybe"]),
                 rng.choice(["Action", "NotAction"]): valid_or_not(rng, ACTIONS),
                 rng.choice(["Resource", "NotResource"]): valid_or_not(rng, RESOURCES)}
    if rng.random() < 0.3:
        statement["Principal"] = rng.choice(["*", {"AWS": "arn:aws:iam::1:root"}, {"Service": "x.amazonaws.com"}])
    if rng.random() < 0.6:
        statement["Condition"] = {rng.choice(OPERATORS): {rng.choice(["aws:SourceIp", "aws:username", "s3:prefix",
                                                                      "aws:TagKeys", "aws:CurrentTime"]):
                                                          valid_or_not(rng, ["10.0.0.0/8", "a*", ["x", "y"],
                                                                             "2026-01-01T00:00:00Z", "true"])}}
    if rng.random() < 0.1:
        statement[rng.choice(ELEMENTS)] = random_value(rng)
    return statement


def test_fuzzed_documents_parse_or_are_refused_and_evaluate_without_errors():
    rng = random.Random(20261127)
    parsed = 0
    for _ in range(3000):
        if rng.random() < 0.3:
            document = random_value(rng)
        else:
            document = {"Version": rng.choice(["2012-10-17", "2008-10-17"]),
                        "Statement": [random_statement(rng) for _ in range(rng.randint(1, 3))]}
        text = json.dumps(document) if rng.random() < 0.9 else json.dumps(document)[: rng.randint(0, 40)]
        try:
            policy = parse_policy(text, rng.choice(["identity", "resource", "trust"]))
        except MalformedPolicyDocument as error:
            assert error.message
            continue
        parsed += 1
        context = {"aws:sourceip": [rng.choice(["10.1.1.1", "garbage", "::1"])],
                   "aws:username": [rng.choice(["alice", "*", "${x}"])], "aws:tagkeys": rng.choice([[], ["a", "b"]]),
                   "aws:currenttime": [rng.choice(["2026-11-27T00:00:00Z", "yesterday", "1800000000"])]}
        request = AuthorizationRequest(action=rng.choice(["s3:GetObject", "sagemaker:CreateTrainingJob", "x:y"]),
                                       resource=rng.choice(["arn:aws:s3:::b/k", "*", "arn:aws:sagemaker:r:1:x/y"]),
                                       principal_arn="arn:aws:iam::1:user/alice", principal_account="1",
                                       context=context)
        named = NamedPolicy("fuzz", policy)
        evaluate(request, [named])
        evaluate(request, [], named)
    assert parsed > 100  # the fuzzer reaches evaluation, not only the parser's refusals
