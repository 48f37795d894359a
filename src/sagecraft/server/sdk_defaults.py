"""The SageMaker Python SDK defaults file the server writes under its home at start.

``sagecraft env`` points ``SAGEMAKER_USER_CONFIG_OVERRIDE`` at it so an unmodified SDK script
works: with a ``DefaultS3Bucket`` the SDK never asks STS for the account (it would ask the real
``sts.<region>.amazonaws.com``, whose endpoint it hard-codes), and ``TelemetryOptOut`` stops its
calls home after ``fit()``, pipelines and the like."""

from __future__ import annotations

import os

import yaml

from sagecraft.config.settings import DEFAULT_REGION, Settings, default_bucket_name

_HEADER = (
    "# Written by Sagecraft at server start; `sagecraft env` exports SAGEMAKER_USER_CONFIG_OVERRIDE\n"
    "# pointing here. Rewritten at every start: put your own defaults in another file.\n"
)


def sdk_defaults(account_id: str, region: str = DEFAULT_REGION) -> dict:
    return {
        "SchemaVersion": "1.0",
        "SageMaker": {
            "PythonSDK": {
                "Modules": {
                    "TelemetryOptOut": True,
                    "Session": {"DefaultS3Bucket": default_bucket_name(region, account_id)},
                }
            }
        },
    }


def write_sdk_defaults(settings: Settings) -> None:
    text = _HEADER + yaml.safe_dump(sdk_defaults(settings.account_id), sort_keys=False)
    path = settings.sdk_config_file
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(text)
    os.replace(temporary, path)
