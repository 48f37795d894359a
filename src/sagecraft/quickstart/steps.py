"""Running a workflow as named steps with a Rich progress display: each step reports one line
of what it did; the first failure stops the run and names its step."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

State = TypeVar("State")


class StepFailed(Exception):
    def __init__(self, title: str, cause: BaseException) -> None:
        super().__init__(f"step '{title}' failed: {cause}")
        self.title = title
        self.cause = cause


@dataclass(frozen=True)
class Step(Generic[State]):
    title: str
    action: Callable[[State], str]  # does the work; returns one line saying what it did


def run_steps(steps: Sequence[Step[State]], state: State, console: Console) -> None:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=len(steps))
        for number, step in enumerate(steps, 1):
            progress.update(task, description=f"{step.title}…")
            try:
                outcome = step.action(state)
            except Exception as error:
                progress.console.print(f"[red]✗[/] [bold]{number}. {step.title}[/]: {error}", highlight=False)
                raise StepFailed(step.title, error) from error
            progress.console.print(f"[green]✓[/] [bold]{number}. {step.title}[/] — {outcome}", highlight=False)
            progress.advance(task)
