"""``sagecraft features``: the feature groups of the running server, and one record online.

Everything goes through the server's API with boto3, as any client would: ListFeatureGroups,
DescribeFeatureGroup and the feature store runtime's GetRecord."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Feature groups of the running server.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True, highlight=False, width=None if sys.stdout.isatty() else 200)

HomeOption = Annotated[
    str | None, typer.Option("--home", help="The server's home (default $SAGECRAFT_HOME, else ~/.sagecraft).")
]
RegionOption = Annotated[str | None, typer.Option(help="AWS region (default us-east-1).")]
STYLES = {"Created": "green", "CreateFailed": "red", "Creating": "cyan", "Deleting": "yellow"}


def _session(home: str | None, region: str | None):
    from sagecraft.client import NoServerRunning, boto3_session

    try:
        return boto3_session(home, region)
    except NoServerRunning as error:
        console.print(f"[red]✗[/] {error}", highlight=False)
        raise typer.Exit(1) from None


@app.command("ls")
def list_feature_groups(
    home: HomeOption = None,
    region: RegionOption = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
) -> None:
    """List feature groups, newest first, with their stores."""
    sm = _session(home, region).client("sagemaker")
    summaries: list[dict[str, Any]] = []
    for page in sm.get_paginator("list_feature_groups").paginate(
        SortBy="CreationTime", SortOrder="Descending", PaginationConfig={"MaxItems": limit}
    ):
        summaries += page["FeatureGroupSummaries"]
    if not summaries:
        console.print("No feature groups yet.")
        return
    table = Table(title="Feature groups", title_justify="left")
    for column in ("Name", "Status", "Features", "Online", "Offline table", "Created"):
        table.add_column(column)
    for summary in summaries:
        described = sm.describe_feature_group(FeatureGroupName=summary["FeatureGroupName"])
        online = described.get("OnlineStoreConfig", {}).get("EnableOnlineStore", False)
        catalog = described.get("OfflineStoreConfig", {}).get("DataCatalogConfig")
        status = described["FeatureGroupStatus"]
        table.add_row(
            described["FeatureGroupName"],
            f"[{STYLES.get(status, 'white')}]{status}[/]",
            str(len(described["FeatureDefinitions"])),
            f"yes ({described.get('OnlineStoreTotalSizeBytes', 0)} B)" if online else "no",
            f"{catalog['Database']}.{catalog['TableName']}" if catalog else "-",
            described["CreationTime"].strftime("%Y-%m-%d %H:%M:%S"),
        )
    out.print(table)


@app.command("get")
def get_record(
    group: Annotated[str, typer.Argument(help="Feature group name.")],
    record_id: Annotated[str, typer.Argument(help="Record identifier value.")],
    home: HomeOption = None,
    region: RegionOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
) -> None:
    """Show one record from a feature group's online store."""
    from botocore.exceptions import ClientError

    runtime = _session(home, region).client("sagemaker-featurestore-runtime")
    try:
        found = runtime.get_record(
            FeatureGroupName=group, RecordIdentifierValueAsString=record_id, ExpirationTimeResponse="Enabled"
        )
    except ClientError as error:
        console.print(f"[red]✗[/] {error.response['Error']['Message']}", highlight=False)
        raise typer.Exit(1) from None
    if "Record" not in found:
        console.print(f"No record {record_id!r} in {group}.", highlight=False)
        raise typer.Exit(1)
    values = {f["FeatureName"]: f.get("ValueAsString", f.get("ValueAsStringList")) for f in found["Record"]}
    if as_json:
        out.print(json.dumps(values))
        return
    table = Table(title=f"{group} / {record_id}", title_justify="left")
    table.add_column("Feature")
    table.add_column("Value")
    for name, value in values.items():
        table.add_row(name, value if isinstance(value, str) else json.dumps(value))
    if found.get("ExpiresAt"):
        table.caption = f"expires at {found['ExpiresAt']}"
    out.print(table)
