"""Job logs into CloudWatch Logs while the job runs, as SageMaker's log agent ships them.

Each instance writes one stream, ``<job>/algo-<n>-<epoch>``, in ``/aws/sagemaker/TrainingJobs`` or
``/aws/sagemaker/ProcessingJobs``. Lines keep the container's timestamps; a TAB becomes ``#011``
(the syslog escape CloudWatch shows, which the SDK's metric regexes expect). The executor's own
notes (stream "system") stay out of the job's log. Training logs also feed the metric collector.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sagecraft.core.errors import AwsError
from sagecraft.executors.base import LogLine, WorkloadHandle
from sagecraft.services.jobs.models import JobKind
from sagecraft.services.logs.models import LogScope
from sagecraft.services.logs.service import LogsService

log = logging.getLogger("sagecraft.jobs")

GROUPS = {JobKind.TRAINING: "/aws/sagemaker/TrainingJobs", JobKind.PROCESSING: "/aws/sagemaker/ProcessingJobs"}
SYSLOG_TAB = "#011"
MAX_MESSAGE = 256 * 1024 - 26  # one CloudWatch event


def stream_name(job_name: str, host: str, epoch: int) -> str:
    return f"{job_name}/{host}-{epoch}"


def cloudwatch_text(text: str) -> str:
    return text.replace("\t", SYSLOG_TAB)[:MAX_MESSAGE]


@dataclass
class Tail:
    handle: WorkloadHandle
    stream: str
    offset: int = 0
    skip: int = 0  # events at the offset already in the stream (shipped after the offset was last saved)


class LogShipper:
    """Copies new lines of each instance's log to its stream; call ``pump()`` as often as wanted."""

    def __init__(self, logs: LogsService, scope: LogScope, kind: JobKind,
                 on_lines: Callable[[int, list[LogLine]], None] | None = None) -> None:
        self.logs = logs
        self.scope = scope
        self.group = GROUPS[kind]
        self.tails: list[Tail] = []
        self.on_lines = on_lines  # (instance index, lines) after they are shipped, e.g. for metrics

    def add(self, handle: WorkloadHandle, stream: str, offset: int = 0, resumed: bool = False) -> None:
        tail = Tail(handle, stream, offset)
        if resumed:
            tail.skip = self._already_shipped(tail)
        self.tails.append(tail)

    def _already_shipped(self, tail: Tail) -> int:
        """After a restart the saved offset may lag what was shipped: the longest run of lines read from
        the offset that the stream already ends with is not shipped again."""
        lines, _ = tail.handle.read_log(tail.offset)
        pending = _events(lines)
        if not pending:
            return 0
        try:
            stored = self.logs.get_events(self.scope, self.group, tail.stream, limit=len(pending)).events
        except AwsError:  # no stream yet: nothing was shipped
            return 0
        shipped = [(e.timestamp_ms, e.message) for e in stored]
        for count in range(min(len(shipped), len(pending)), 0, -1):
            if pending[:count] == shipped[-count:]:
                return count
        return 0

    def write(self, stream: str, timestamp_ms: int, text: str) -> None:
        """A line of the platform's own (e.g. pip installing requirements.txt) into a stream."""
        self.logs.append(self.scope, self.group, stream, [(timestamp_ms, cloudwatch_text(text))])

    def pump(self) -> int:
        """Ship what is new; returns the number of lines read."""
        total = 0
        for index, tail in enumerate(self.tails):
            while True:
                lines, offset = tail.handle.read_log(tail.offset)
                if offset == tail.offset:
                    break
                events = _events(lines)
                if tail.skip:
                    dropped = min(tail.skip, len(events))
                    events, tail.skip = events[dropped:], tail.skip - dropped
                if events:
                    self.logs.append(self.scope, self.group, tail.stream, events)
                tail.offset = offset
                total += len(lines)
                if self.on_lines is not None:
                    self.on_lines(index, [line for line in lines if line.stream != "system"])
        return total

    def offsets(self) -> list[int]:
        return [tail.offset for tail in self.tails]


def _events(lines: list[LogLine]) -> list[tuple[int, str]]:
    return [(line.timestamp_ms, cloudwatch_text(line.text)) for line in lines if line.stream != "system" and line.text]
