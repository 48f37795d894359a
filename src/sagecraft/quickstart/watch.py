"""Watching a job while the SageMaker SDK waits for it.

``fit()`` / ``run()`` block until the job ends, polling every 5 s with ``logs=False`` (with
``logs=True`` the SDK's log tail pauses 10 s and checks the status every 30 s: too slow for a
quickstart). Meanwhile a thread describes the job and reads its CloudWatch log stream, so the
step shows the job's status and latest log line live, and keeps the lines."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sagecraft.quickstart.steps import Detail

LOG_GROUPS = {"training": "/aws/sagemaker/TrainingJobs", "processing": "/aws/sagemaker/ProcessingJobs"}


class JobWatch:
    """``with JobWatch(...) as watch:`` around the SDK call; ``watch.lines`` afterwards."""

    def __init__(
        self, kind: str, job_name: Callable[[], str | None], boto: Any, detail: Detail, interval: float = 0.5
    ) -> None:
        self.kind = kind
        self.job_name = job_name  # None until the SDK has created the job
        self.sagemaker = boto.client("sagemaker")
        self.logs = boto.client("logs")
        self.detail = detail
        self.interval = interval
        self.lines: list[str] = []
        self._token: str | None = None
        self._stream: str | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"quickstart-{kind}-watch", daemon=True)

    def __enter__(self) -> JobWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopped.set()
        self._thread.join()
        name = self.job_name()
        if name:
            self._safely(self._read_logs, name)  # what reached CloudWatch after the last poll

    def _loop(self) -> None:
        while not self._stopped.wait(self.interval):
            name = self.job_name()
            if not name:
                continue
            self._safely(self._poll, name)

    def _safely(self, action: Callable[[str], None], name: str) -> None:
        try:
            action(name)
        except Exception:  # a missed update only costs a stale live line; the SDK reports the job's end
            pass

    def _poll(self, name: str) -> None:
        description = (
            self.sagemaker.describe_training_job(TrainingJobName=name)
            if self.kind == "training"
            else self.sagemaker.describe_processing_job(ProcessingJobName=name)
        )
        status = description.get("SecondaryStatus") or description.get("ProcessingJobStatus") or "?"
        self._safely(self._read_logs, name)  # the log group appears with the job's first line
        last = self.lines[-1] if self.lines else ""
        self.detail(status + (f" │ {last}" if last else ""))  # the job's name is in the step's outcome

    def _read_logs(self, name: str) -> None:
        group = LOG_GROUPS[self.kind]
        if self._stream is None:  # the first instance's stream, once the job has started it
            streams = self.logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=f"{name}/")
            if not streams["logStreams"]:
                return
            self._stream = streams["logStreams"][0]["logStreamName"]
        while True:
            request = {"logGroupName": group, "logStreamName": self._stream, "startFromHead": True}
            if self._token is not None:
                request["nextToken"] = self._token
            page = self.logs.get_log_events(**request)
            self.lines += [event["message"].replace("#011", " ").rstrip() for event in page["events"]]
            if page["nextForwardToken"] == self._token or not page["events"]:
                self._token = page["nextForwardToken"]
                return
            self._token = page["nextForwardToken"]
