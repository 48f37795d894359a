"""The transform reconciler: the jobs capability's reconciler loop, giving each transform job in
progress a runner thread — also the ones a previous server process left running (their workers are
re-attached)."""

from __future__ import annotations

from sagecraft.services.jobs.reconciler import RunReconciler
from sagecraft.services.transform import repository as repo
from sagecraft.services.transform.runner import TransformPlatform, TransformRun


class TransformReconciler(RunReconciler):
    def __init__(self, platform: TransformPlatform) -> None:
        self.platform = platform
        super().__init__(
            "transform", self._active_ids, lambda job_id, shutdown: TransformRun(platform, job_id, shutdown)
        )

    def _active_ids(self) -> list[int]:
        with self.platform.store.read() as db:
            return list(repo.active_ids(db, self.platform.owner))
