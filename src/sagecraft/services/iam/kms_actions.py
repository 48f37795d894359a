"""What a KMS request asks for: the action on the key (ReEncrypt is two: ``kms:ReEncryptFrom`` on the
key that encrypted the ciphertext and ``kms:ReEncryptTo`` on the destination key), and KMS's
condition keys — ``kms:CallerAccount``, ``kms:EncryptionContext:<key>`` / ``kms:EncryptionContextKeys``
(the request's encryption context; for CreateGrant, its grant constraint), ``kms:GrantOperations``,
``kms:GranteePrincipal``, ``kms:RetiringPrincipal``, ``kms:GrantConstraintType``. ``kms:ViaService``
is added by the authorizer when a service (S3) uses the key on its caller's behalf."""

from __future__ import annotations

from typing import Any

from sagecraft.services.kms.models import key_id_of

ACCOUNT_WIDE = frozenset({"CreateKey", "ListKeys", "ListAliases", "ListRetirableGrants", "GenerateRandom"})


def _key_arn(key: str, region: str, account: str) -> str:
    if not key or key.startswith("arn:"):
        return key or "*"
    return f"arn:aws:kms:{region}:{account}:{'' if key.startswith('alias/') else 'key/'}{key}"


def _encryption_context(context: Any) -> dict[str, list[str]]:
    if not isinstance(context, dict) or not context:
        return {}
    keys = {f"kms:encryptioncontext:{name.lower()}": [str(value)] for name, value in context.items()}
    keys["kms:encryptioncontextkeys"] = list(context)
    return keys


def _grant_context(params: dict) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {"kms:grantoperations": list(params.get("Operations") or [])}
    for member, name in (("GranteePrincipal", "kms:granteeprincipal"), ("RetiringPrincipal", "kms:retiringprincipal")):
        if params.get(member):
            keys[name] = [params[member]]
    keys["kms:grantisforawsresource"] = ["false"]
    constraints = {kind: pairs for kind, pairs in (params.get("Constraints") or {}).items() if pairs}
    if constraints:
        keys["kms:grantconstrainttype"] = list(constraints)
        for pairs in constraints.values():
            keys.update(_encryption_context(pairs))
    return keys


def kms_checks(operation: str, params: dict, region: str, account: str) -> list[tuple[str, str, dict]]:
    """(action, resource, context) of each check a KMS request needs; [] for RetireGrant, which the
    grant itself authorizes."""
    if operation == "RetireGrant":
        return []
    base = {"kms:calleraccount": [account]}
    if operation in ACCOUNT_WIDE:
        return [(f"kms:{operation}", "*", base)]
    if operation == "ReEncrypt":
        source = params.get("SourceKeyId") or key_id_of(params.get("CiphertextBlob")) or ""
        return [
            (
                "kms:ReEncryptFrom",
                _key_arn(source, region, account),
                {**base, **_encryption_context(params.get("SourceEncryptionContext"))},
            ),
            (
                "kms:ReEncryptTo",
                _key_arn(params.get("DestinationKeyId") or "", region, account),
                {**base, **_encryption_context(params.get("DestinationEncryptionContext"))},
            ),
        ]
    key = params.get("KeyId") or params.get("TargetKeyId") or ""
    if not key and operation == "Decrypt":  # the key the ciphertext names
        key = key_id_of(params.get("CiphertextBlob")) or ""
    context = {**base, **_encryption_context(params.get("EncryptionContext"))}
    if operation == "CreateGrant":
        context.update(_grant_context(params))
    return [(f"kms:{operation}", _key_arn(key, region, account), context)]
