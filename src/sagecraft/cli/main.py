"""The ``sagecraft`` command. Messages go to stderr; stdout carries only what scripts consume
(the ``export`` lines), so ``eval "$(sagecraft up)"`` works too."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from sagecraft.cli.audit import app as audit_app
from sagecraft.cli.features import app as features_app
from sagecraft.cli.jobs import app as jobs_app
from sagecraft.cli.monitor import app as monitor_app
from sagecraft.cli.tuning import app as tuning_app
from sagecraft.config.settings import DEFAULT_HOST, DEFAULT_PORT, Settings

# Plain tracebacks: the server's end up in its log file, where boxes drawn for a terminal do not help.
app = typer.Typer(help="Sagecraft: SageMaker workflows on your own machine.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
console = Console(stderr=True, soft_wrap=True)
app.add_typer(audit_app, name="audit")
app.add_typer(features_app, name="features")
app.add_typer(jobs_app, name="jobs")
app.add_typer(monitor_app, name="monitor")
app.add_typer(tuning_app, name="tuning")

HomeOption = Annotated[str | None, typer.Option("--home", help="Where the server keeps everything "
                                                 "(default $SAGECRAFT_HOME, else ~/.sagecraft).")]
HostOption = Annotated[str, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int, typer.Option(help="Port to listen on.")]
RegionOption = Annotated[str | None, typer.Option(help="AWS region the clients use (default us-east-1).")]
TlsOption = Annotated[bool, typer.Option("--tls", help="Speak HTTPS, with a self-signed certificate made under "
                                         "HOME/tls (`sagecraft env` exports AWS_CA_BUNDLE for it).")]
TlsCertOption = Annotated[str | None, typer.Option("--tls-cert", help="Speak HTTPS with this certificate (PEM).")]
TlsKeyOption = Annotated[str | None, typer.Option("--tls-key", help="The private key of --tls-cert (PEM).")]


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]✗[/] {message}", highlight=False)
    return typer.Exit(1)


@app.command()
def server(host: HostOption = DEFAULT_HOST, port: PortOption = DEFAULT_PORT, home: HomeOption = None,
           tls: TlsOption = False, tls_cert: TlsCertOption = None, tls_key: TlsKeyOption = None) -> None:
    """Run the server in the foreground."""
    from sagecraft.server.runner import StartupError, serve

    settings = Settings.load(home, host, port, tls=tls, tls_cert=tls_cert, tls_key=tls_key)

    def ready(s: Settings) -> None:
        console.print(f"[green]●[/] Sagecraft listening on [bold]{s.endpoint_url}[/] (home {s.home}). "
                      "Ctrl-C stops it.", highlight=False)

    try:
        serve(settings, on_ready=ready)
    except StartupError as error:
        raise _fail(str(error)) from None


@app.command()
def up(host: HostOption = DEFAULT_HOST, port: PortOption = DEFAULT_PORT, home: HomeOption = None,
       region: RegionOption = None, tls: TlsOption = False, tls_cert: TlsCertOption = None,
       tls_key: TlsKeyOption = None) -> None:
    """Start the server in the background, wait until it is ready, print the exports."""
    from sagecraft.cli import daemon

    settings = Settings.load(home, host, port, tls=tls, tls_cert=tls_cert, tls_key=tls_key)
    try:
        with console.status(f"Starting Sagecraft on {settings.endpoint_url} (home {settings.home})…"):
            started = daemon.start(settings)
    except daemon.StartupError as error:
        raise _fail(str(error)) from None
    except daemon.StartFailed as error:
        console.print(f"[red]✗[/] {error}", highlight=False)
        if error.log_tail:
            console.print(f"The last lines of {settings.log_file}:", highlight=False)
            console.rule()
            for line in error.log_tail:
                console.print(line, markup=False, highlight=False)
            console.rule()
        raise _fail("Fix the cause above and run `sagecraft up` again, or run `sagecraft server` to watch it "
                    "start in the foreground.") from None
    info = started.info
    if started.already_running:
        console.print(f"[yellow]●[/] Sagecraft is already running for {info.home} at [bold]{info.endpoint_url}[/] "
                      f"(pid {info.pid}).", highlight=False)
    else:
        console.print(f"[green]✓[/] Sagecraft is up at [bold]{info.endpoint_url}[/] (pid {info.pid}, home "
                      f"{info.home}, log {settings.log_file}).", highlight=False)
    _print_exports(home, region)
    console.print('Point your tools at it with: [bold]eval "$(sagecraft env' + _home_flag(home) + ')"[/]  ·  '
                  "stop it with: [bold]sagecraft down" + _home_flag(home) + "[/]", highlight=False)


@app.command()
def down(home: HomeOption = None) -> None:
    """Stop the background server of a home."""
    from sagecraft.cli import daemon

    where = Settings.load(home).home
    with console.status(f"Stopping the Sagecraft server of {where}…"):
        stopped = daemon.stop(where)
    if stopped is None:
        console.print(f"No Sagecraft server is running for home {where}; nothing to stop.", highlight=False)
        return
    console.print(f"[green]✓[/] Stopped the Sagecraft server at {stopped.endpoint_url} (pid {stopped.pid}).",
                  highlight=False)


@app.command()
def env(home: HomeOption = None, region: RegionOption = None) -> None:
    """Print the `export` lines that point boto3, the SageMaker SDK and the AWS CLI at the server."""
    _print_exports(home, region)


@app.command()
def quickstart(home: HomeOption = None) -> None:
    """Run the workflow on bundled data against an embedded server, and say where to look."""
    from sagecraft.quickstart.steps import StepFailed
    from sagecraft.quickstart.workflow import run

    try:
        run(home, console)
    except StepFailed as error:  # the step already said why
        raise _fail(f"Quickstart stopped at step '{error.title}'.") from None
    except Exception as error:
        raise _fail(f"Quickstart stopped: {error}") from None


@app.command()
def version() -> None:
    """Print Sagecraft's version."""
    from sagecraft import __version__

    print(__version__)


def _print_exports(home: str | None, region: str | None) -> None:
    from sagecraft.client import NoServerRunning, client_env, shell_lines

    try:
        lines = shell_lines(client_env(home, region))
    except NoServerRunning as error:
        raise _fail(str(error)) from None
    print("\n".join(lines))


def _home_flag(home: str | None) -> str:
    import shlex

    return f" --home {shlex.quote(home)}" if home else ""


if __name__ == "__main__":
    app()
