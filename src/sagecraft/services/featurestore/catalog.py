"""The Glue table SageMaker creates for a feature group's offline store."""

from __future__ import annotations

from typing import Any

from sagecraft.services.featurestore.models import FeatureGroup

GLUE_TYPES = {"Integral": "bigint", "Fractional": "double", "String": "string"}
PARTITION_KEYS = ("year", "month", "day", "hour")


def glue_type(definition: dict[str, Any]) -> str:
    base = GLUE_TYPES[definition["FeatureType"]]
    return f"array<{base}>" if definition.get("CollectionType") else base


def table_input(group: FeatureGroup) -> dict[str, Any]:
    columns = [{"Name": d["FeatureName"].lower(), "Type": glue_type(d)} for d in group.feature_definitions]
    columns += [
        {"Name": "write_time", "Type": "timestamp"},
        {"Name": "api_invocation_time", "Type": "timestamp"},
        {"Name": "is_deleted", "Type": "boolean"},
    ]
    return {
        "Name": group.offline_config["DataCatalogConfig"]["TableName"],
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE", "sagemaker_feature_group": group.name},
        "PartitionKeys": [{"Name": key, "Type": "string"} for key in PARTITION_KEYS],
        "StorageDescriptor": {
            "Columns": columns,
            "Location": group.resolved_output_uri,
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                "Parameters": {"serialization.format": "1"},
            },
            "Compressed": False,
        },
    }
