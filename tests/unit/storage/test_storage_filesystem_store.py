"""FilesystemObjectStore: the contract, plus what only the embedded store promises (blob layout,
spool take-over, crash recovery, concurrency)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from sagecraft.storage.objects.base import ObjectMeta
from sagecraft.storage.objects.factory import clean_spool, open_object_store
from sagecraft.storage.objects.filesystem import FilesystemObjectStore
from tests.unit.storage.store_contract import ODD_KEYS, FakeBody, ObjectStoreContract, read_all


@pytest.fixture
def store(tmp_path):
    opened = FilesystemObjectStore(tmp_path / "objects")
    yield opened
    opened.close()


class TestFilesystemObjectStore(ObjectStoreContract):
    pass


def blob_files(root: Path) -> list[Path]:
    return [p for p in (root / "blobs").rglob("*") if p.is_file()]


def test_keys_never_name_files(tmp_path, store):
    store.create_bucket("keys", "us-east-1")
    for key in [*ODD_KEYS, "../../../escape", "/etc/passwd", "..", "."]:
        store.put_object("keys", key, b"data", ObjectMeta())
    root = tmp_path / "objects"
    names = {p.name for p in root.rglob("*")}
    assert not {"escape", "passwd", "x"} & names
    assert sorted(os.listdir(tmp_path)) == ["objects"]  # nothing outside the store's folder
    assert len(blob_files(root)) == len(ODD_KEYS) + 4


def test_a_spooled_body_is_taken_over_not_copied(tmp_path, store):
    store.create_bucket("spool", "us-east-1")
    spool = tmp_path / "spool"
    spool.mkdir()
    body = FakeBody(os.urandom(2 << 20), str(spool))
    inode = os.stat(body.path).st_ino
    store.put_object("spool", "big", body, ObjectMeta())
    assert list(spool.iterdir()) == []
    assert [os.stat(p).st_ino for p in blob_files(tmp_path / "objects")] == [inode]


def test_replaced_and_deleted_objects_leave_no_blobs(tmp_path, store):
    store.create_bucket("gc", "us-east-1")
    for i in range(3):
        store.put_object("gc", "k", os.urandom(100 + i), ObjectMeta())
    assert len(blob_files(tmp_path / "objects")) == 1
    upload = store.create_upload("gc", "mp", ObjectMeta(), None, None)
    part = store.upload_part(upload, 1, b"a" * 10, {})
    store.upload_part(upload, 2, b"unused", {})
    store.complete_upload(upload, [(1, part.etag)], '"x-1"', ObjectMeta())
    assert len(blob_files(tmp_path / "objects")) == 2  # the unlisted part is gone
    store.copy_object("gc", "mp", "gc", "mp-copy", None)
    store.delete_objects("gc", ["k", "mp"])
    assert read_all(store, "gc", "mp-copy") == b"a" * 10
    store.delete_object("gc", "mp-copy")
    assert blob_files(tmp_path / "objects") == []


def test_objects_survive_reopening(tmp_path):
    store = FilesystemObjectStore(tmp_path / "objects")
    store.create_bucket("persist", "eu-west-1")
    store.put_object("persist", "k", b"kept", ObjectMeta(metadata={"a": "b"}, checksums={"CRC32": "AAAAAA=="}))
    store.close()
    again = FilesystemObjectStore(tmp_path / "objects")
    assert again.get_bucket("persist").region == "eu-west-1"
    head = again.head_object("persist", "k")
    assert head.meta.metadata == {"a": "b"} and head.meta.checksums == {"CRC32": "AAAAAA=="}
    assert read_all(again, "persist", "k") == b"kept"
    again.close()


def test_an_unclean_shutdown_sweeps_orphan_blobs(tmp_path):
    root = tmp_path / "objects"
    store = FilesystemObjectStore(root)
    store.create_bucket("crash", "us-east-1")
    store.put_object("crash", "kept", b"kept", ObjectMeta())
    orphan = root / "blobs" / "ab" / "ab0123456789"  # as if a crash hit between blob write and commit
    orphan.write_bytes(b"torn")
    store.index.close()  # no close(): no clean-shutdown mark
    again = FilesystemObjectStore(root)
    assert not orphan.exists()
    assert read_all(again, "crash", "kept") == b"kept"
    again.close()
    orphan.write_bytes(b"left alone after a clean shutdown")
    FilesystemObjectStore(root).close()  # a clean restart skips the sweep
    assert orphan.exists()


def test_stale_spool_files_are_cleaned_at_start(tmp_path):
    spool = tmp_path / "tmp"
    spool.mkdir()
    (spool / "upload-abc").write_bytes(b"partial body")
    (spool / "other-file").write_bytes(b"not ours")
    store = open_object_store(f"file://{tmp_path / 'objects'}", spool_dir=spool)
    assert sorted(p.name for p in spool.iterdir()) == ["other-file"]
    assert clean_spool(tmp_path / "missing") == 0
    store.close()


def test_reads_survive_a_concurrent_overwrite(store):
    store.create_bucket("race", "us-east-1")
    old = os.urandom(3 << 20)
    store.put_object("race", "k", old, ObjectMeta())
    _, reader = store.open_object("race", "k")
    first = next(reader)
    store.put_object("race", "k", b"new", ObjectMeta())  # unlinks the old blob mid-read
    assert first + b"".join(reader) == old


def test_concurrent_writers_and_readers(store):
    store.create_bucket("threads", "us-east-1")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(40):
                key = f"t{n}/{i % 5}"
                store.put_object("threads", key, f"{n}-{i}".encode(), ObjectMeta())
                assert read_all(store, "threads", key).startswith(f"{n}-".encode())
                store.list_objects("threads", prefix=f"t{n}/")
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.list_objects("threads").objects) == 30


def test_delimiter_listing_skips_past_large_common_prefixes(store):
    store.create_bucket("skip", "us-east-1")
    for i in range(2000):
        store.put_object("skip", f"big/{i:05d}", b"", ObjectMeta())
    store.put_object("skip", "after", b"", ObjectMeta())
    queries = []
    store.index.conn().set_trace_callback(queries.append)
    page = store.list_objects("skip", delimiter="/")
    store.index.conn().set_trace_callback(None)
    assert page.common_prefixes == ["big/"] and [o.key for o in page.objects] == ["after"]
    assert len([q for q in queries if q.startswith("SELECT key")]) == 2  # one jump, not 2,000 rows


def test_unknown_uri_scheme_is_refused():
    with pytest.raises(ValueError, match="Unsupported object store URI"):
        open_object_store("ftp://example.com/objects")
