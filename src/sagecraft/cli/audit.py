"""``sagecraft audit tail``: the server's audit trail (one CloudTrail event per call), newest last.

It reads the trail file under the home directly: the trail is the record of what the server did, and
reading it must not depend on the server running or on anyone's permissions."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sagecraft.config.settings import Settings

app = typer.Typer(help="The audit trail of every API call.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True, highlight=False, width=None if sys.stdout.isatty() else 200)

HomeOption = Annotated[str | None, typer.Option("--home", help="The server's home (default $SAGECRAFT_HOME, "
                                                 "else ~/.sagecraft).")]


def _line(event: dict) -> str:
    identity = event.get("userIdentity", {})
    who = identity.get("userName") or identity.get("arn", "?")
    outcome = f"[red]{event['errorCode']}[/]" if event.get("errorCode") else "[green]ok[/]"
    source = event.get("eventSource", "").removesuffix(".amazonaws.com")
    return (f"{event.get('eventTime', '')}  {who:<24} {source}:{event.get('eventName', '')}  {outcome}  "
            f"[dim]{event.get('sourceIPAddress', '')} {event.get('requestID', '')}[/]")


def _print(raw: str, as_json: bool) -> None:
    try:
        event = json.loads(raw)
    except json.JSONDecodeError:
        return  # a line being written
    if as_json:
        print(raw.rstrip("\n"))
    else:
        out.print(_line(event))


@app.command()
def tail(home: HomeOption = None,
         lines: Annotated[int, typer.Option("-n", "--lines", help="How many recent calls to show.")] = 20,
         follow: Annotated[bool, typer.Option("-f", "--follow", help="Keep printing new calls.")] = False,
         as_json: Annotated[bool, typer.Option("--json", help="Print the raw CloudTrail events.")] = False) -> None:
    """Show the most recent calls: who, what, allowed or the error."""
    path = Path(Settings.load(home).home) / "audit" / "trail.jsonl"
    if not path.exists():
        console.print(f"[yellow]![/] No audit trail at {path} yet: it appears once the server answers a call.")
        raise typer.Exit(0)
    with path.open(encoding="utf-8") as handle:
        for raw in handle.readlines()[-lines:] if lines > 0 else []:
            _print(raw, as_json)
        while follow:
            raw = handle.readline()
            if raw.endswith("\n"):
                _print(raw, as_json)
            else:
                time.sleep(0.2)
