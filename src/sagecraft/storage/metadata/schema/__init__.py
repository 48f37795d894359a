"""Every table of the metadata store, in one MetaData (the migrations' target).

Lifecycle fields are columns; nested configuration blocks are JSON. The tables live in one module per
family (platform, jobs, hosting, experiments, featurestore) on the MetaData of ``base``; all are
re-exported here. A capability that needs tables adds them to its family's module, re-exports them
here, *and* writes a new migration under ``migrations/versions`` (see docs/metadata.md); a unit test
checks that the migrations at head produce exactly this schema."""

from __future__ import annotations

from sagecraft.storage.metadata.schema.base import NAMING_CONVENTION, BigId, UtcDateTime, metadata, name_column
from sagecraft.storage.metadata.schema.experiments import (
    experiment_metric_points,
    experiment_metric_summaries,
    experiment_trial_component_links,
    experiment_trial_components,
    experiment_trials,
    experiments,
    lineage_associations,
    lineage_entities,
)
from sagecraft.storage.metadata.schema.featurestore import (
    athena_queries,
    feature_groups,
    glue_databases,
    glue_tables,
)
from sagecraft.storage.metadata.schema.hosting import (
    hosting_resources,
    model_package_groups,
    model_packages,
    monitoring_executions,
    monitoring_job_definitions,
    monitoring_schedules,
    scalable_targets,
    scaling_activities,
    scaling_policies,
)
from sagecraft.storage.metadata.schema.jobs import (
    jobs,
    pipeline_executions,
    pipeline_steps,
    pipelines,
    transform_jobs,
    tuning_jobs,
)
from sagecraft.storage.metadata.schema.platform import (
    cloudwatch_datapoints,
    cloudwatch_metric_dimensions,
    cloudwatch_metrics,
    iam_access_keys,
    iam_attachments,
    iam_group_members,
    iam_inline_policies,
    iam_policies,
    iam_policy_versions,
    iam_principals,
    kms_aliases,
    kms_grants,
    kms_keys,
    log_events,
    log_groups,
    log_streams,
    s3_bucket_encryption,
    s3_bucket_policies,
    sts_credentials,
)

__all__ = [
    "NAMING_CONVENTION",
    "BigId",
    "UtcDateTime",
    "athena_queries",
    "cloudwatch_datapoints",
    "cloudwatch_metric_dimensions",
    "cloudwatch_metrics",
    "experiment_metric_points",
    "experiment_metric_summaries",
    "experiment_trial_component_links",
    "experiment_trial_components",
    "experiment_trials",
    "experiments",
    "feature_groups",
    "glue_databases",
    "glue_tables",
    "hosting_resources",
    "iam_access_keys",
    "iam_attachments",
    "iam_group_members",
    "iam_inline_policies",
    "iam_policies",
    "iam_policy_versions",
    "iam_principals",
    "jobs",
    "kms_aliases",
    "kms_grants",
    "kms_keys",
    "lineage_associations",
    "lineage_entities",
    "log_events",
    "log_groups",
    "log_streams",
    "metadata",
    "model_package_groups",
    "model_packages",
    "monitoring_executions",
    "monitoring_job_definitions",
    "monitoring_schedules",
    "name_column",
    "pipeline_executions",
    "pipeline_steps",
    "pipelines",
    "s3_bucket_encryption",
    "s3_bucket_policies",
    "scalable_targets",
    "scaling_activities",
    "scaling_policies",
    "sts_credentials",
    "transform_jobs",
    "tuning_jobs",
]
