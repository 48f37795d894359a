"""Inputs read in place: the filesystem store lends an object's blobs as hard links (a multipart
object as one file per part), the worker reads the parts in order, decompresses Gzip as it reads,
and batches a whole-object record under MaxPayloadInMB."""

from __future__ import annotations

import gzip
import hashlib
import os

import pytest

from sagecraft.executors.transform import batches
from sagecraft.storage.objects.base import ObjectMeta, ObjectNotFound
from sagecraft.storage.objects.filesystem import FilesystemObjectStore


@pytest.fixture
def store(tmp_path):
    opened = FilesystemObjectStore(tmp_path / "objects")
    opened.create_bucket("in", "us-east-1")
    yield opened
    opened.close()


def _multipart(store: FilesystemObjectStore, key: str, parts: list[bytes]) -> None:
    upload = store.create_upload("in", key, ObjectMeta(), None, None)
    infos = [store.upload_part(upload, number, data, {}) for number, data in enumerate(parts, start=1)]
    digest = hashlib.md5(b"".join(bytes.fromhex(i.etag.strip('"')) for i in infos)).hexdigest()
    store.complete_upload(upload, [(i.number, i.etag) for i in infos], f'"{digest}-{len(infos)}"', ObjectMeta())


def test_a_multipart_object_is_lent_as_its_parts_without_a_copy(tmp_path, store):
    first, second = b"1,2\n3,4\n5," * 1000, b"6\n7,8\n"
    _multipart(store, "rows.csv", [first, second])
    links = store.link_object("in", "rows.csv", tmp_path / "parts")
    assert [p.name for p in links] == ["00000", "00001"]
    assert [os.stat(p).st_nlink for p in links] == [2, 2]  # the store's blob and our link: one inode
    stream = batches.Parts(links)
    assert b"".join(batches.line_chunks(stream, 1 << 20)) == first + second
    stream.close()


def test_a_link_keeps_the_version_it_was_made_of(tmp_path, store):
    store.put_object("in", "k", b"old\n", ObjectMeta())
    (link,) = store.link_object("in", "k", tmp_path / "k")
    store.put_object("in", "k", b"new\n", ObjectMeta())
    store.delete_object("in", "k")
    assert link.read_bytes() == b"old\n"
    with pytest.raises(ObjectNotFound):
        store.link_object("in", "k", tmp_path / "gone")


def test_gzip_is_decompressed_while_read_across_parts(tmp_path):
    body = b"".join(f"{i},{i * 2}\n".encode() for i in range(5000))
    packed = gzip.compress(body[:20000]) + gzip.compress(body[20000:])  # two members, as gzip may write
    paths = []
    for index, cut in enumerate(range(0, len(packed), 7000)):
        path = tmp_path / f"{index:05d}"
        path.write_bytes(packed[cut : cut + 7000])
        paths.append(path)
    stream = batches.Gunzip(batches.Parts(paths))
    chunks = list(batches.line_chunks(stream, 8192))
    stream.close()
    assert b"".join(chunks) == body
    assert all(len(c) <= 8192 and c.endswith(b"\n") for c in chunks)


def test_data_that_is_not_gzip_fails_as_bad_input(tmp_path):
    (tmp_path / "00000").write_bytes(b"1,2\n3,4\n")
    stream = batches.Gunzip(batches.Parts([tmp_path / "00000"]))
    with pytest.raises(batches.BadInput, match="not gzip data"):
        list(batches.batches(stream, "Line", "MultiRecord", 6))


def test_a_whole_object_record_is_one_batch_unless_too_large(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "b").write_bytes(b"y" * 10)
    assert list(batches.batches(batches.Parts([tmp_path / "a", tmp_path / "b"]), "None", "MultiRecord", 1)) == [
        (b"x" * 10 + b"y" * 10, [b"x" * 10 + b"y" * 10])
    ]
    (tmp_path / "big").write_bytes(b"z" * (batches.MB + 1))
    with pytest.raises(batches.PayloadTooLarge, match="Too much data for max payload size"):
        list(batches.batches(batches.Parts([tmp_path / "big"]), "None", "MultiRecord", 1))
