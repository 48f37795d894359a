"""Running a workflow as named steps with a Rich progress display: each step reports one line
of what it did; the first failure stops the run and names its step. While a step works, it may
show a detail beside its title (``Detail``), from any thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Column

State = TypeVar("State")


class StepFailed(Exception):
    def __init__(self, title: str, cause: BaseException) -> None:
        super().__init__(f"step '{title}' failed: {cause}")
        self.title = title
        self.cause = cause


class Detail:
    """A short live line the running step shows beside its title (a job's status, its last log line)."""

    def __init__(self) -> None:
        self._show: Callable[[str], None] | None = None

    def __call__(self, text: str) -> None:
        show = self._show
        if show is not None:
            show(text)

    def bind(self, show: Callable[[str], None] | None) -> None:
        self._show = show


@dataclass(frozen=True)
class Step(Generic[State]):
    title: str
    action: Callable[[State], str]  # does the work; returns one line saying what it did


def run_steps(steps: Sequence[Step[State]], state: State, console: Console, detail: Detail | None = None) -> None:
    # The title and its live detail come last, clipped to one line: they are the part that varies.
    columns = (
        SpinnerColumn(),
        BarColumn(bar_width=10),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn(
            "[bold]{task.fields[title]}…[/] [dim]{task.fields[detail]}[/]",
            table_column=Column(no_wrap=True, overflow="ellipsis"),
        ),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=len(steps), title="", detail="")
        for number, step in enumerate(steps, 1):
            progress.update(task, title=escape(step.title), detail="")
            if detail is not None:
                room = console.width - len(step.title) - 28  # what the other columns leave on the line
                detail.bind(lambda text, room=room: progress.update(task, detail=escape(_clip(text, room))))
            try:
                outcome = step.action(state)
            except Exception as error:
                progress.console.print(
                    f"[red]✗[/] [bold]{number}. {step.title}[/]: {escape(str(error))}", highlight=False
                )
                raise StepFailed(step.title, error) from error
            finally:
                if detail is not None:
                    detail.bind(None)
            progress.console.print(f"[green]✓[/] [bold]{number}. {step.title}[/] — {escape(outcome)}", highlight=False)
            progress.advance(task)


def _clip(text: str, width: int) -> str:
    if width < 8:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"
