"""Wiring of KMS: the master key from the home, the service and its provider, key policies for the
authorizer, and S3's encryption at rest (its keyring, the object store that seals, and the KMS
permissions S3 asks of its callers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sagecraft.config.settings import Settings
from sagecraft.core.context import RequestContext
from sagecraft.security.envelope import load_master_key
from sagecraft.services.iam.authorizer import Authorizer
from sagecraft.services.kms.key_policies import KeyPolicies
from sagecraft.services.kms.keyring import S3Keyring
from sagecraft.services.kms.provider import KmsProvider
from sagecraft.services.kms.service import KmsService
from sagecraft.services.s3.bucket_encryption import BucketEncryption
from sagecraft.services.s3.encrypted_store import EncryptedObjectStore
from sagecraft.services.s3.provider_encryption import KeyAccess
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectStore
from sagecraft.storage.objects.filesystem import FilesystemObjectStore

REGION = "us-east-1"  # where keys named without an ARN (and aws/s3) are looked up


@dataclass(frozen=True)
class KmsWiring:
    provider: KmsProvider
    key_policies: KeyPolicies
    keyring: S3Keyring


def kms_wiring(settings: Settings, metadata: MetadataStore) -> KmsWiring:
    service = KmsService(metadata, load_master_key(settings.home / "kms-master.key"))
    keyring = S3Keyring(service, load_master_key(settings.home / "s3-master.key"), settings.account_id, REGION)
    return KmsWiring(KmsProvider(service), KeyPolicies(service), keyring)


def encrypted_objects(objects: ObjectStore, keyring: S3Keyring, bucket_encryption: BucketEncryption,
                      settings: Settings) -> ObjectStore:
    """The embedded store seals what is written encrypted. On the S3 backend (a cluster's object
    store) objects are kept as the backend keeps them: its own encryption at rest applies."""
    if not isinstance(objects, FilesystemObjectStore):
        return objects
    return EncryptedObjectStore(objects, keyring, bucket_encryption.default_sse, str(settings.spool_dir))


def s3_key_access(keyring: S3Keyring, authorizer: Callable[[], Authorizer]) -> KeyAccess:
    """S3's check of its caller's KMS permissions: the same decision a KMS request would get."""

    def check(context: RequestContext, action: str, key_ref: str | None) -> None:
        key = keyring.key(key_ref)
        if key.key_manager == "AWS":  # aws/s3's key policy lets every principal of the account use it via S3
            return
        authorizer().authorize(context, "kms", action.split(":", 1)[1], {"KeyId": key.arn})

    return check
