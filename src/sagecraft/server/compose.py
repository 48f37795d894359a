"""The composition root: the only place that picks concrete backends and wires capabilities."""

from __future__ import annotations

from dataclasses import dataclass

from sagecraft import __version__
from sagecraft.config.settings import Settings
from sagecraft.core.context import Principal
from sagecraft.gateway.app import Gateway
from sagecraft.security.admin_key import ensure_admin_key
from sagecraft.security.credentials import ChainedCredentials, Credential, StaticCredentials
from sagecraft.server.autoscaling import autoscaling_provider
from sagecraft.server.cloudtrail import audit_trail
from sagecraft.server.experiments import experiments_providers
from sagecraft.server.featurestore import featurestore_providers
from sagecraft.server.hosting import hosting_providers
from sagecraft.server.iam import first_policy, iam_wiring, sagemaker_tags
from sagecraft.server.jobs import jobs_provider
from sagecraft.server.kms import connect_kms, encrypted_objects, kms_wiring, s3_key_access
from sagecraft.server.monitoring import RUN_ROUTE, monitoring_provider, run_route
from sagecraft.server.pipelines import pipelines_provider
from sagecraft.server.registry import registry_provider
from sagecraft.server.sagemaker import SageMakerProviders
from sagecraft.server.transform import transform_provider
from sagecraft.server.tuning import tuning_provider
from sagecraft.services.cloudwatch.provider import CloudWatchProvider
from sagecraft.services.cloudwatch.service import CloudWatchService
from sagecraft.services.logs.provider import LogsProvider
from sagecraft.services.logs.service import LogsService
from sagecraft.services.registry.policies import GroupPolicies
from sagecraft.services.s3.bucket_encryption import BucketEncryption
from sagecraft.services.s3.bucket_policies import BucketPolicies
from sagecraft.services.s3.provider import S3Provider
from sagecraft.services.search.provider import SearchProvider
from sagecraft.services.search.registry import SearchRegistry
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
    admin = admin_credential(settings)
    credential_stores: list = [StaticCredentials([admin])]
    # Capabilities register their providers here (see each services/<capability>/provider.py).
    # Opening upgrades the schema to head; Settings built by hand may leave the URL empty.
    metadata = MetadataStore.open(settings.database_url or f"sqlite:///{settings.home / 'metadata.sqlite3'}")
    closers.append(metadata.close)
    kms = kms_wiring(settings, metadata)
    bucket_encryption = BucketEncryption(metadata)
    # Every reader and writer gets plaintext; objects written with encryption are stored sealed.
    objects = encrypted_objects(open_object_store(settings.object_store, spool_dir=settings.spool_dir), kms.keyring,
                                bucket_encryption, settings)
    bucket_policies = BucketPolicies(metadata)
    providers["s3"] = s3 = S3Provider(objects, settings.account_id, bucket_policies, bucket_encryption,
                                      s3_key_access(kms.keyring, lambda: iam.authorizer))
    closers.append(s3.close)
    sts = StsService(metadata, settings.account_id)
    providers["sts"] = StsProvider(sts)
    credential_stores.append(TemporaryCredentialStore(sts))  # AssumeRole's keys
    resource_policies = first_policy(bucket_policies.for_resource, kms.key_policies.for_resource,
                                     lambda arn: GroupPolicies(registry.service).for_resource(arn))  # bound late
    iam = iam_wiring(metadata, sts, resource_policies, sagemaker_tags(lambda: providers["sagemaker"], admin.principal))
    connect_kms(kms, iam.authorizer)  # grants enforced; the key policy lockout safety check
    providers["iam"] = iam.provider
    credential_stores.append(iam.credentials)  # IAM users' access keys
    providers["kms"] = kms.provider
    providers["cloudtrail"], audit = audit_trail(settings, closers)
    logs = LogsService(metadata)
    providers["logs"] = LogsProvider(logs)
    cloudwatch = CloudWatchService(metadata)  # the jobs service records training metrics through it
    providers["cloudwatch"] = CloudWatchProvider(cloudwatch)
    jobs = jobs_provider(settings, metadata, objects, logs, sts, cloudwatch, closers)
    # CreateModel with Containers[].ModelPackageName runs the registry's package (bound late: built below).
    hosting, runtime = hosting_providers(settings, metadata, objects, logs, closers, metrics_sink=cloudwatch,
                                         package_resolver=lambda name: registry.service.containers_for(name))
    tuning = tuning_provider(metadata, jobs.service, closers)
    transform = transform_provider(settings, metadata, objects, logs, hosting.service, closers)
    search = SearchRegistry()  # Search's resources: each capability registers its searchers here
    registry = registry_provider(metadata, logs, lambda: providers["sagemaker"], search)
    experiments = experiments_providers(metadata, jobs.service, search)  # jobs become trial components
    providers["sagemaker-metrics"] = experiments.metrics
    pipelines = pipelines_provider(settings, metadata, objects, lambda: providers["sagemaker"], closers)
    features = featurestore_providers(settings, metadata, objects, closers, search, kms.provider.service)
    monitoring = monitoring_provider(metadata, jobs.service, objects, lambda: providers["sagemaker"], closers)
    providers["sagemaker-featurestore-runtime"] = features.runtime
    providers["glue"] = features.glue
    providers["athena"] = features.athena
    providers["sagemaker"] = SageMakerProviders(jobs, hosting, tuning, registry, SearchProvider(search),
                                                  features.control, transform, pipelines, experiments.control,
                                                  experiments.lineage, monitoring)
    providers["sagemaker-runtime"] = runtime
    # Scales endpoint variants through the composite, reading the invocation metrics hosting records.
    providers["application-autoscaling"] = autoscaling_provider(metadata, cloudwatch, lambda: providers["sagemaker"],
                                                                closers)
    gateway = Gateway(
        providers,
        ChainedCredentials(credential_stores),
        spool_dir=str(settings.spool_dir),
        version=__version__,
        account_id=settings.account_id,
        authorizer=iam.authorizer,
        audit=audit,
        internal_routes={RUN_ROUTE: run_route(monitoring, admin)},  # sagecraft monitor run
    )
    return Application(settings, gateway, closers)
