"""Staging rules (where S3 objects land in an instance folder) and checkpoint sync, on a real
filesystem object store."""

from __future__ import annotations

import gzip
import json

import pytest

from sagecraft.services.jobs.checkpoints import CheckpointSync
from sagecraft.services.jobs.staging import S3Uri, StagingError, relative_key, stage, tar_folders
from sagecraft.storage.objects.base import ObjectMeta
from sagecraft.storage.objects.filesystem import FilesystemObjectStore


@pytest.fixture
def store(tmp_path):
    objects = FilesystemObjectStore(tmp_path / "objects")
    objects.create_bucket("data", "us-east-1")
    yield objects
    objects.close()


def put(store, key: str, body: bytes) -> None:
    store.put_object("data", key, body, ObjectMeta())


@pytest.mark.parametrize(("prefix", "key", "lands"), [
    ("raw-data/", "raw-data/a.csv", "a.csv"),
    ("raw-data", "raw-data/deep/a.csv", "deep/a.csv"),  # a folder named without its "/"
    ("code/run.py", "code/run.py", "run.py"),  # one object: its basename
    ("raw", "raw-data/a.csv", "raw-data/a.csv"),  # part of a name: below the prefix's last "/"
    ("", "top.csv", "top.csv"),
])
def test_where_an_object_lands(prefix, key, lands):
    assert relative_key(prefix, key) == lands


def test_s3_uris():
    assert S3Uri.parse("s3://bucket/a/b/") == S3Uri("bucket", "a/b/")
    assert str(S3Uri.parse("s3://bucket").child("job", "output", "model.tar.gz")) == "s3://bucket/job/output/model.tar.gz"
    assert str(S3Uri("bucket", "out/").child("x")) == "s3://bucket/out/x"
    with pytest.raises(ValueError):
        S3Uri.parse("s3:///key")


def test_prefix_sharding_and_gzip(store, tmp_path):
    for index in range(5):
        put(store, f"parts/{index}.csv.gz", gzip.compress(f"{index}\n".encode()))
    target = tmp_path / "second"
    assert stage(store, "s3://data/parts/", target, distribution="ShardedByS3Key", gunzip=True, index=1, count=2) == 2
    assert sorted(p.name for p in target.iterdir()) == ["1.csv", "3.csv"]
    assert (target / "3.csv").read_text() == "3\n"


def test_manifest_and_missing_data(store, tmp_path):
    put(store, "listed/x/a.txt", b"a")
    put(store, "manifest.json", json.dumps([{"prefix": "s3://data/listed/"}, "x/a.txt"]).encode())
    stage(store, "s3://data/manifest.json", tmp_path / "m", data_type="ManifestFile")
    assert (tmp_path / "m" / "x" / "a.txt").read_bytes() == b"a"
    with pytest.raises(StagingError, match="No S3 objects found"):
        stage(store, "s3://data/nothing/", tmp_path / "n")
    put(store, "bad.json", b"not json")
    with pytest.raises(StagingError, match="not a valid manifest"):
        stage(store, "s3://data/bad.json", tmp_path / "b", data_type="ManifestFile")


def test_keys_cannot_escape_the_folder(store, tmp_path):
    put(store, "esc/../../etc/passwd", b"x")
    with pytest.raises(StagingError):
        stage(store, "s3://data/esc/", tmp_path / "e")


def test_checkpoints_round_trip_only_changed_files(store, tmp_path):
    folder = tmp_path / "checkpoints"
    sync = CheckpointSync(store, "s3://data/ckpt/job", folder)
    assert sync.download() == 0
    (folder / "sub").mkdir()
    (folder / "sub" / "state").write_text("1")
    (folder / "weights").write_text("w")
    assert sync.upload_changed() == 2
    assert sync.upload_changed() == 0
    (folder / "weights").write_text("w2")
    assert sync.upload_changed() == 1
    again = CheckpointSync(store, "s3://data/ckpt/job/", tmp_path / "restored")
    assert again.download() == 2
    assert (tmp_path / "restored" / "weights").read_text() == "w2"


def test_tars_merge_instance_folders(tmp_path):
    import tarfile

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "model").write_text("from a")
    (tmp_path / "b" / "model").write_text("from b")
    (tmp_path / "b" / "extra").write_text("b only")
    tar_folders([tmp_path / "a", tmp_path / "b"], tmp_path / "model.tar.gz")
    with tarfile.open(tmp_path / "model.tar.gz") as tar:
        assert {m.name: tar.extractfile(m).read() for m in tar.getmembers()} == {"model": b"from a",
                                                                                "extra": b"b only"}
