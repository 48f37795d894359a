"""One body of object store tests, run against every backend: a subclass provides the ``store``
fixture (FilesystemObjectStore here, S3ObjectStore in tests/api/s3)."""

from __future__ import annotations

import hashlib
import io
import os
import uuid

import pytest

from sagecraft.storage.objects.base import (
    BucketExists,
    BucketNotEmpty,
    BucketNotFound,
    ObjectMeta,
    ObjectNotFound,
    UploadNotFound,
)

MiB = 1024 * 1024
ODD_KEYS = ["a", "a/b", "a/b/c", "../x", "a/../b", "./a", "%", "%2F", "+", "a b", "a+b", "é", "日本/語", "z\u00ff",
            "ключ", "emoji-😀", "a//b", "/lead", "trail/", "?q=1&x", "#frag"]


def md5_etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def s3_listing(keys: list[str], prefix: str = "", delimiter: str = "", after: str = "") -> list[tuple[str, str]]:
    """A naive reference of S3's listing: ("key"|"prefix", name) in UTF-8 byte order."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for key in sorted(keys, key=lambda k: k.encode()):
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix):]
        if delimiter and delimiter in rest:
            common = prefix + rest[: rest.index(delimiter) + len(delimiter)]
            if common not in seen and common.encode() > after.encode():
                seen.add(common)
                out.append(("prefix", common))
            continue
        if key.encode() > after.encode():
            out.append(("key", key))
    return out


class FakeBody:
    """What the gateway hands a store: a received body, in memory or in a spool file."""

    def __init__(self, data: bytes, spool_dir: str | None = None) -> None:
        self.data = data
        self.size = len(data)
        self.md5 = hashlib.md5(data).hexdigest()
        self.path = None
        if spool_dir is not None:
            self.path = os.path.join(spool_dir, f"upload-{uuid.uuid4().hex}")
            with open(self.path, "wb") as handle:
                handle.write(data)

    def read(self) -> bytes:
        return self.data

    def open(self):
        return open(self.path, "rb") if self.path else io.BytesIO(self.data)

    def take_file(self) -> str | None:
        path, self.path = self.path, None
        return path


def read_all(store, bucket: str, key: str, start: int = 0, end: int | None = None) -> bytes:
    _, reader = store.open_object(bucket, key, start, end)
    try:
        return b"".join(reader)
    finally:
        getattr(reader, "close", lambda: None)()


class ObjectStoreContract:
    @pytest.fixture
    def bucket(self, store) -> str:
        name = f"contract-{uuid.uuid4().hex[:12]}"
        store.create_bucket(name, "us-east-1")
        return name

    def test_bucket_life_cycle(self, store):
        name = f"life-{uuid.uuid4().hex[:12]}"
        assert store.get_bucket(name) is None
        info = store.create_bucket(name, "us-east-1")
        assert info.name == name and info.region == "us-east-1"
        assert name in [b.name for b in store.list_buckets()]
        with pytest.raises(BucketExists):
            store.create_bucket(name, "us-east-1")
        store.delete_bucket(name)
        assert store.get_bucket(name) is None
        with pytest.raises(BucketNotFound):
            store.delete_bucket(name)

    def test_delete_bucket_refuses_when_not_empty(self, store, bucket):
        store.put_object(bucket, "k", b"x", ObjectMeta())
        with pytest.raises(BucketNotEmpty):
            store.delete_bucket(bucket)
        store.delete_object(bucket, "k")
        store.delete_bucket(bucket)

    def test_put_head_open_and_ranges(self, store, bucket):
        data = os.urandom(3 * MiB + 17)
        meta = ObjectMeta(content_type="text/plain", metadata={"color": "blue"}, headers={"CacheControl": "no-cache"})
        put = store.put_object(bucket, "dir/file.bin", data, meta)
        assert put.etag == md5_etag(data) and put.size == len(data)
        head = store.head_object(bucket, "dir/file.bin")
        assert (head.size, head.etag, head.meta.content_type) == (len(data), md5_etag(data), "text/plain")
        assert head.meta.metadata == {"color": "blue"} and head.meta.headers["CacheControl"] == "no-cache"
        assert read_all(store, bucket, "dir/file.bin") == data
        assert read_all(store, bucket, "dir/file.bin", 5, 9) == data[5:10]
        assert read_all(store, bucket, "dir/file.bin", MiB - 3, 2 * MiB + 4) == data[MiB - 3: 2 * MiB + 5]
        assert read_all(store, bucket, "dir/file.bin", len(data) - 1) == data[-1:]

    def test_put_from_a_received_body_and_a_path(self, store, bucket, tmp_path):
        data = os.urandom(2 * MiB)
        body = FakeBody(data, str(tmp_path))
        assert store.put_object(bucket, "spooled", body, ObjectMeta()).etag == md5_etag(data)
        assert read_all(store, bucket, "spooled") == data
        small = FakeBody(b"small")
        store.put_object(bucket, "small", small, ObjectMeta())
        assert read_all(store, bucket, "small") == b"small"
        path = tmp_path / "source.bin"
        path.write_bytes(b"from a path")
        store.put_object(bucket, "from-path", str(path), ObjectMeta())
        assert read_all(store, bucket, "from-path") == b"from a path"
        assert path.exists()  # a path is copied, never taken

    def test_overwrite_and_empty_objects(self, store, bucket):
        store.put_object(bucket, "k", b"first", ObjectMeta(metadata={"v": "1"}))
        store.put_object(bucket, "k", b"", ObjectMeta(metadata={"v": "2"}))
        head = store.head_object(bucket, "k")
        assert head.size == 0 and head.meta.metadata == {"v": "2"} and head.etag == md5_etag(b"")
        assert read_all(store, bucket, "k") == b""
        assert [o.key for o in store.list_objects(bucket).objects] == ["k"]

    def test_odd_keys_are_distinct_objects(self, store, bucket):
        for key in ODD_KEYS:
            store.put_object(bucket, key, key.encode(), ObjectMeta())
        for key in ODD_KEYS:
            assert read_all(store, bucket, key) == key.encode()
        listed = [o.key for o in store.list_objects(bucket).objects]
        assert listed == sorted(ODD_KEYS, key=lambda k: k.encode())  # UTF-8 binary order

    def test_missing_objects_and_buckets(self, store, bucket):
        with pytest.raises(ObjectNotFound):
            store.head_object(bucket, "nope")
        with pytest.raises(ObjectNotFound):
            store.open_object(bucket, "nope")
        with pytest.raises(BucketNotFound):
            store.head_object(f"missing-{uuid.uuid4().hex[:8]}", "k")
        with pytest.raises(BucketNotFound):
            store.put_object(f"missing-{uuid.uuid4().hex[:8]}", "k", b"x", ObjectMeta())
        with pytest.raises(BucketNotFound):
            store.list_objects(f"missing-{uuid.uuid4().hex[:8]}")

    @pytest.mark.parametrize(("prefix", "delimiter"), [("", ""), ("", "/"), ("a/", "/"), ("a", "/"), ("", "b"),
                                                       ("日", "/"), ("a/b", "")])
    def test_listing_matches_s3_semantics_page_by_page(self, store, bucket, prefix, delimiter):
        keys = [*ODD_KEYS, *(f"a/{i:03d}" for i in range(7)), *(f"a/x/{i}" for i in range(3)), "b/1", "b/2/3"]
        for key in keys:
            store.put_object(bucket, key, b"", ObjectMeta())
        expected = s3_listing(keys, prefix, delimiter)
        for page_size in (1, 2, 5, 1000):
            seen: list[tuple[str, str]] = []
            after = ""
            while True:
                page = store.list_objects(bucket, prefix=prefix, delimiter=delimiter, after=after, max_keys=page_size)
                items = sorted([("key", o.key) for o in page.objects] + [("prefix", p) for p in page.common_prefixes],
                               key=lambda item: item[1].encode())
                assert len(items) <= page_size
                seen.extend(items)
                if not page.truncated:
                    break
                after = page.last
            assert seen == expected, (page_size, prefix, delimiter)

    def test_listing_after_a_key(self, store, bucket):
        keys = ["a/1", "a/2", "b", "c/1", "d"]
        for key in keys:
            store.put_object(bucket, key, b"", ObjectMeta())
        page = store.list_objects(bucket, after="b")
        assert [o.key for o in page.objects] == ["c/1", "d"]
        page = store.list_objects(bucket, delimiter="/", after="a/1")
        assert page.common_prefixes == ["c/"] and [o.key for o in page.objects] == ["b", "d"]

    def test_delete_object_and_objects(self, store, bucket):
        for key in ("a", "b", "c"):
            store.put_object(bucket, key, b"x", ObjectMeta())
        store.delete_object(bucket, "a")
        store.delete_object(bucket, "never-there")
        store.delete_objects(bucket, ["b", "c", "nope"])
        assert store.list_objects(bucket).objects == []

    def test_copy_object_keeps_bytes_and_sets_meta(self, store, bucket):
        data = os.urandom(MiB + 5)
        store.put_object(bucket, "src", data, ObjectMeta(content_type="a/b", metadata={"k": "v"}))
        copied = store.copy_object(bucket, "src", bucket, "dst", ObjectMeta(content_type="c/d", metadata={"n": "1"}))
        assert copied.etag == md5_etag(data)
        assert read_all(store, bucket, "dst") == data
        head = store.head_object(bucket, "dst")
        assert head.meta.content_type == "c/d" and head.meta.metadata == {"n": "1"}
        store.delete_object(bucket, "src")  # the copy does not share fate with its source
        assert read_all(store, bucket, "dst") == data
        with pytest.raises(ObjectNotFound):
            store.copy_object(bucket, "src", bucket, "again", None)

    def test_precondition_refuses_a_write(self, store, bucket):
        store.put_object(bucket, "k", b"old", ObjectMeta())

        def refuse(current):
            assert current is not None and current.etag == md5_etag(b"old")
            raise RuntimeError("refused")

        with pytest.raises(RuntimeError):
            store.put_object(bucket, "k", b"new", ObjectMeta(), precondition=refuse)
        assert read_all(store, bucket, "k") == b"old"

    def test_multipart_upload(self, store, bucket):
        part1, part2, part3 = os.urandom(5 * MiB), os.urandom(5 * MiB + 3), os.urandom(1234)
        upload = store.create_upload(bucket, "mp", ObjectMeta(content_type="x/y"), None, None)
        assert store.get_upload(bucket, "mp", upload.upload_id).upload_id == upload.upload_id
        first = store.upload_part(upload, 1, part1, {})
        store.upload_part(upload, 2, b"to be replaced" * 1000, {})
        second = store.upload_part(upload, 2, part2, {})
        third = store.upload_part(upload, 3, FakeBody(part3), {})
        assert [p.number for p in store.list_parts(upload)] == [1, 2, 3]
        assert [p.etag for p in store.list_parts(upload, after=1, max_parts=1)] == [second.etag]
        assert first.etag == md5_etag(part1) and first.size == len(part1)
        listed = store.list_uploads(bucket)
        assert [u.upload_id for u in listed.uploads] == [upload.upload_id]
        etags = [first.etag, second.etag, third.etag]
        expected_etag = '"' + hashlib.md5(b"".join(bytes.fromhex(e.strip('"')) for e in etags)).hexdigest() + '-3"'
        info = store.complete_upload(upload, [(1, first.etag), (2, second.etag), (3, third.etag)], expected_etag,
                                     ObjectMeta(content_type="x/y"))
        assert info.etag == expected_etag and info.size == len(part1 + part2 + part3)
        whole = part1 + part2 + part3
        assert read_all(store, bucket, "mp") == whole
        assert read_all(store, bucket, "mp", 5 * MiB - 2, 5 * MiB + 1) == whole[5 * MiB - 2: 5 * MiB + 2]
        assert store.head_object(bucket, "mp").meta.content_type == "x/y"
        with pytest.raises(UploadNotFound):
            store.get_upload(bucket, "mp", upload.upload_id)
        assert store.list_uploads(bucket).uploads == []

    def test_abort_and_copy_part(self, store, bucket):
        source = os.urandom(MiB)
        store.put_object(bucket, "source", source, ObjectMeta())
        upload = store.create_upload(bucket, "dest", ObjectMeta(), None, None)
        part = store.copy_part(upload, 1, bucket, "source", 10, 99)
        assert part.size == 90 and part.etag == md5_etag(source[10:100])
        store.abort_upload(upload)
        with pytest.raises(UploadNotFound):
            store.get_upload(bucket, "dest", upload.upload_id)
        with pytest.raises(UploadNotFound):
            store.abort_upload(upload)
