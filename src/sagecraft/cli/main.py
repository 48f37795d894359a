"""The ``sagecraft`` command."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from sagecraft.config.settings import DEFAULT_HOST, DEFAULT_PORT, Settings

app = typer.Typer(help="Sagecraft: SageMaker workflows on your own machine.", no_args_is_help=True,
                  add_completion=False)
console = Console(stderr=True)

HomeOption = Annotated[str | None, typer.Option("--home", help="Where the server keeps everything "
                                                 "(default $SAGECRAFT_HOME, else ~/.sagecraft).")]


@app.command()
def server(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = DEFAULT_PORT,
    home: HomeOption = None,
) -> None:
    """Run the server in the foreground."""
    from sagecraft.server.runner import StartupError, serve

    settings = Settings.load(home, host, port)

    def ready(s: Settings) -> None:
        console.print(f"[green]●[/] Sagecraft listening on [bold]{s.endpoint_url}[/] (home {s.home}). "
                      "Ctrl-C stops it.")

    try:
        serve(settings, on_ready=ready)
    except StartupError as error:
        console.print(f"[red]✗[/] {error}")
        raise typer.Exit(1) from None


@app.command()
def version() -> None:
    """Print Sagecraft's version."""
    from sagecraft import __version__

    print(__version__)


if __name__ == "__main__":
    app()
