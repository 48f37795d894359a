"""EncryptedObjectStore: the whole object store contract holds with every object sealed (a bucket
default of SSE-S3), the stored bytes are not the plaintext, and tampering is detected."""

from __future__ import annotations

import hashlib
import os

import pytest

from sagecraft.services.kms.keyring import S3Keyring
from sagecraft.services.s3 import sealing
from sagecraft.services.s3.encrypted_store import DATA_KEY, EncryptedObjectStore, ObjectCorrupted
from sagecraft.storage.objects.base import ObjectMeta
from sagecraft.storage.objects.filesystem import FilesystemObjectStore
from tests.unit.storage.store_contract import FakeBody, ObjectStoreContract, md5_etag, read_all

MiB = 1024 * 1024

SSE_S3 = {"ServerSideEncryption": "AES256"}


def sealed_store(root) -> EncryptedObjectStore:
    keyring = S3Keyring(kms=None, master_key=os.urandom(32), account_id="000000000000", region="us-east-1")
    return EncryptedObjectStore(FilesystemObjectStore(root), keyring, lambda bucket: SSE_S3, str(root))


@pytest.fixture
def store(tmp_path):
    opened = sealed_store(tmp_path / "objects")
    yield opened
    opened.close()


class TestEncryptedObjectStore(ObjectStoreContract):
    """Parts' ETags are the MD5 of their sealed bytes (S3's are no plaintext MD5 for SSE-KMS either):
    the two contract cases that compare them with the plaintext's MD5 are restated without that."""

    def test_multipart_upload(self, store, bucket):
        part1, part2, part3 = os.urandom(5 * MiB), os.urandom(5 * MiB + 3), os.urandom(1234)
        upload = store.create_upload(bucket, "mp", ObjectMeta(content_type="x/y"), None, None)
        first = store.upload_part(upload, 1, part1, {})
        store.upload_part(upload, 2, b"to be replaced" * 1000, {})
        second = store.upload_part(upload, 2, part2, {})
        third = store.upload_part(upload, 3, FakeBody(part3), {})
        assert [p.size for p in store.list_parts(upload)] == [len(part1), len(part2), len(part3)]
        assert first.etag != md5_etag(part1)
        etags = [first.etag, second.etag, third.etag]
        expected = '"' + hashlib.md5(b"".join(bytes.fromhex(e.strip('"')) for e in etags)).hexdigest() + '-3"'
        info = store.complete_upload(
            upload, [(1, first.etag), (2, second.etag), (3, third.etag)], expected, ObjectMeta(content_type="x/y")
        )
        whole = part1 + part2 + part3
        assert info.etag == expected and info.size == len(whole)
        assert [p.size for p in store.head_object(bucket, "mp").parts] == [len(part1), len(part2), len(part3)]
        assert read_all(store, bucket, "mp") == whole
        assert read_all(store, bucket, "mp", 5 * MiB - 2, 5 * MiB + 1) == whole[5 * MiB - 2 : 5 * MiB + 2]
        assert store.list_objects(bucket).objects[0].size == len(whole)

    def test_abort_and_copy_part(self, store, bucket):
        source = os.urandom(MiB)
        store.put_object(bucket, "source", source, ObjectMeta())
        upload = store.create_upload(bucket, "dest", ObjectMeta(), None, None)
        part = store.copy_part(upload, 1, bucket, "source", 10, 99, algorithms=("CRC32",))
        assert part.size == 90 and "CRC32" in part.checksums
        store.complete_upload(upload, [(1, part.etag)], '"x-1"', ObjectMeta())
        assert read_all(store, bucket, "dest") == source[10:100]


def stored_files(store: EncryptedObjectStore) -> list[bytes]:
    return [p.read_bytes() for p in (store.inner.root / "blobs").rglob("*") if p.is_file()]


def test_stored_bytes_are_sealed_and_reads_are_plaintext(store):
    store.create_bucket("b", "us-east-1")
    body = b"PLAINTEXT-MARKER" + os.urandom(3 * sealing.PLAIN_CHUNK)
    info = store.put_object("b", "k", body, ObjectMeta())
    assert info.size == len(body) and DATA_KEY in info.meta.sse
    assert all(b"PLAINTEXT-MARKER" not in data for data in stored_files(store))
    assert read_all(store, "b", "k") == body
    assert read_all(store, "b", "k", 5, sealing.PLAIN_CHUNK + 5) == body[5 : sealing.PLAIN_CHUNK + 6]
    assert store.list_objects("b").objects[0].size == len(body)


def test_a_flipped_bit_fails_instead_of_returning_wrong_bytes(store):
    store.create_bucket("b", "us-east-1")
    store.put_object("b", "k", b"x" * 5000, ObjectMeta())
    [blob] = [p for p in (store.inner.root / "blobs").rglob("*") if p.is_file()]
    data = bytearray(blob.read_bytes())
    data[40] ^= 0x80
    os.chmod(blob, 0o600)
    blob.write_bytes(bytes(data))
    with pytest.raises(ObjectCorrupted):
        read_all(store, "b", "k")


def test_objects_written_without_encryption_pass_through(tmp_path):
    keyring = S3Keyring(kms=None, master_key=os.urandom(32), account_id="000000000000", region="us-east-1")
    store = EncryptedObjectStore(FilesystemObjectStore(tmp_path / "o"), keyring)
    store.create_bucket("b", "us-east-1")
    info = store.put_object("b", "k", b"PLAIN-BODY", ObjectMeta())
    assert DATA_KEY not in info.meta.sse
    assert any(b"PLAIN-BODY" in data for data in stored_files(store))
    store.close()


@pytest.mark.parametrize("sizes", [[0], [5], [sealing.PLAIN_CHUNK], [sealing.PLAIN_CHUNK + 1, 0, 7]])
def test_sealed_ranges_cover_every_span(sizes):
    key = os.urandom(32)
    segments = [os.urandom(n) for n in sizes]
    stored = b"".join(b"".join(sealing.seal_segment(key, i + 1, [s])) for i, s in enumerate(segments))
    layout = sealing.layout([sealing.sealed_size(n) for n in sizes])
    plain = b"".join(segments)
    spans = [(0, len(plain) - 1)] + [
        (a, b) for a in (0, 1, len(plain) // 2) for b in (len(plain) - 1, a + 3) if a <= b < len(plain)
    ]
    for start, end in spans:
        plan = sealing.sealed_range(layout, start, end)
        got = b"".join(sealing.open_range(key, plan, [stored[plan.sealed_start : plan.sealed_end + 1]]))
        assert got == plain[start : end + 1]
    truncated = stored[:-1]
    plan = sealing.sealed_range(layout, 0, len(plain) - 1)
    with pytest.raises(sealing.CorruptObjectError):
        b"".join(sealing.open_range(key, plan, [truncated[plan.sealed_start : plan.sealed_end + 1]]))
