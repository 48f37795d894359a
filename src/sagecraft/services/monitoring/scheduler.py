"""The monitoring scheduler: one thread that runs due executions and follows running ones.

Each round: a Pending schedule (just created or updated) becomes Scheduled; a Scheduled one whose
next run is due gets its next run moved forward first (a compare-and-set, so one server launches
it once) and then an execution for the firing time; every execution in progress is matched with
its processing job. Rounds run every second while executions are in progress, else every
SCAN_SECONDS, and at once when the service signals a change."""

from __future__ import annotations

import logging
import threading

from sagecraft.services.monitoring import cron
from sagecraft.services.monitoring import repository as repo
from sagecraft.services.monitoring.models import ScheduleStatus
from sagecraft.services.monitoring.service import MonitoringService

log = logging.getLogger("sagecraft.monitoring")

SCAN_SECONDS = 30.0
BUSY_SECONDS = 1.0
JOIN_SECONDS = 10.0


class MonitoringScheduler:
    def __init__(self, service: MonitoringService) -> None:
        self.service = service
        self._shutdown = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="monitoring-scheduler", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._shutdown.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(JOIN_SECONDS)

    def _loop(self) -> None:
        while not self._shutdown.is_set():
            busy = False
            try:
                busy = self.round()
            except Exception:  # keep scheduling whatever one round ran into
                log.exception("monitoring scheduler round failed")
            self._wake.wait(BUSY_SECONDS if busy else SCAN_SECONDS)
            self._wake.clear()

    def round(self) -> bool:
        """One pass; True while executions are still running."""
        service = self.service
        now = service.clock()
        with service.store.read() as db:
            schedules = repo.owned_schedules(db, service.owner)
        for schedule in schedules:
            if schedule.status is ScheduleStatus.PENDING:
                with service.store.write() as db:
                    repo.update_schedule(db, schedule.id, {"status": ScheduleStatus.SCHEDULED.value},
                                         expected_status=ScheduleStatus.PENDING.value)
            due = schedule.next_run_at
            if due is None or due > now:
                continue
            parsed = cron.parse(schedule.expression)
            fired = due if parsed.one_time else (parsed.latest_at_or_before(now) or due)
            with service.store.write() as db:
                claimed = repo.update_schedule(db, schedule.id, {"next_run_at": parsed.next_after(now)},
                                               expected_status=ScheduleStatus.SCHEDULED.value)
            if claimed:
                service.launch(schedule, fired)
        with service.store.read() as db:
            active = repo.active_executions(db)
        for execution in active:
            service.refresh(execution)
        with service.store.read() as db:
            return bool(repo.active_executions(db))
