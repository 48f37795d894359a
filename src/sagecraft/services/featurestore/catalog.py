"""The Glue table SageMaker creates for a feature group's offline store (TableFormat Glue), and the
Iceberg table it creates instead for TableFormat Iceberg."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sagecraft.services.featurestore.models import FeatureGroup

if TYPE_CHECKING:  # pyiceberg costs most of a second to import: only Iceberg groups load it
    from pyiceberg.partitioning import PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.types import IcebergType

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


# --- TableFormat Iceberg ---------------------------------------------------------------------------
EVENT_TIME_TRUNCATE = 10  # an ISO-8601 event time cut to yyyy-MM-dd: SageMaker's daily partitions


def is_iceberg(group: FeatureGroup) -> bool:
    return (group.offline_config or {}).get("TableFormat") == "Iceberg"


def iceberg_type(definition: dict[str, Any]) -> IcebergType:
    from pyiceberg.types import DoubleType, LongType, StringType

    return {"Integral": LongType(), "Fractional": DoubleType(), "String": StringType()}[definition["FeatureType"]]


def iceberg_schema(group: FeatureGroup) -> Schema:
    """The features (their own names) and the offline store's system columns, all optional."""
    from pyiceberg.schema import Schema
    from pyiceberg.types import BooleanType, NestedField, TimestampType

    fields = [
        NestedField(number, d["FeatureName"], iceberg_type(d), required=False)
        for number, d in enumerate(group.feature_definitions, start=1)
    ]
    system = [("write_time", TimestampType()), ("api_invocation_time", TimestampType()), ("is_deleted", BooleanType())]
    fields += [
        NestedField(len(fields) + number, name, kind, required=False) for number, (name, kind) in enumerate(system, 1)
    ]
    return Schema(*fields)


def iceberg_partition_spec(group: FeatureGroup, schema: Schema) -> PartitionSpec:
    """Daily partitions of the (String) event time: ``<EventTimeFeature>_trunc=yyyy-MM-dd``."""
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import TruncateTransform

    source = schema.find_field(group.event_time_feature)
    return PartitionSpec(
        PartitionField(
            source_id=source.field_id,
            field_id=1000,
            transform=TruncateTransform(EVENT_TIME_TRUNCATE),
            name=f"{group.event_time_feature}_trunc",
        )
    )


def iceberg_table_input(group: FeatureGroup) -> dict[str, Any]:
    """The Glue entry; the Iceberg table lives at the folder holding ``data/`` and ``metadata/``."""
    return {
        "Name": group.offline_config["DataCatalogConfig"]["TableName"],
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"sagemaker_feature_group": group.name},
        "StorageDescriptor": {"Location": group.resolved_output_uri.removesuffix("/data")},
    }
