"""Temporary credentials outlive a server restart, and are refused with ExpiredToken once expired."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, update

from sagecraft.storage.metadata.engine import normalize_url
from sagecraft.storage.metadata.schema import sts_credentials
from tests.support.postgres import postgres_url_or_skip, scratch_postgres_database, server_database_url
from tests.support.server import REGION, ServerProcess, free_port

ROLE = "arn:aws:iam::000000000000:role/JobRole"


def caller(server: ServerProcess, creds: dict) -> dict:
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name=REGION)
    client = session.client("sts", endpoint_url=server.endpoint_url,
                            config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    return client.get_caller_identity()


def expire(server: ServerProcess, access_key_id: str) -> None:
    """Move the credentials' expiry into the past, in the stopped server's database."""
    engine = create_engine(normalize_url(server_database_url(server.home, server.extra_env)))
    try:
        with engine.begin() as db:
            db.execute(update(sts_credentials).where(sts_credentials.c.access_key_id == access_key_id)
                       .values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)))
    finally:
        engine.dispose()


def assume_restart_expire(server: ServerProcess) -> None:
    server.start()
    creds = server.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="job")["Credentials"]
    assert caller(server, creds)["Arn"].endswith(":assumed-role/JobRole/job")
    server.stop()

    server.start()
    assert caller(server, creds)["Arn"].endswith(":assumed-role/JobRole/job")  # still accepted
    server.stop()

    expire(server, creds["AccessKeyId"])
    server.start()
    with pytest.raises(ClientError) as info:
        caller(server, creds)
    assert info.value.response["Error"]["Code"] == "ExpiredToken"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_credentials_survive_a_restart_and_then_expire(fresh_server):
    assume_restart_expire(fresh_server)


@pytest.mark.postgres
def test_credentials_survive_a_restart_on_postgresql(tmp_path):
    with scratch_postgres_database(postgres_url_or_skip()) as url:
        (tmp_path / "home").mkdir()
        server = ServerProcess(tmp_path / "home", free_port(), extra_env={"SAGECRAFT_DATABASE_URL": url})
        try:
            assume_restart_expire(server)
        finally:
            server.stop()
