"""The registry's searchers for ``Search`` (Resource ModelPackageGroup and ModelPackage)."""

from __future__ import annotations

from typing import Any

from sagecraft.services.registry.provider import describe_group, describe_package
from sagecraft.services.registry.service import RegistryService


class RegistrySearchers:
    def __init__(self, service: RegistryService) -> None:
        self.service = service

    def groups(self, context: Any, params: dict) -> list[dict]:
        return [{**describe_group(g), "Tags": g.tags}
                for g in self.service.list_groups(context.account_id, context.region)]

    def packages(self, context: Any, params: dict) -> list[dict]:
        return [{**describe_package(p), "Tags": p.tags}
                for p in self.service.list_packages(context.account_id, context.region)]
