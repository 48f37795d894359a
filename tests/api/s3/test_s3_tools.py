"""The AWS CLI (``aws s3 cp / ls / sync``) and s3fs against a real server, run from the tools venv
(they pin other botocore versions than ours): ``$SAGECRAFT_TOOLS_BIN``, by default
``<repo>/.venv-tools/bin``, which the README's test command creates."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.api.s3.conftest import unique_bucket

REPO = Path(__file__).resolve().parents[3]
TOOLS = Path(os.environ.get("SAGECRAFT_TOOLS_BIN", REPO / ".venv-tools" / "bin"))


def tool(name: str) -> Path:
    path = TOOLS / name
    if not path.exists():
        pytest.skip(f"{path} is missing: create the tools venv (pip install awscli s3fs) or set SAGECRAFT_TOOLS_BIN")
    return path


def aws(server, *args: str) -> str:
    done = subprocess.run([str(tool("aws")), *args], env=server.env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"aws {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_aws_s3_cp_ls_sync_both_ways(server, tmp_path):
    bucket = unique_bucket("cli")
    aws(server, "s3", "mb", f"s3://{bucket}")
    local = tmp_path / "local"
    (local / "nested" / "deeper").mkdir(parents=True)
    files = {"a.txt": b"alpha", "with space.txt": b"spaced", "nested/b.csv": b"1,2,3\n",
             "nested/deeper/c.bin": os.urandom(12 * 1024 * 1024)}  # above the CLI's multipart threshold
    for name, data in files.items():
        (local / name).write_bytes(data)
    aws(server, "s3", "cp", str(local / "a.txt"), f"s3://{bucket}/single/a.txt")
    listing = aws(server, "s3", "ls", f"s3://{bucket}/single/")
    assert "a.txt" in listing and " 5 " in listing
    aws(server, "s3", "sync", str(local), f"s3://{bucket}/synced")
    recursive = aws(server, "s3", "ls", "--recursive", f"s3://{bucket}/synced/")
    assert sorted(line.split(maxsplit=3)[3] for line in recursive.splitlines()) == \
        sorted(f"synced/{name}" for name in files)
    assert "PRE nested/" in aws(server, "s3", "ls", f"s3://{bucket}/synced/")
    assert bucket in aws(server, "s3", "ls")
    back = tmp_path / "back"
    aws(server, "s3", "sync", f"s3://{bucket}/synced", str(back))
    for name, data in files.items():
        assert (back / name).read_bytes() == data, name
    assert aws(server, "s3", "sync", str(local), f"s3://{bucket}/synced").strip() == ""  # nothing changed
    aws(server, "s3", "cp", f"s3://{bucket}/synced/nested/deeper/c.bin", str(tmp_path / "c.bin"))
    assert (tmp_path / "c.bin").read_bytes() == files["nested/deeper/c.bin"]
    aws(server, "s3", "rm", "--recursive", f"s3://{bucket}/")
    aws(server, "s3", "rb", f"s3://{bucket}")
    assert bucket not in aws(server, "s3", "ls")


S3FS_SCRIPT = textwrap.dedent("""
    import os, sys
    import s3fs

    bucket = sys.argv[1]
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": os.environ["AWS_ENDPOINT_URL"]})
    fs.mkdir(bucket)
    with fs.open(f"{bucket}/dir/data.bin", "wb") as handle:
        handle.write(b"0123456789" * 700_000)  # 7 MB: s3fs writes it in parts
    with fs.open(f"{bucket}/dir/small.txt", "w") as handle:
        handle.write("hello s3fs")
    assert fs.cat(f"{bucket}/dir/small.txt") == b"hello s3fs"
    with fs.open(f"{bucket}/dir/data.bin", "rb") as handle:
        handle.seek(6_999_990)
        assert handle.read() == b"0123456789"
    assert sorted(fs.ls(f"{bucket}/dir")) == [f"{bucket}/dir/data.bin", f"{bucket}/dir/small.txt"]
    assert fs.info(f"{bucket}/dir/data.bin")["size"] == 7_000_000
    assert fs.glob(f"{bucket}/**/*.txt") == [f"{bucket}/dir/small.txt"]
    fs.copy(f"{bucket}/dir/small.txt", f"{bucket}/copied.txt")
    fs.rm(f"{bucket}/dir", recursive=True)
    assert fs.ls(bucket, refresh=True) == [f"{bucket}/copied.txt"]
    print("s3fs ok")
""")


def test_s3fs_read_write(server, tmp_path):
    python = tool("python")
    script = tmp_path / "s3fs_check.py"
    script.write_text(S3FS_SCRIPT)
    bucket = unique_bucket("s3fs")
    done = subprocess.run([str(python), str(script), bucket], env=server.env(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "s3fs ok" in done.stdout
    s3 = server.client("s3")
    assert s3.get_object(Bucket=bucket, Key="copied.txt")["Body"].read() == b"hello s3fs"
