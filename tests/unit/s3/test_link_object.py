"""EncryptedObjectStore.link_object: a job may read an object in place only if the version it links
is stored as plaintext; the decision is made on that very version, even if the object is replaced
by a sealed one while it is being linked."""

from __future__ import annotations

import os

import pytest

from sagecraft.services.kms.keyring import S3Keyring
from sagecraft.services.s3.encrypted_store import EncryptedObjectStore
from sagecraft.storage.objects.base import ObjectMeta
from sagecraft.storage.objects.filesystem import FilesystemObjectStore

SSE_S3 = ObjectMeta(sse={"ServerSideEncryption": "AES256"})


@pytest.fixture
def stores(tmp_path):
    inner = FilesystemObjectStore(tmp_path / "objects")
    keyring = S3Keyring(kms=None, master_key=os.urandom(32), account_id="000000000000", region="us-east-1")
    outer = EncryptedObjectStore(inner, keyring, lambda bucket: None, str(tmp_path))
    outer.create_bucket("in", "us-east-1")
    yield inner, outer
    inner.close()


def test_plaintext_object_is_linked(stores, tmp_path):
    _, store = stores
    store.put_object("in", "k", b"plain rows", ObjectMeta())
    (link,) = store.link_object("in", "k", tmp_path / "k")
    assert link.read_bytes() == b"plain rows"


def test_sealed_object_is_refused(stores, tmp_path):
    _, store = stores
    store.put_object("in", "k", b"secret rows", SSE_S3)
    with pytest.raises(OSError):
        store.link_object("in", "k", tmp_path / "k")
    assert not list((tmp_path / "k").glob("*"))


def test_replaced_by_a_sealed_version_while_linking(stores, tmp_path, monkeypatch):
    """The plaintext version is seen first, then replaced by a sealed one just before its blob is
    linked: the link must not hand out the sealed bytes."""
    inner, store = stores
    store.put_object("in", "k", b"plain rows", ObjectMeta())
    real_path = inner.blobs.path
    replaced = []

    def path_then_replace(name):
        if not replaced:
            replaced.append(True)
            store.put_object("in", "k", b"secret rows", SSE_S3)  # removes the plaintext blob
        return real_path(name)

    monkeypatch.setattr(inner.blobs, "path", path_then_replace)
    with pytest.raises(OSError):
        store.link_object("in", "k", tmp_path / "k")
    assert replaced and not list((tmp_path / "k").glob("*"))


def test_a_store_that_cannot_lend_files_raises_oserror(tmp_path):
    class NoLinks:
        def head_object(self, bucket, key):  # pragma: no cover - never reached
            raise AssertionError("link_object must not need a separate look at the object")

    keyring = S3Keyring(kms=None, master_key=os.urandom(32), account_id="000000000000", region="us-east-1")
    store = EncryptedObjectStore(NoLinks(), keyring)
    with pytest.raises(OSError):
        store.link_object("in", "k", tmp_path / "k")
