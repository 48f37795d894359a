"""KMS rules: key life cycle (Enabled ⇄ Disabled, PendingDeletion → deleted after its window), aliases,
grants, and the cryptographic operations. Key material is generated here, stored only wrapped by the
master key (security/envelope.py) and unwrapped in memory when used."""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import threading
import uuid
from collections.abc import Callable

from sqlalchemy import delete, insert, select, update

from sagecraft.core.errors import ValidationException
from sagecraft.security import envelope
from sagecraft.security.policy import parse_policy
from sagecraft.security.policy.document import MalformedPolicyDocument
from sagecraft.services.kms.errors import (
    AlreadyExistsException,
    DisabledException,
    IncorrectKeyException,
    InvalidAliasNameException,
    InvalidCiphertextException,
    KMSInvalidStateException,
    MalformedPolicyDocumentException,
    NotFoundException,
)
from sagecraft.services.kms.grants import KeyGrants
from sagecraft.services.kms.models import Blob, Key, associated_data, aws_managed_key_policy, default_key_policy
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.metadata.schema import kms_aliases, kms_keys

MAX_PLAINTEXT = 4096
ALIAS = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")
DATA_KEY_SPECS = {"AES_256": 32, "AES_128": 16}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _key(row) -> Key:
    return Key(row.key_id, row.account_id, row.region, row.arn, row.description, row.key_usage, row.key_spec,
               row.key_manager, row.state, row.created_at, row.deletion_date, row.pending_window_days,
               row.rotation_enabled, row.policy, tuple(row.materials))


class KmsService:
    def __init__(self, store: MetadataStore, master_key: bytes, clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.store = store
        self._master = master_key
        self.clock = clock
        self._materials: dict[tuple[str, int], bytes] = {}
        self.grants = KeyGrants(store, clock)
        self._lock = threading.Lock()
        self.state_changed: list[Callable[[str], None]] = []  # by key id: caches of key states drop it

    # --- keys ------------------------------------------------------------------------------------

    def create_key(self, account_id: str, region: str, *, description: str = "", key_usage: str = "ENCRYPT_DECRYPT",
                   key_spec: str = "SYMMETRIC_DEFAULT", policy: str | None = None, tags: list | None = None,
                   key_manager: str = "CUSTOMER", key_id: str | None = None) -> Key:
        if key_spec != "SYMMETRIC_DEFAULT" or key_usage != "ENCRYPT_DECRYPT":
            raise ValidationException(f"KeySpec {key_spec} / KeyUsage {key_usage} is not supported by Sagecraft "
                                      "yet: only SYMMETRIC_DEFAULT keys for ENCRYPT_DECRYPT.")
        policy = policy or default_key_policy(account_id)
        self.check_policy(policy)
        key_id = key_id or str(uuid.uuid4())
        material = envelope.seal(self._master, envelope.new_key(), key_id.encode())
        with self.store.write() as db:
            db.execute(insert(kms_keys).values(
                key_id=key_id, account_id=account_id, region=region,
                arn=f"arn:aws:kms:{region}:{account_id}:key/{key_id}", description=description, key_usage=key_usage,
                key_spec=key_spec, key_manager=key_manager, state="Enabled", created_at=self.clock(),
                rotation_enabled=False, policy=policy, materials=[base64.b64encode(material).decode()],
                tags={t["TagKey"]: t["TagValue"] for t in tags or []} or None))
        return self.find(key_id)

    def find(self, key_id: str) -> Key:
        with self.store.read() as db:
            row = db.execute(select(kms_keys).where(kms_keys.c.key_id == key_id)).first()
        if row is None:
            raise NotFoundException(f"Key '{key_id}' does not exist")
        key = _key(row)
        if key.state == "PendingDeletion" and key.deletion_date and key.deletion_date <= self.clock():
            with self.store.write() as db:  # its waiting period is over: the key is gone for good
                db.execute(delete(kms_keys).where(kms_keys.c.key_id == key_id))
            raise NotFoundException(f"Key '{key.arn}' does not exist")
        return key

    def resolve(self, account_id: str, region: str, key_ref: str) -> Key:
        """A key by id, key ARN, alias name or alias ARN."""
        if key_ref.startswith("arn:") and ":alias/" in key_ref:
            key_ref = "alias/" + key_ref.split(":alias/", 1)[1]
        if key_ref.startswith("alias/"):
            with self.store.read() as db:
                row = db.execute(select(kms_aliases.c.target_key_id).where(
                    kms_aliases.c.account_id == account_id, kms_aliases.c.region == region,
                    kms_aliases.c.alias_name == key_ref)).first()
            if row is None:
                raise NotFoundException(f"Alias arn:aws:kms:{region}:{account_id}:{key_ref} is not found.")
            return self.find(row.target_key_id)
        key_id = key_ref.rsplit("key/", 1)[-1] if key_ref.startswith("arn:") else key_ref
        try:
            uuid.UUID(key_id)
        except ValueError:
            raise NotFoundException(f"Invalid keyId '{key_ref}'") from None
        key = self.find(key_id)
        if key.account_id != account_id:
            raise NotFoundException(f"Key '{key.arn}' does not exist")
        return key

    def list_keys(self, account_id: str, region: str) -> list[Key]:
        with self.store.read() as db:
            rows = db.execute(select(kms_keys).where(kms_keys.c.account_id == account_id,
                                                     kms_keys.c.region == region).order_by(kms_keys.c.created_at))
            return [_key(row) for row in rows]

    def set_state(self, key: Key, state: str, **values) -> Key:
        if key.state == "PendingDeletion" and state != "Disabled":
            raise KMSInvalidStateException(f"{key.arn} is pending deletion.")
        with self.store.write() as db:
            db.execute(update(kms_keys).where(kms_keys.c.key_id == key.key_id).values(state=state, **values))
        return self._changed(key)

    def _changed(self, key: Key) -> Key:
        for listener in self.state_changed:
            listener(key.key_id)
        return self.find(key.key_id)

    def schedule_deletion(self, key: Key, window_days: int | None) -> Key:
        window = 30 if window_days is None else window_days
        if not 7 <= window <= 30:
            raise ValidationException("PendingWindowInDays must be between 7 and 30.")
        if key.state == "PendingDeletion":
            raise KMSInvalidStateException(f"{key.arn} is pending deletion.")
        with self.store.write() as db:
            db.execute(update(kms_keys).where(kms_keys.c.key_id == key.key_id).values(
                state="PendingDeletion", deletion_date=self.clock() + dt.timedelta(days=window),
                pending_window_days=window))
        return self._changed(key)

    def cancel_deletion(self, key: Key) -> Key:
        if key.state != "PendingDeletion":
            raise KMSInvalidStateException(f"{key.arn} is not pending deletion.")
        with self.store.write() as db:  # KMS leaves a cancelled key Disabled
            db.execute(update(kms_keys).where(kms_keys.c.key_id == key.key_id).values(
                state="Disabled", deletion_date=None, pending_window_days=None))
        return self._changed(key)

    def set_rotation(self, key: Key, enabled: bool) -> None:
        self.check_usable(key)
        with self.store.write() as db:
            db.execute(update(kms_keys).where(kms_keys.c.key_id == key.key_id).values(rotation_enabled=enabled))

    def rotate(self, key: Key) -> Key:
        """New material for new encryptions; older ciphertexts still decrypt with theirs."""
        self.check_usable(key)
        material = envelope.seal(self._master, envelope.new_key(), key.key_id.encode())
        with self.store.write() as db:
            db.execute(update(kms_keys).where(kms_keys.c.key_id == key.key_id).values(
                materials=[*key.materials, base64.b64encode(material).decode()]))
        return self.find(key.key_id)

    def put_policy(self, key: Key, policy: str) -> None:
        self.check_policy(policy)
        with self.store.write() as db:
            db.execute(update(kms_keys).where(kms_keys.c.key_id == key.key_id).values(policy=policy))

    def aws_managed_key(self, account_id: str, region: str, service: str) -> Key:
        """The key ``aws/<service>`` (e.g. aws/s3), made on first use, as AWS does."""
        alias = f"alias/aws/{service}"
        with self._lock:
            try:
                key = self.resolve(account_id, region, alias)
            except NotFoundException:
                key = self.create_key(account_id, region, description=f"Default key that protects my {service} "
                                      "data when no other key is defined", key_manager="AWS",
                                      policy=aws_managed_key_policy(account_id, region, service))
                self._insert_alias(account_id, region, alias, key.key_id)
                return key
            if key.policy == default_key_policy(account_id):  # made before AWS's own policy was given
                self.put_policy(key, aws_managed_key_policy(account_id, region, service))
                key = self.find(key.key_id)
            return key

    # --- cryptography ----------------------------------------------------------------------------

    def encrypt(self, key: Key, plaintext: bytes, context: dict[str, str] | None = None) -> bytes:
        if not 1 <= len(plaintext) <= MAX_PLAINTEXT:
            raise ValidationException(f"Plaintext must be between 1 and {MAX_PLAINTEXT} bytes.")
        self.check_usable(key)
        index = len(key.materials) - 1
        sealed = envelope.seal(self._material(key, index), plaintext, associated_data(key.key_id, context))
        return Blob(key.key_id, index, sealed).encode()

    def decrypt(self, account_id: str, blob: bytes, context: dict[str, str] | None = None,
                expected_key: Key | None = None) -> tuple[Key, bytes]:
        parsed = Blob.decode(blob)
        key = self.find(parsed.key_id)
        if key.account_id != account_id:
            raise InvalidCiphertextException("The ciphertext refers to a key that is not in this account.")
        if expected_key is not None and expected_key.key_id != key.key_id:
            raise IncorrectKeyException("The key ID in the request does not identify the key that encrypted the "
                                        "ciphertext.")
        self.check_usable(key)
        if parsed.material_index >= len(key.materials):
            raise InvalidCiphertextException("The ciphertext is invalid.")
        try:
            return key, envelope.open_sealed(self._material(key, parsed.material_index), parsed.sealed,
                                             associated_data(key.key_id, context))
        except envelope.TamperedError:
            raise InvalidCiphertextException("The ciphertext or its encryption context does not match.") from None

    def generate_data_key(self, key: Key, context: dict[str, str] | None, number_of_bytes: int | None,
                          key_spec: str | None) -> tuple[bytes, bytes]:
        if (number_of_bytes is None) == (key_spec is None):
            raise ValidationException("Specify either KeySpec or NumberOfBytes, but not both.")
        size = number_of_bytes if number_of_bytes is not None else DATA_KEY_SPECS[key_spec]
        plaintext = secrets.token_bytes(size)
        return plaintext, self.encrypt(key, plaintext, context)

    def check_usable(self, key: Key) -> None:
        if key.state == "Disabled":
            raise DisabledException(f"{key.arn} is disabled.")
        if key.state == "PendingDeletion":
            raise KMSInvalidStateException(f"{key.arn} is pending deletion.")

    def _material(self, key: Key, index: int) -> bytes:
        cached = self._materials.get((key.key_id, index))
        if cached is None:
            wrapped = base64.b64decode(key.materials[index])
            cached = envelope.open_sealed(self._master, wrapped, key.key_id.encode())
            self._materials[(key.key_id, index)] = cached
        return cached

    def check_policy(self, policy: str) -> None:
        if len(policy) > 32768:
            raise MalformedPolicyDocumentException("The key policy exceeds 32 KB.")
        try:
            parse_policy(policy, "resource")
        except MalformedPolicyDocument as error:
            raise MalformedPolicyDocumentException(error.message) from None

    # --- aliases ----------------------------------------------------------------------

    def create_alias(self, account_id: str, region: str, alias: str, key: Key) -> None:
        if not ALIAS.match(alias) or alias.startswith("alias/aws/"):
            raise InvalidAliasNameException(f"Alias must start with alias/ and not alias/aws/: {alias}")
        if key.state == "PendingDeletion":
            raise KMSInvalidStateException(f"{key.arn} is pending deletion.")
        with self.store.read() as db:
            taken = db.execute(select(kms_aliases).where(
                kms_aliases.c.account_id == account_id, kms_aliases.c.region == region,
                kms_aliases.c.alias_name == alias)).first()
        if taken is not None:
            raise AlreadyExistsException(f"An alias with the name arn:aws:kms:{region}:{account_id}:{alias} "
                                         "already exists")
        self._insert_alias(account_id, region, alias, key.key_id)

    def _insert_alias(self, account_id: str, region: str, alias: str, key_id: str) -> None:
        with self.store.write() as db:
            db.execute(insert(kms_aliases).values(account_id=account_id, region=region, alias_name=alias,
                                                  target_key_id=key_id, created_at=self.clock()))

    def update_alias(self, account_id: str, region: str, alias: str, key: Key) -> None:
        self.resolve(account_id, region, alias)
        with self.store.write() as db:
            db.execute(update(kms_aliases).where(
                kms_aliases.c.account_id == account_id, kms_aliases.c.region == region,
                kms_aliases.c.alias_name == alias).values(target_key_id=key.key_id))

    def delete_alias(self, account_id: str, region: str, alias: str) -> None:
        self.resolve(account_id, region, alias)
        with self.store.write() as db:
            db.execute(delete(kms_aliases).where(
                kms_aliases.c.account_id == account_id, kms_aliases.c.region == region,
                kms_aliases.c.alias_name == alias))

    def aliases(self, account_id: str, region: str, key: Key | None = None) -> list[tuple[str, str, dt.datetime]]:
        query = select(kms_aliases).where(kms_aliases.c.account_id == account_id, kms_aliases.c.region == region)
        if key is not None:
            query = query.where(kms_aliases.c.target_key_id == key.key_id)
        with self.store.read() as db:
            rows = db.execute(query.order_by(kms_aliases.c.alias_name))
            return [(row.alias_name, row.target_key_id, row.created_at) for row in rows]
