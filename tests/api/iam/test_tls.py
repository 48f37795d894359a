"""``sagecraft server --tls``: HTTPS with a self-signed certificate under the home, aws:SecureTransport."""

from __future__ import annotations

import configparser
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, SSLError

from tests.support.server import REGION, free_port


@pytest.fixture
def tls_server(tmp_path):
    home, port = tmp_path / "home", free_port()
    process = subprocess.Popen([sys.executable, "-m", "sagecraft.cli.main", "server", "--tls", "--port", str(port),
                                "--home", str(home)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, env={**os.environ, "SAGECRAFT_HOME": str(home)})
    url, cert = f"https://127.0.0.1:{port}", home / "tls" / "server.crt"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            context = ssl.create_default_context(cafile=str(cert))
            with urllib.request.urlopen(url + "/_sagecraft/health", timeout=1, context=context):
                break
        except (OSError, ssl.SSLError):
            time.sleep(0.1)
    yield home, url, cert
    process.terminate()
    process.wait(20)


def test_https_with_the_generated_certificate(tls_server):
    home, url, cert = tls_server
    assert (home / "tls" / "server.key").stat().st_mode & 0o777 == 0o600
    info = json.loads((home / "server.json").read_text())
    assert info["endpoint_url"] == url and info["ca_bundle"] == str(cert)
    parser = configparser.ConfigParser()
    parser.read(home / "credentials")
    key_id, secret = parser["sagecraft"]["aws_access_key_id"], parser["sagecraft"]["aws_secret_access_key"]
    session = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION)
    iam = session.client("iam", endpoint_url=url, verify=str(cert), config=Config(retries={"max_attempts": 1}))
    with pytest.raises(SSLError):  # an unknown certificate is refused by default
        session.client("sts", endpoint_url=url, config=Config(retries={"max_attempts": 1})).get_caller_identity()
    # A user whose policy demands aws:SecureTransport can work over HTTPS.
    name = f"tls-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="tls-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
                                                "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user = boto3.client("iam", endpoint_url=url, verify=str(cert), region_name=REGION,
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert user.get_user(UserName=name)["User"]["UserName"] == name
    with pytest.raises(ClientError):
        user.list_users()
