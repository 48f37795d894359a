"""The composition root: the only place that picks concrete backends and wires capabilities."""

from __future__ import annotations

from dataclasses import dataclass

from sagecraft import __version__
from sagecraft.config.settings import Settings
from sagecraft.core.context import Principal
from sagecraft.gateway.app import Gateway
from sagecraft.security.admin_key import ensure_admin_key
from sagecraft.security.credentials import ChainedCredentials, Credential, StaticCredentials
from sagecraft.server.hosting import hosting_providers
from sagecraft.server.jobs import jobs_provider
from sagecraft.server.sagemaker import SageMakerProviders
from sagecraft.server.tuning import tuning_provider
from sagecraft.services.cloudwatch.provider import CloudWatchProvider
from sagecraft.services.cloudwatch.service import CloudWatchService
from sagecraft.services.logs.provider import LogsProvider
from sagecraft.services.logs.service import LogsService
from sagecraft.services.s3.provider import S3Provider
from sagecraft.services.sts.credentials import TemporaryCredentialStore
from sagecraft.services.sts.provider import StsProvider
from sagecraft.services.sts.service import StsService
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.factory import open_object_store


@dataclass
class Application:
    settings: Settings
    gateway: Gateway
    closers: list

    def close(self) -> None:
        for close in reversed(self.closers):
            close()


def admin_credential(settings: Settings) -> Credential:
    key_id, secret = ensure_admin_key(settings.credentials_file)
    principal = Principal(
        access_key_id=key_id,
        arn=f"arn:aws:iam::{settings.account_id}:root",
        user_id=settings.account_id,
        account_id=settings.account_id,
    )
    return Credential(key_id, secret, principal)


def build(settings: Settings) -> Application:
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.spool_dir.mkdir(parents=True, exist_ok=True)
    closers: list = []
    providers: dict[str, object] = {}
    credential_stores: list = [StaticCredentials([admin_credential(settings)])]
    # Capabilities register their providers here (see each services/<capability>/provider.py).
    objects = open_object_store(settings.object_store, spool_dir=settings.spool_dir)
    providers["s3"] = s3 = S3Provider(objects, settings.account_id)
    closers.append(s3.close)
    # Opening upgrades the schema to head; Settings built by hand may leave the URL empty.
    metadata = MetadataStore.open(settings.database_url or f"sqlite:///{settings.home / 'metadata.sqlite3'}")
    closers.append(metadata.close)
    sts = StsService(metadata, settings.account_id)
    providers["sts"] = StsProvider(sts)
    credential_stores.append(TemporaryCredentialStore(sts))  # AssumeRole's keys
    logs = LogsService(metadata)
    providers["logs"] = LogsProvider(logs)
    cloudwatch = CloudWatchService(metadata)  # the jobs service records training metrics through it
    providers["cloudwatch"] = CloudWatchProvider(cloudwatch)
    jobs = jobs_provider(settings, metadata, objects, logs, sts, cloudwatch, closers)
    hosting, runtime = hosting_providers(settings, metadata, objects, logs, closers)
    tuning = tuning_provider(metadata, jobs.service, closers)
    providers["sagemaker"] = SageMakerProviders(jobs, hosting, tuning)
    providers["sagemaker-runtime"] = runtime
    gateway = Gateway(
        providers,
        ChainedCredentials(credential_stores),
        spool_dir=str(settings.spool_dir),
        version=__version__,
        account_id=settings.account_id,
    )
    return Application(settings, gateway, closers)
