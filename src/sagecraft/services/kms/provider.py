"""KMS on the wire (json 1.1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sagecraft.core.context import RequestContext
from sagecraft.services.kms.errors import MalformedPolicyDocumentException
from sagecraft.services.kms.models import Key
from sagecraft.services.kms.provider_grants import GrantOperations
from sagecraft.services.kms.service import KmsService

ENCRYPTION_ALGORITHM = "SYMMETRIC_DEFAULT"
PAGE = 100
# (the caller's request, the key's ARN, a key policy) → may the caller still call PutKeyPolicy under it?
PolicyLockout = Callable[[RequestContext, str, str], bool]


def _no_check(context: RequestContext, key_arn: str, policy: str) -> bool:
    return True


def key_metadata(key: Key) -> dict:
    metadata = {
        "AWSAccountId": key.account_id, "KeyId": key.key_id, "Arn": key.arn, "CreationDate": key.created_at,
        "Enabled": key.state == "Enabled", "Description": key.description, "KeyUsage": key.key_usage,
        "KeyState": key.state, "Origin": "AWS_KMS", "KeyManager": key.key_manager,
        "CustomerMasterKeySpec": key.key_spec, "KeySpec": key.key_spec,
        "EncryptionAlgorithms": [ENCRYPTION_ALGORITHM], "MultiRegion": False,
    }
    if key.deletion_date is not None:
        metadata["DeletionDate"] = key.deletion_date
        metadata["PendingDeletionWindowInDays"] = key.pending_window_days
    return metadata


def _page(items: list, params: dict, member: str) -> dict:
    start = int(params.get("Marker") or 0)
    limit = params.get("Limit", PAGE)
    out = {member: items[start:start + limit], "Truncated": start + limit < len(items)}
    if out["Truncated"]:
        out["NextMarker"] = str(start + limit)
    return out


class KmsProvider(GrantOperations):
    service_name = "kms"
    threaded_operations = frozenset({"CreateKey", "ScheduleKeyDeletion", "CreateAlias", "CreateGrant"})
    _page = staticmethod(_page)

    def __init__(self, service: KmsService, policy_lockout: PolicyLockout = _no_check) -> None:
        self.service = service
        self.policy_lockout = policy_lockout

    def _check_lockout(self, context: RequestContext, params: dict, key_arn: str) -> None:
        """AWS's lockout safety check: the new policy must let its author call PutKeyPolicy again."""
        self.service.check_policy(params["Policy"])  # malformed first
        if not params.get("BypassPolicyLockoutSafetyCheck") and not self.policy_lockout(
                context, key_arn, params["Policy"]):
            raise MalformedPolicyDocumentException(
                "The new key policy will not allow you to update the key policy in the future.")

    def _key(self, context: RequestContext, params: dict, member: str = "KeyId") -> Key:
        return self.service.resolve(context.account_id, context.region, params[member])

    def create_key(self, context: RequestContext, params: dict) -> dict:
        key_id = str(uuid.uuid4())
        if params.get("Policy"):
            self._check_lockout(context, params, f"arn:aws:kms:{context.region}:{context.account_id}:key/{key_id}")
        key = self.service.create_key(
            context.account_id, context.region, key_id=key_id, description=params.get("Description", ""),
            key_usage=params.get("KeyUsage", "ENCRYPT_DECRYPT"),
            key_spec=params.get("KeySpec") or params.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT",
            policy=params.get("Policy"), tags=params.get("Tags"))
        return {"KeyMetadata": key_metadata(key)}

    def describe_key(self, context: RequestContext, params: dict) -> dict:
        return {"KeyMetadata": key_metadata(self._key(context, params))}

    def list_keys(self, context: RequestContext, params: dict) -> dict:
        keys = [{"KeyId": k.key_id, "KeyArn": k.arn} for k in self.service.list_keys(context.account_id,
                                                                                        context.region)]
        return _page(keys, params, "Keys")

    def enable_key(self, context: RequestContext, params: dict) -> dict:
        self.service.set_state(self._key(context, params), "Enabled")
        return {}

    def disable_key(self, context: RequestContext, params: dict) -> dict:
        self.service.set_state(self._key(context, params), "Disabled")
        return {}

    def schedule_key_deletion(self, context: RequestContext, params: dict) -> dict:
        key = self.service.schedule_deletion(self._key(context, params), params.get("PendingWindowInDays"))
        return {"KeyId": key.arn, "DeletionDate": key.deletion_date, "KeyState": key.state,
                "PendingWindowInDays": key.pending_window_days}

    def cancel_key_deletion(self, context: RequestContext, params: dict) -> dict:
        return {"KeyId": self.service.cancel_deletion(self._key(context, params)).arn}

    def enable_key_rotation(self, context: RequestContext, params: dict) -> dict:
        self.service.set_rotation(self._key(context, params), True)
        return {}

    def disable_key_rotation(self, context: RequestContext, params: dict) -> dict:
        self.service.set_rotation(self._key(context, params), False)
        return {}

    def get_key_rotation_status(self, context: RequestContext, params: dict) -> dict:
        key = self._key(context, params)
        return {"KeyRotationEnabled": key.rotation_enabled, "KeyId": key.arn, "RotationPeriodInDays": 365}

    def rotate_key_on_demand(self, context: RequestContext, params: dict) -> dict:
        return {"KeyId": self.service.rotate(self._key(context, params)).arn}

    def get_key_policy(self, context: RequestContext, params: dict) -> dict:
        return {"Policy": self._key(context, params).policy, "PolicyName": "default"}

    def put_key_policy(self, context: RequestContext, params: dict) -> dict:
        key = self._key(context, params)
        self._check_lockout(context, params, key.arn)
        self.service.put_policy(key, params["Policy"])
        return {}

    def list_key_policies(self, context: RequestContext, params: dict) -> dict:
        self._key(context, params)
        return {"PolicyNames": ["default"], "Truncated": False}

    # --- cryptography ----------------------------------------------------------------------------

    def encrypt(self, context: RequestContext, params: dict) -> dict:
        key = self._key(context, params)
        blob = self.service.encrypt(key, params["Plaintext"], params.get("EncryptionContext"))
        return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": ENCRYPTION_ALGORITHM}

    def decrypt(self, context: RequestContext, params: dict) -> dict:
        expected = self._key(context, params) if params.get("KeyId") else None
        key, plaintext = self.service.decrypt(context.account_id, params["CiphertextBlob"],
                                              params.get("EncryptionContext"), expected)
        return {"KeyId": key.arn, "Plaintext": plaintext, "EncryptionAlgorithm": ENCRYPTION_ALGORITHM}

    def re_encrypt(self, context: RequestContext, params: dict) -> dict:
        expected = self._key(context, params, "SourceKeyId") if params.get("SourceKeyId") else None
        source, plaintext = self.service.decrypt(context.account_id, params["CiphertextBlob"],
                                                 params.get("SourceEncryptionContext"), expected)
        destination = self._key(context, params, "DestinationKeyId")
        blob = self.service.encrypt(destination, plaintext, params.get("DestinationEncryptionContext"))
        return {"CiphertextBlob": blob, "SourceKeyId": source.arn, "KeyId": destination.arn,
                "SourceEncryptionAlgorithm": ENCRYPTION_ALGORITHM,
                "DestinationEncryptionAlgorithm": ENCRYPTION_ALGORITHM}

    def generate_data_key(self, context: RequestContext, params: dict) -> dict:
        key = self._key(context, params)
        plaintext, blob = self.service.generate_data_key(key, params.get("EncryptionContext"),
                                                         params.get("NumberOfBytes"), params.get("KeySpec"))
        return {"CiphertextBlob": blob, "Plaintext": plaintext, "KeyId": key.arn}

    def generate_data_key_without_plaintext(self, context: RequestContext, params: dict) -> dict:
        output = self.generate_data_key(context, params)
        del output["Plaintext"]
        return output

    # --- aliases ----------------------------------------------------------------------

    def create_alias(self, context: RequestContext, params: dict) -> dict:
        key = self._key(context, params, "TargetKeyId")
        self.service.create_alias(context.account_id, context.region, params["AliasName"], key)
        return {}

    def update_alias(self, context: RequestContext, params: dict) -> dict:
        key = self._key(context, params, "TargetKeyId")
        self.service.update_alias(context.account_id, context.region, params["AliasName"], key)
        return {}

    def delete_alias(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_alias(context.account_id, context.region, params["AliasName"])
        return {}

    def list_aliases(self, context: RequestContext, params: dict) -> dict:
        key = self._key(context, params) if params.get("KeyId") else None
        prefix = f"arn:aws:kms:{context.region}:{context.account_id}:"
        aliases = [{"AliasName": name, "AliasArn": prefix + name, "TargetKeyId": target, "CreationDate": created}
                   for name, target, created in self.service.aliases(context.account_id, context.region, key)]
        return _page(aliases, params, "Aliases")
