"""STS: role ARNs, AssumeRole's rules, and the credential store the gateway consults."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, update

from sagecraft.core.context import Principal
from sagecraft.services.sts.credentials import TemporaryCredentialStore
from sagecraft.services.sts.errors import AccessDenied, MalformedPolicyDocument, ValidationError
from sagecraft.services.sts.models import RoleArn
from sagecraft.services.sts.service import KEEP_EXPIRED, StsService
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.metadata.schema import sts_credentials
from tests.support.postgres import BACKENDS, database_url

ACCOUNT = "000000000000"
ROOT = Principal("AKIAADMIN", f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, ACCOUNT)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/SageMakerExecution"
NOW = dt.datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(url):
    store = MetadataStore.open(url)
    yield store
    store.close()


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def sts(store, clock):
    return StsService(store, ACCOUNT, clock=clock)


# --- role ARNs ----------------------------------------------------------------------------------

def test_role_arns_parse_with_and_without_a_path():
    role = RoleArn.parse(ROLE)
    assert (role.account_id, role.path, role.name) == (ACCOUNT, "/service-role/", "SageMakerExecution")
    assert RoleArn.parse(f"arn:aws:iam::{ACCOUNT}:role/Plain").path == "/"
    assert role.session_arn("s1") == f"arn:aws:sts::{ACCOUNT}:assumed-role/SageMakerExecution/s1"
    assert role.role_id.startswith("AROA") and len(role.role_id) == 21
    assert role.role_id == RoleArn.parse(ROLE).role_id != RoleArn.parse(f"arn:aws:iam::{ACCOUNT}:role/Other").role_id


@pytest.mark.parametrize("value", [
    f"arn:aws:iam::{ACCOUNT}:user/alice",
    f"arn:aws:iam:us-east-1:{ACCOUNT}:role/x",
    "arn:aws:iam::12345:role/too-short-account",
    f"arn:aws:s3:::{ACCOUNT}-bucket/role/x",
    f"arn:aws:iam::{ACCOUNT}:role/",
    "not-an-arn-but-long-enough",
])
def test_malformed_role_arns_are_validation_errors(value):
    with pytest.raises(ValidationError, match="Request ARN is invalid"):
        RoleArn.parse(value)


# --- AssumeRole ---------------------------------------------------------------------------------

def test_assume_role_issues_temporary_credentials(sts):
    issued = sts.assume_role(ROOT, ROLE, "training-job", duration_seconds=900)
    assert issued.access_key_id.startswith("ASIA") and len(issued.access_key_id) == 20
    assert len(issued.secret_access_key) == 40 and len(issued.session_token) > 300
    assert issued.expiration == NOW.replace(microsecond=0) + dt.timedelta(seconds=900)
    assert issued.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/SageMakerExecution/training-job"
    assert issued.assumed_role_id == RoleArn.parse(ROLE).role_id + ":training-job"
    assert sts.find(issued.access_key_id) == issued
    assert sts.find("ASIAUNKNOWN0000000000") is None


def test_assume_role_defaults_to_an_hour(sts):
    assert sts.assume_role(ROOT, ROLE, "s").expiration == NOW.replace(microsecond=0) + dt.timedelta(hours=1)


def test_roles_of_another_account_are_denied(sts):
    with pytest.raises(AccessDenied, match="not authorized to perform: sts:AssumeRole"):
        sts.assume_role(ROOT, "arn:aws:iam::123456789012:role/Elsewhere", "s")


@pytest.mark.parametrize("seconds", [899, 43201])
def test_durations_outside_the_limits_are_refused(sts, seconds):
    with pytest.raises(ValidationError, match="durationSeconds"):
        sts.assume_role(ROOT, ROLE, "s", duration_seconds=seconds)


def test_role_chaining_is_limited_to_an_hour(sts):
    issued = sts.assume_role(ROOT, ROLE, "first", duration_seconds=43200)
    chained = Principal(issued.access_key_id, issued.arn, issued.assumed_role_id, ACCOUNT, issued.session_token)
    with pytest.raises(ValidationError, match="role chaining"):
        sts.assume_role(chained, ROLE, "second", duration_seconds=3601)
    assert sts.assume_role(chained, ROLE, "second", duration_seconds=3600).arn.endswith("/second")


def test_session_policies_must_be_json_objects(sts):
    sts.assume_role(ROOT, ROLE, "s", policy='{"Version": "2012-10-17", "Statement": []}')
    for bad in ("{not json", "[1, 2]"):
        with pytest.raises(MalformedPolicyDocument):
            sts.assume_role(ROOT, ROLE, "s", policy=bad)


def test_long_expired_credentials_are_purged(sts, store, clock):
    old = sts.assume_role(ROOT, ROLE, "old", duration_seconds=900)
    clock.now = NOW + KEEP_EXPIRED + dt.timedelta(hours=1)
    recent = sts.assume_role(ROOT, ROLE, "recent")
    assert sts.find(old.access_key_id) is None
    assert sts.find(recent.access_key_id) is not None


# --- the gateway's credential store -------------------------------------------------------------

def test_issued_credentials_are_found_after_a_restart(url, clock):
    first = MetadataStore.open(url)
    issued = StsService(first, ACCOUNT, clock=clock).assume_role(ROOT, ROLE, "s")
    first.close()
    second = MetadataStore.open(url)
    try:
        credential = TemporaryCredentialStore(StsService(second, ACCOUNT)).lookup(issued.access_key_id)
        assert credential is not None
        assert credential.secret_access_key == issued.secret_access_key
        assert credential.session_token == credential.principal.session_token == issued.session_token
        assert credential.principal.arn == issued.arn and credential.principal.user_id == issued.assumed_role_id
        assert credential.expiration == issued.expiration and not credential.expired(NOW)
        assert credential.expired(issued.expiration)
    finally:
        second.close()


def test_the_credential_store_caches_and_ignores_long_lived_keys(sts, store):
    issued = sts.assume_role(ROOT, ROLE, "s")
    credentials = TemporaryCredentialStore(sts)
    assert credentials.lookup("AKIAIOSFODNN7EXAMPLE") is None
    assert credentials.lookup("ASIAIOSFODNN7EXAMPLE") is None
    found = credentials.lookup(issued.access_key_id)
    with store.write() as db:
        db.execute(delete(sts_credentials))
    assert credentials.lookup(issued.access_key_id) is found  # served from memory


def test_expired_credentials_are_still_found_so_the_gateway_can_say_so(sts, store):
    issued = sts.assume_role(ROOT, ROLE, "s")
    with store.write() as db:
        db.execute(update(sts_credentials).values(expires_at=NOW - dt.timedelta(seconds=1)))
    credential = TemporaryCredentialStore(sts).lookup(issued.access_key_id)
    assert credential is not None and credential.expired()
