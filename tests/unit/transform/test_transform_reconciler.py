"""The reconciler loop shared by training and transform jobs: one runner thread per active job id,
never two for the same job, and a run that ends is dropped (a job still active gets a new one)."""

from __future__ import annotations

import threading

from sagecraft.services.jobs.reconciler import RunReconciler


class FakeRun:
    def __init__(self, job_id: int, shutdown: threading.Event, started: list[int], release: threading.Event) -> None:
        self.job_id = job_id
        self.wake = threading.Event()
        self.shutdown = shutdown
        self.started = started
        self.release = release

    def run(self) -> None:
        self.started.append(self.job_id)
        while not self.release.is_set() and not self.shutdown.is_set():
            self.wake.wait(0.01)


def test_one_runner_per_active_job_until_it_ends():
    active, started, release = [1, 2], [], threading.Event()
    reconciler = RunReconciler(
        "test", lambda: list(active), lambda job_id, shutdown: FakeRun(job_id, shutdown, started, release)
    )
    reconciler._scan()
    reconciler._scan()  # both still running: no second runner
    threads = [thread for _, thread in reconciler._runs.values()]
    release.set()
    for thread in threads:
        thread.join(5)
    assert sorted(started) == [1, 2]
    assert reconciler._runs == {}
    active[:] = [2]
    reconciler._scan()  # job 2 is still active after its run ended: it gets a new one
    reconciler.stop()
    assert sorted(started) == [1, 2, 2]


def test_stop_ends_the_loop_and_the_runs():
    started: list[int] = []
    reconciler = RunReconciler(
        "test", lambda: [7], lambda job_id, shutdown: FakeRun(job_id, shutdown, started, threading.Event())
    )
    reconciler.start()
    while not started:  # the loop's first scan gives job 7 its runner
        reconciler.wake()
        threading.Event().wait(0.01)
    reconciler.wake(7)
    reconciler.stop()
    assert started == [7]
    assert not reconciler._thread.is_alive()
