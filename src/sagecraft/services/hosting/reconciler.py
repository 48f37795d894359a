"""The hosting reconciler: one thread that brings endpoints to their status.

Creating → a builder thread downloads the model and starts the workers → InService (or Failed with
the reason). Updating → a second fleet on the new config is started beside the first, traffic
switches to it once it serves, then the first is stopped (blue/green; a failed update leaves the
endpoint InService on the old fleet, with the reason). InService with no workers in this process
(a server restart) → workers started again.
A worker that died is restarted. Deleting → workers stopped, the endpoint forgotten. The routing
table the runtime reads is kept here. Stopping the reconciler stops every worker."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sagecraft.services.hosting.fleet import DeployError, Fleet, FleetBuilder, Worker
from sagecraft.services.hosting.models import EndpointStatus, Resource
from sagecraft.services.hosting.service import HostingService
from sagecraft.services.logs.models import LogScope
from sagecraft.services.logs.service import LogsService

log = logging.getLogger("sagecraft.hosting")

SCAN_SECONDS = 1.0
LOG_CHUNK = 1 << 20
DRAIN_SECONDS = 1.0  # requests in flight on an old fleet finish before it stops


def log_group(endpoint_name: str) -> str:
    return f"/aws/sagemaker/Endpoints/{endpoint_name}"


@dataclass(frozen=True)
class Route:
    """Where InvokeEndpoint sends a request: variants, weights and their workers' ports."""

    name: str
    account_id: str
    region: str
    variants: tuple[tuple[str, float, tuple[int, ...], tuple[str, ...]], ...]  # name, weight, ports, streams


class HostingReconciler:
    def __init__(self, service: HostingService, builder: FleetBuilder, logs: LogsService) -> None:
        self.service = service
        self.builder = builder
        self.logs = logs
        self.routes: dict[tuple[str, str, str], Route] = {}
        self._fleets: dict[int, tuple[Resource, Fleet]] = {}
        self._building: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._shutdown = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="hosting-reconciler", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._shutdown.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        for thread in list(self._building.values()):
            thread.join(10)
        with self._lock:
            fleets = list(self._fleets.values())
            self._fleets.clear()
            self.routes.clear()
        for endpoint, fleet in fleets:
            fleet.stop()
            self._ship_logs(endpoint, fleet)

    def _loop(self) -> None:
        while not self._shutdown.is_set():
            try:
                self._scan()
            except Exception:
                log.exception("the hosting reconciler could not scan endpoints")
            self._wake.wait(SCAN_SECONDS)
            self._wake.clear()

    def _scan(self) -> None:
        endpoints = {e.id: e for e in self.service.active_endpoints()}
        with self._lock:
            gone = [i for i in self._fleets if i not in endpoints]
        for endpoint_id in gone:
            self._retire(endpoint_id)
        for endpoint in endpoints.values():
            if endpoint.status == EndpointStatus.DELETING.value:
                if endpoint.id not in self._building:
                    self._retire(endpoint.id)
                    self.service.forget(endpoint)
                continue
            with self._lock:
                current = self._fleets.get(endpoint.id)
            if current is None or endpoint.status == EndpointStatus.UPDATING.value:
                self._build(endpoint)
            if current is not None:
                self._supervise(endpoint, current[1])

    def _build(self, endpoint: Resource) -> None:
        thread = self._building.get(endpoint.id)
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(target=self._build_fleet, args=(endpoint,), name=f"endpoint-{endpoint.id}",
                                  daemon=True)
        self._building[endpoint.id] = thread
        thread.start()

    def _build_fleet(self, endpoint: Resource) -> None:
        updating = endpoint.status == EndpointStatus.UPDATING.value
        deployment = endpoint.runtime.get("pending") if updating else endpoint.runtime
        with self._lock:
            fresh = endpoint.id not in self._fleets
        try:
            fleet = self.builder.build(endpoint.id, endpoint.name, deployment or {"variants": []}, fresh)
        except Exception as error:
            reason = str(error) if isinstance(error, DeployError) else f"{type(error).__name__}: {error}"
            log.warning("endpoint %s failed: %s", endpoint.name, reason)
            if updating:  # the old fleet keeps serving; the reason is reported
                self.service.finish_update(endpoint, reason[:1024])
            else:
                self.service.advance(endpoint, EndpointStatus.FAILED, reason[:1024])
            self._building.pop(endpoint.id, None)
            return
        with self._lock:
            previous = self._fleets.get(endpoint.id)
            self._fleets[endpoint.id] = (endpoint, fleet)
        self._publish(endpoint, fleet)
        if updating:
            self.service.finish_update(endpoint)
        elif endpoint.status == EndpointStatus.CREATING.value and not self.service.advance(
                endpoint, EndpointStatus.IN_SERVICE):
            log.info("endpoint %s changed while its workers started", endpoint.name)
        if previous is not None:  # blue/green: the old fleet goes once the new one serves
            time.sleep(DRAIN_SECONDS)
            previous[1].stop()
            self._ship_logs(previous[0], previous[1])
            previous[1].remove()
        self._building.pop(endpoint.id, None)
        self._wake.set()

    def _supervise(self, endpoint: Resource, fleet: Fleet) -> None:
        for worker in fleet.workers:
            if not worker.alive() and not self._shutdown.is_set():
                log.warning("worker %s of endpoint %s exited (%s): restarting", worker.stream, endpoint.name,
                            worker.process.returncode if worker.process else None)
                worker.restarts += 1
                worker.start()
                self._publish(endpoint, fleet)
        self._ship_logs(endpoint, fleet)

    def _publish(self, endpoint: Resource, fleet: Fleet) -> None:
        route = Route(endpoint.name, endpoint.account_id, endpoint.region, tuple(
            (v.name, v.weight, tuple(w.port for w in v.workers), tuple(w.stream for w in v.workers))
            for v in fleet.variants))
        with self._lock:
            self.routes[(endpoint.account_id, endpoint.region, endpoint.name.lower())] = route

    def _retire(self, endpoint_id: int) -> None:
        with self._lock:
            entry = self._fleets.pop(endpoint_id, None)
            if entry is not None:
                self.routes.pop((entry[0].account_id, entry[0].region, entry[0].name.lower()), None)
        if entry is not None:
            entry[1].stop()
            self._ship_logs(entry[0], entry[1])
            entry[1].remove()

    def _ship_logs(self, endpoint: Resource, fleet: Fleet) -> None:
        scope = LogScope(endpoint.account_id, endpoint.region)
        for worker in fleet.workers:
            lines = _new_lines(worker)
            if lines:
                now = int(time.time() * 1000)
                try:
                    self.logs.append(scope, log_group(endpoint.name), worker.stream, [(now, line) for line in lines])
                except Exception:
                    log.exception("could not ship the logs of %s", worker.stream)


def _new_lines(worker: Worker) -> list[str]:
    path: Path = worker.log_path
    try:
        with open(path, "rb") as handle:
            handle.seek(worker.log_offset)
            data = handle.read(LOG_CHUNK)
    except OSError:
        return []
    end = data.rfind(b"\n")
    if end < 0:
        return []
    worker.log_offset += end + 1
    return [line for line in data[:end].decode(errors="replace").splitlines() if line]
