"""Wiring of KMS: the master key from the home, the service and its provider, key policies for the
authorizer, and S3's encryption at rest (its keyring, the object store that seals, and the KMS
permissions S3 asks of its callers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sagecraft.config.settings import Settings
from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ClientError
from sagecraft.security.envelope import load_master_key
from sagecraft.security.policy import AuthorizationRequest
from sagecraft.services.iam.authorizer import Authorizer, KeyGrants
from sagecraft.services.kms.grants import GrantRequest
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
    """S3's check of its caller's KMS permissions: the decision a KMS request would get, made with
    kms:ViaService = s3.<region>.amazonaws.com and the object's ARN as encryption context (what
    S3 sends KMS). The aws/s3 key's AWS policy allows every principal of the account through S3."""

    def check(context: RequestContext, action: str, key_ref: str | None, object_arn: str | None = None) -> None:
        key = keyring.key(key_ref)
        params = {"KeyId": key.arn, **({"EncryptionContext": {"aws:s3:arn": object_arn}} if object_arn else {})}
        authorizer().authorize(context, "kms", action.split(":", 1)[1], params,
                               via_service=f"s3.{key.region}.amazonaws.com")

    return check


def key_grants(service: KmsService) -> KeyGrants:
    """The grantees of the grants allowing a KMS request on its key (the authorizer's grant check)."""

    def allowing(request: AuthorizationRequest) -> list[str]:
        parts = request.resource.split(":", 5)
        if len(parts) < 6 or not parts[5].startswith("key/"):
            return []
        try:
            key = service.resolve(parts[4], parts[3], request.resource)
        except ClientError:
            return []
        asked = GrantRequest(request.principal_arn, request.role_arn, request.principal_account,
                             request.action.split(":", 1)[1], request.context)
        return [grant.grantee for grant in service.grants.allowing(key, asked)]

    return allowing


def connect_kms(kms: KmsWiring, authorizer: Authorizer) -> None:
    """What KMS and the authorizer need of each other: grants for enforcement, enforcement for the
    key policy lockout safety check."""
    authorizer.key_grants = key_grants(kms.provider.service)
    kms.provider.policy_lockout = authorizer.allows_key_policy
