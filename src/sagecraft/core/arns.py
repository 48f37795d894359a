"""ARNs in AWS format."""

from __future__ import annotations


def arn(service: str, region: str, account_id: str, resource: str, partition: str = "aws") -> str:
    return f"arn:{partition}:{service}:{region}:{account_id}:{resource}"


def parse_arn(value: str) -> dict[str, str]:
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {value}")
    return dict(zip(("arn", "partition", "service", "region", "account_id", "resource"), parts, strict=True))
