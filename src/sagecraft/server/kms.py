"""Wiring of KMS: the master key from the home, the service and its provider."""

from __future__ import annotations

from sagecraft.config.settings import Settings
from sagecraft.security.envelope import load_master_key
from sagecraft.services.kms.provider import KmsProvider
from sagecraft.services.kms.service import KmsService
from sagecraft.storage.metadata import MetadataStore


def kms_provider(settings: Settings, metadata: MetadataStore) -> KmsProvider:
    return KmsProvider(KmsService(metadata, load_master_key(settings.home / "kms-master.key")))
