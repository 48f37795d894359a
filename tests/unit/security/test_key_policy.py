"""KMS's key policy evaluation: the key policy must consent, directly or by handing the key to the
account's IAM policies; a Deny anywhere wins."""

from __future__ import annotations

import pytest

from sagecraft.security.policy import AuthorizationRequest, NamedPolicy, evaluate_with_key_policy, parse_policy

ACCOUNT = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def doc(*statements: dict, kind: str = "resource") -> NamedPolicy:
    grammar = "resource" if kind == "resource" else "identity"  # boundaries are written as identity policies
    return NamedPolicy(kind, parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, grammar), kind)


def request(principal: str = ALICE, action: str = "kms:Decrypt", **options) -> AuthorizationRequest:
    return AuthorizationRequest(
        action=action,
        resource=KEY,
        principal_arn=principal,
        principal_account=ACCOUNT,
        is_root=principal == ROOT,
        **options,
    )


ACCOUNT_STATEMENT = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
IAM_ALLOW = doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}, kind="identity")


@pytest.mark.parametrize(
    ("key_policy", "identity", "principal", "allowed", "reason"),
    [
        # The default policy: IAM decides (the root is allowed).
        ([ACCOUNT_STATEMENT], [IAM_ALLOW], ALICE, True, ""),
        ([ACCOUNT_STATEMENT], [], ALICE, False, "no identity-based policy"),
        ([ACCOUNT_STATEMENT], [], ROOT, True, ""),
        # A statement naming alice grants her without IAM; it does not reach others.
        (
            [{"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "kms:Decrypt", "Resource": "*"}],
            [],
            ALICE,
            True,
            "",
        ),
        (
            [{"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "kms:Decrypt", "Resource": "*"}],
            [IAM_ALLOW],
            f"arn:aws:iam::{ACCOUNT}:user/bob",
            False,
            "no resource-based policy",
        ),
        # No account statement: IAM allows are not enough, the root is locked out too.
        (
            [{"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "kms:Encrypt", "Resource": "*"}],
            [IAM_ALLOW],
            ALICE,
            False,
            "no resource-based policy",
        ),
        (
            [{"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "kms:Decrypt", "Resource": "*"}],
            [],
            ROOT,
            False,
            "no resource-based policy",
        ),
        # A Deny in the key policy binds everyone, the root included.
        (
            [ACCOUNT_STATEMENT, {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}],
            [IAM_ALLOW],
            ROOT,
            False,
            "explicit deny in a resource-based policy",
        ),
        # Conditions of the key policy apply.
        (
            [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}},
                }
            ],
            [],
            ALICE,
            False,
            "no resource-based",
        ),
    ],
)
def test_key_policy_decisions(key_policy, identity, principal, allowed, reason):
    result = evaluate_with_key_policy(request(principal), identity, doc(*key_policy))
    assert result.allowed is allowed
    assert reason in result.reason


def test_an_identity_deny_wins_over_a_direct_grant():
    key_policy = doc({"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "kms:*", "Resource": "*"})
    deny = doc({"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}, kind="identity")
    assert not evaluate_with_key_policy(request(), [deny], key_policy).allowed


def test_a_boundary_limits_what_the_account_statement_hands_to_iam():
    boundary = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, kind="boundary")
    result = evaluate_with_key_policy(request(), [IAM_ALLOW], doc(ACCOUNT_STATEMENT), boundary=[boundary])
    assert not result.allowed
