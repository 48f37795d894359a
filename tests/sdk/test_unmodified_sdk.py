"""An unmodified SageMaker SDK script works with nothing but the ``sagecraft env`` exports set,
and ``sagecraft.session()`` gives a ready session in one line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid

import pytest

from tests.support.cli import exports, sagecraft

# Runs a script after making every connection to a non-loopback address fail loudly (and be
# recorded): the SDK must not reach AWS (its hard-coded STS endpoint, telemetry) behind our back.
GUARD = textwrap.dedent('''
    import ipaddress, json, runpy, socket, sys

    attempts = []
    real_getaddrinfo = socket.getaddrinfo

    def loopback(host):
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return host == "localhost"

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host is not None and not loopback(host if isinstance(host, str) else host.decode()):
            attempts.append(str(host))
            raise OSError(f"blocked by the test: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = guarded_getaddrinfo
    try:
        runpy.run_path(sys.argv[1], run_name="__main__")
    finally:
        print("NETWORK-ATTEMPTS " + json.dumps(attempts))
''')

SCRIPT = textwrap.dedent('''
    import os, tempfile
    import sagemaker
    from sagemaker.s3 import S3Downloader, S3Uploader

    session = sagemaker.Session()
    bucket = session.default_bucket()
    print("BUCKET", bucket)
    prefix = f"sdk-test/{os.environ['TEST_TAG'] if 'TEST_TAG' in os.environ else TAG}"
    uri = S3Uploader.upload_string_as_file_body("hello from the sdk\\n", f"s3://{bucket}/{prefix}/hello.txt")
    print("READ", repr(S3Downloader.read_file(uri)))
    folder = tempfile.mkdtemp()
    with open(os.path.join(folder, "data.csv"), "w") as handle:
        handle.write("a,b\\n1,2\\n")
    uploaded = session.upload_data(os.path.join(folder, "data.csv"), key_prefix=f"{prefix}/upload")
    print("UPLOADED", uploaded)
    print("LIST", sorted(S3Downloader.list(f"s3://{bucket}/{prefix}/")))
    print("FILES", sorted(session.list_s3_files(bucket, f"{prefix}/")))
    target = tempfile.mkdtemp()
    session.download_data(target, bucket, key_prefix=f"{prefix}/upload/")
    print("DOWNLOADED", open(os.path.join(target, "data.csv")).read() == "a,b\\n1,2\\n")
''')


@pytest.fixture(scope="module")
def sagecraft_exports(server) -> dict[str, str]:
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    return exports(result.stdout)


def test_unmodified_script_with_only_the_exports(server, sagecraft_exports, tmp_path):
    tag = uuid.uuid4().hex[:8]
    (tmp_path / "guard.py").write_text(GUARD)
    (tmp_path / "script.py").write_text(f"TAG = {tag!r}\n" + SCRIPT)
    (tmp_path / "user-home").mkdir()
    # Nothing but a PATH, an empty home folder (no ~/.aws, no SDK config) and the exports.
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "user-home"), **sagecraft_exports}
    result = subprocess.run([sys.executable, str(tmp_path / "guard.py"), str(tmp_path / "script.py")],
                            env=environment, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert lines["BUCKET"] == "sagemaker-us-east-1-000000000000"
    assert lines["READ"] == repr("hello from the sdk\n")
    bucket_uri = f"s3://sagemaker-us-east-1-000000000000/sdk-test/{tag}"
    assert lines["UPLOADED"] == f"{bucket_uri}/upload/data.csv"
    assert lines["LIST"] == repr(sorted([f"{bucket_uri}/hello.txt", f"{bucket_uri}/upload/data.csv"]))
    assert lines["FILES"] == repr(sorted([f"sdk-test/{tag}/hello.txt", f"sdk-test/{tag}/upload/data.csv"]))
    assert lines["DOWNLOADED"] == "True"
    assert json.loads(lines["NETWORK-ATTEMPTS"]) == []  # no STS at amazonaws.com, no telemetry


def test_sagecraft_session(server):
    from sagemaker.s3 import S3Downloader, S3Uploader

    import sagecraft

    session = sagecraft.session(home=str(server.home))
    bucket = session.default_bucket()
    assert bucket == "sagemaker-us-east-1-000000000000"
    # The SDK asks STS at a hard-coded AWS endpoint; the session's clients all reach the server.
    assert session.account_id() == "000000000000"
    uri = S3Uploader.upload_string_as_file_body("one line", f"s3://{bucket}/session-test/{uuid.uuid4().hex}.txt",
                                                sagemaker_session=session)
    assert S3Downloader.read_file(uri, sagemaker_session=session) == "one line"
    assert session.sagemaker_config["SageMaker"]["PythonSDK"]["Modules"]["TelemetryOptOut"] is True


def test_sagecraft_session_without_a_server(tmp_path):
    import sagecraft
    from sagecraft.client import NoServerRunning

    with pytest.raises(NoServerRunning, match="sagecraft up"):
        sagecraft.session(home=str(tmp_path))
