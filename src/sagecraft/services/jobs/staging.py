"""Moving a job's data between the object store and its instance folders, as SageMaker does.

Inputs (before the job): an ``S3Prefix`` names every object whose key starts with it, each landing
at its key relative to the prefix (a prefix naming one object: its basename; see relative_key);
a ``ManifestFile`` lists keys under a common prefix; ``ShardedByS3Key`` gives instance *i* of *n*
every *n*-th object; ``Gzip`` inputs are decompressed. Outputs (after it): folders uploaded file by
file, or tarred (model.tar.gz, output.tar.gz). All of it talks to the object store directly.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sagecraft.core.errors import AwsError
from sagecraft.storage.objects.base import BucketNotFound, ObjectMeta, ObjectNotFound, ObjectStore

_S3_URI = re.compile(r"^(?:s3|https)://([^/]+)/?(.*)$", re.DOTALL)
LIST_PAGE = 1000


class StagingError(Exception):
    """Data could not be moved; the job fails with this message (a client error, as SageMaker's)."""


@dataclass(frozen=True)
class S3Uri:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Uri:
        match = _S3_URI.match(uri or "")
        if match is None or not match.group(1):
            raise ValueError(f"{uri!r} is not an S3 URI (s3://bucket/key)")
        return cls(match.group(1), match.group(2))

    def child(self, *parts: str) -> S3Uri:
        key = self.key.rstrip("/")
        rest = "/".join(p.strip("/") for p in parts if p)
        return S3Uri(self.bucket, f"{key}/{rest}" if key else rest)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Item:
    bucket: str
    key: str
    relative: str  # where it lands, relative to the destination folder


# ---- inputs ---------------------------------------------------------------------------------------


def relative_key(prefix: str, key: str) -> str:
    """Where an object of an S3Prefix lands: below the prefix when the prefix names a folder (with or
    without its trailing "/"), as its basename when the prefix is the object's own key, else below
    the prefix's last "/"."""
    rest = key[len(prefix):]
    if not rest:
        return key.rsplit("/", 1)[-1]
    if prefix.endswith("/") or rest.startswith("/"):
        return rest.lstrip("/")
    return key[prefix.rfind("/") + 1:]


def list_prefix(store: ObjectStore, uri: S3Uri) -> Iterator[Item]:
    after = ""
    while True:
        try:
            page = store.list_objects(uri.bucket, prefix=uri.key, after=after, max_keys=LIST_PAGE)
        except BucketNotFound:
            raise StagingError(f"The bucket {uri.bucket} does not exist (S3 URL {uri}).") from None
        for info in page.objects:
            if not info.key.endswith("/"):  # folder markers made by consoles
                yield Item(uri.bucket, info.key, relative_key(uri.key, info.key))
        if not page.truncated or not page.objects:
            return
        after = page.objects[-1].key


def list_manifest(store: ObjectStore, uri: S3Uri) -> list[Item]:
    """A manifest: ``[{"prefix": "s3://bucket/p/"}, "relative/key", …]``."""
    try:
        entries = json.loads(read_object(store, uri))
        prefix = S3Uri.parse(entries[0]["prefix"])
        relatives = [str(e) for e in entries[1:]]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise StagingError(f"The manifest file {uri} is not a valid manifest: {exc}") from None
    return [Item(prefix.bucket, prefix.key + rel, rel) for rel in relatives]


def select(store: ObjectStore, uri: S3Uri, data_type: str) -> list[Item]:
    if data_type == "ManifestFile":
        items = list_manifest(store, uri)
    else:
        items = sorted(list_prefix(store, uri), key=lambda i: i.key)
    if not items:
        raise StagingError(f"No S3 objects found under S3 URL \"{uri}\" given in the input data source. "
                           "Please ensure that the bucket exists in the selected region, that objects exist "
                           "under that S3 prefix, and that the role has access to them.")
    return items


def shard(items: list[Item], index: int, count: int, distribution: str) -> list[Item]:
    if distribution == "ShardedByS3Key" and count > 1:
        return items[index::count]
    return items


def stage(store: ObjectStore, uri: str, destination: Path, *, data_type: str = "S3Prefix",
          distribution: str = "FullyReplicated", gunzip: bool = False, index: int = 0, count: int = 1) -> int:
    """Download an input into ``destination``; returns the number of files written."""
    items = shard(select(store, S3Uri.parse(uri), data_type), index, count, distribution)
    destination.mkdir(parents=True, exist_ok=True)
    for item in items:
        relative = item.relative[:-3] if gunzip and item.relative.endswith(".gz") else item.relative
        download(store, item.bucket, item.key, safe_join(destination, relative), gunzip=gunzip)
    return len(items)


def safe_join(root: Path, relative: str) -> Path:
    parts = [p for p in PurePosixPath(relative).parts if p not in ("", "/", ".")]
    if not parts or ".." in parts:
        raise StagingError(f"The object key part {relative!r} cannot be a file name under {root}.")
    return root.joinpath(*parts)


def download(store: ObjectStore, bucket: str, key: str, target: Path, *, gunzip: bool = False) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _, chunks = store.open_object(bucket, key)
    except (ObjectNotFound, BucketNotFound):
        raise StagingError(f"The S3 object s3://{bucket}/{key} does not exist.") from None
    try:
        with open(target, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    if gunzip:
        with gzip.open(target, "rb") as packed, open(f"{target}.tmp", "wb") as plain:
            try:
                shutil.copyfileobj(packed, plain)
            except (OSError, EOFError) as exc:
                raise StagingError(f"s3://{bucket}/{key} is not gzip data: {exc}") from None
        os.replace(f"{target}.tmp", target)


def read_object(store: ObjectStore, uri: S3Uri) -> bytes:
    try:
        _, chunks = store.open_object(uri.bucket, uri.key)
    except (ObjectNotFound, BucketNotFound):
        raise StagingError(f"The S3 object {uri} does not exist.") from None
    try:
        return b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()


def extract_tarball(store: ObjectStore, uri: str, destination: Path) -> None:
    """A framework's ``sagemaker_submit_directory`` (sourcedir.tar.gz) into the code folder."""
    destination.mkdir(parents=True, exist_ok=True)
    source = S3Uri.parse(uri)
    archive = destination.parent / f".{destination.name}.tar.gz"
    download(store, source.bucket, source.key, archive)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(destination, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise StagingError(f"The source archive {uri} cannot be extracted: {exc}") from None
    finally:
        archive.unlink(missing_ok=True)


# ---- outputs --------------------------------------------------------------------------------------


def files_under(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def upload_file(store: ObjectStore, path: Path, uri: S3Uri, content_type: str = "binary/octet-stream",
                kms_key_id: str | None = None) -> None:
    """``kms_key_id`` (an output's KmsKeyId): the object is written SSE-KMS with that key."""
    sse = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
    try:
        store.put_object(uri.bucket, uri.key, str(path), ObjectMeta(content_type=content_type, sse=sse))
    except BucketNotFound:
        raise StagingError(f"Cannot upload to {uri}: the bucket {uri.bucket} does not exist.") from None
    except AwsError as error:  # e.g. KMS.DisabledException for the output's key
        raise StagingError(f"Cannot upload to {uri}: {error.code}: {error.message}") from None


def upload_folder(store: ObjectStore, root: Path, uri: S3Uri, kms_key_id: str | None = None) -> int:
    count = 0
    for path in files_under(root):
        upload_file(store, path, uri.child(path.relative_to(root).as_posix()), kms_key_id=kms_key_id)
        count += 1
    return count


def tar_folders(folders: list[Path], archive: Path) -> None:
    """One gzipped tar of the folders' contents, merged (the first folder wins on a clash)."""
    seen: set[str] = set()
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        for folder in folders:
            for path in files_under(folder):
                name = path.relative_to(folder).as_posix()
                if name not in seen:
                    seen.add(name)
                    tar.add(path, arcname=name, recursive=False)
