"""``sagecraft quickstart`` runs its steps against an embedded server and leaves a home whose
data a later server serves."""

from __future__ import annotations

import boto3

from sagecraft.quickstart.workflow import DATASET
from tests.support.cli import exports, sagecraft
from tests.support.server import free_port

DATASET_URI = "s3://sagemaker-us-east-1-000000000000/quickstart/raw/breast_cancer.csv"


def test_quickstart(tmp_path):
    home = tmp_path / "quickstart-home"
    result = sagecraft("quickstart", "--home", home)
    assert result.returncode == 0, result.stdout + result.stderr
    for said in ("Start the server", "default bucket", "through the S3 API", "through the SageMaker SDK",
                 DATASET_URI, str(home), "sagecraft up --home"):
        assert said in result.stderr, said
    assert "Traceback" not in result.stderr
    assert not (home / "server.json").exists()  # the embedded server stopped with the command

    up = sagecraft("up", "--home", home, "--port", free_port())
    try:
        assert up.returncode == 0, up.stderr
        variables = exports(up.stdout)
        s3 = boto3.Session(aws_access_key_id=variables["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=variables["AWS_SECRET_ACCESS_KEY"],
                           region_name="us-east-1").client("s3", endpoint_url=variables["AWS_ENDPOINT_URL"])
        body = s3.get_object(Bucket="sagemaker-us-east-1-000000000000", Key="quickstart/raw/breast_cancer.csv")
        assert body["Body"].read() == DATASET.read_bytes()
    finally:
        sagecraft("down", "--home", home)


def test_bundled_dataset_is_package_data():
    header, *rows = DATASET.read_text().splitlines()
    assert header.split(",")[-1] == "target" and len(header.split(",")) == 31
    assert len(rows) == 569
