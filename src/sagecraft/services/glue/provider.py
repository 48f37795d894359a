"""AWS Glue Data Catalog on the wire (json 1.1): databases, tables, partitions."""

from __future__ import annotations

import re

from sagecraft.core.context import RequestContext
from sagecraft.services.glue.service import GlueService


class GlueProvider:
    service_name = "glue"
    threaded_operations = frozenset(
        {
            "CreateDatabase",
            "GetDatabase",
            "GetDatabases",
            "DeleteDatabase",
            "CreateTable",
            "GetTable",
            "GetTables",
            "DeleteTable",
            "GetPartitions",
        }
    )

    def __init__(self, service: GlueService) -> None:
        self.service = service

    def create_database(self, context: RequestContext, params: dict) -> dict:
        database = params["DatabaseInput"]
        self.service.create_database(context.account_id, context.region, database["Name"], database.get("Description"))
        return {}

    def get_database(self, context: RequestContext, params: dict) -> dict:
        return {"Database": self.service.get_database(context.account_id, context.region, params["Name"])}

    def get_databases(self, context: RequestContext, params: dict) -> dict:
        return {"DatabaseList": self.service.get_databases(context.account_id, context.region)}

    def delete_database(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_database(context.account_id, context.region, params["Name"])
        return {}

    def create_table(self, context: RequestContext, params: dict) -> dict:
        self.service.create_table(context.account_id, context.region, params["DatabaseName"], params["TableInput"])
        return {}

    def get_table(self, context: RequestContext, params: dict) -> dict:
        return {
            "Table": self.service.get_table(context.account_id, context.region, params["DatabaseName"], params["Name"])
        }

    def get_tables(self, context: RequestContext, params: dict) -> dict:
        found = self.service.get_tables(context.account_id, context.region, params["DatabaseName"])
        pattern = params.get("Expression")
        if pattern:
            found = [t for t in found if re.fullmatch(pattern.replace("*", ".*"), t["Name"])]
        return {"TableList": found}

    def delete_table(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_table(context.account_id, context.region, params["DatabaseName"], params["Name"])
        return {}

    def get_partitions(self, context: RequestContext, params: dict) -> dict:
        return {
            "Partitions": self.service.get_partitions(
                context.account_id, context.region, params["DatabaseName"], params["TableName"]
            )
        }
