"""The hosting reconciler: one thread that brings endpoints to their status.

Creating → a builder thread downloads the model and starts the workers → InService (or Failed with
the reason). Updating → a second fleet on the new config is started beside the first, traffic
switches to it once it serves, then the first is stopped (blue/green; a failed update leaves the
endpoint InService on the old fleet, with the reason). InService with no workers in this process
(a server restart) → workers started again.
A worker that died is restarted. Deleting → workers stopped, the endpoint forgotten. The routing
table the runtime reads is kept here. Stopping the reconciler stops every worker.
Updating after UpdateEndpointWeightsAndCapacities → instances started or stopped in place (no
blue/green). Serverless variants start an instance on the first call (cold start) and stop it
after ``SAGECRAFT_SERVERLESS_IDLE_SECONDS`` without calls (scale to zero)."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from sagecraft.services.hosting.capture import CaptureSettings
from sagecraft.services.hosting.fleet import DeployError, Fleet, FleetBuilder, Variant, Worker, containers_of
from sagecraft.services.hosting.models import EndpointStatus, Resource
from sagecraft.services.hosting.routes import InstanceRoute, Route, VariantRoute
from sagecraft.services.hosting.service import HostingService
from sagecraft.services.logs.models import LogScope
from sagecraft.services.logs.service import LogsService

log = logging.getLogger("sagecraft.hosting")

SCAN_SECONDS = 1.0
LOG_CHUNK = 1 << 20
DRAIN_SECONDS = 1.0  # requests in flight on an old fleet finish before it stops
SERVERLESS_IDLE_SECONDS = float(os.environ.get("SAGECRAFT_SERVERLESS_IDLE_SECONDS", "300"))


def log_group(endpoint_name: str) -> str:
    return f"/aws/sagemaker/Endpoints/{endpoint_name}"


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
        # Written by the runtime on the event loop, read here: (endpoint id, variant) → value.
        self.last_used: dict[tuple[int, str], float] = {}
        self.in_flight: dict[tuple[int, str], int] = {}
        self._cold_locks: dict[tuple[int, str], threading.Lock] = {}
        self.idle_seconds = SERVERLESS_IDLE_SECONDS

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
            scaling = endpoint.status == EndpointStatus.UPDATING.value and "scaling" in endpoint.runtime
            if current is not None and scaling:
                self._build(endpoint, self._scale_fleet)
            elif current is None or endpoint.status == EndpointStatus.UPDATING.value:
                self._build(endpoint, self._build_fleet)
            if current is not None:
                self._supervise(endpoint, current[1])

    def _build(self, endpoint: Resource, work) -> None:
        thread = self._building.get(endpoint.id)
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(target=work, args=(endpoint,), name=f"endpoint-{endpoint.id}", daemon=True)
        self._building[endpoint.id] = thread
        thread.start()

    def _build_fleet(self, endpoint: Resource) -> None:
        scaling = "scaling" in endpoint.runtime  # a restart while scaling: built as desired
        updating = endpoint.status == EndpointStatus.UPDATING.value and not scaling
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
            elif scaling:
                self.service.finish_scaling(endpoint, reason[:1024])
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
        elif scaling:
            self.service.finish_scaling(endpoint)
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

    def _scale_fleet(self, endpoint: Resource) -> None:
        """UpdateEndpointWeightsAndCapacities: instances started or stopped in place, weights set."""
        with self._lock:
            entry = self._fleets.get(endpoint.id)
        if entry is None:
            self._building.pop(endpoint.id, None)
            return
        fleet = entry[1]
        specs = {v["VariantName"]: v for v in endpoint.runtime["variants"]}
        started: list[Worker] = []
        try:
            for variant in fleet.variants:
                if specs[variant.name].get("ServerlessConfig"):
                    continue
                for index in range(len(variant.instances()), specs[variant.name]["InitialInstanceCount"]):
                    started += self.builder.start_instance(fleet, variant, index)
            for worker in started:
                self.builder.wait_ready(worker)
        except Exception as error:
            for variant in fleet.variants:
                variant.workers = [w for w in variant.workers if w not in started]
            for worker in started:
                worker.stop()
            reason = str(error) if isinstance(error, DeployError) else f"{type(error).__name__}: {error}"
            self.service.finish_scaling(endpoint, reason[:1024])
            self._building.pop(endpoint.id, None)
            return
        surplus: list[Worker] = []
        for variant in fleet.variants:
            spec = variant.spec = specs[variant.name]
            variant.weight = spec["InitialVariantWeight"]
            if not spec.get("ServerlessConfig"):
                surplus += [w for w in variant.workers if w.instance >= spec["InitialInstanceCount"]]
                variant.workers = [w for w in variant.workers if w.instance < spec["InitialInstanceCount"]]
        runtime = {k: v for k, v in endpoint.runtime.items() if k != "scaling"}
        fleet.deployment = runtime
        with self._lock:
            self._fleets[endpoint.id] = (endpoint, fleet)
        self._publish(endpoint, fleet)
        self.service.finish_scaling(endpoint)
        if surplus:
            time.sleep(DRAIN_SECONDS)
            for worker in surplus:
                worker.stop()
            self._ship_worker_logs(endpoint, surplus)
        log.info("endpoint %s scaled: %s", endpoint.name, {n: s.get("InitialInstanceCount") for n, s in specs.items()})
        self._building.pop(endpoint.id, None)

    def cold_start(self, endpoint_id: int, variant_name: str) -> float | None:
        """A serverless variant's first call: starts its instance (blocking; run off the event loop).
        Returns the setup time in seconds, or None when an instance was already there."""
        lock = self._cold_locks.setdefault((endpoint_id, variant_name), threading.Lock())
        with lock:
            with self._lock:
                entry = self._fleets.get(endpoint_id)
            if entry is None:
                raise DeployError("The endpoint is not serving.")
            endpoint, fleet = entry
            variant = next(v for v in fleet.variants if v.name == variant_name)
            if variant.workers:
                return None
            began = time.monotonic()
            workers = self.builder.start_instance(fleet, variant, 0)
            try:
                for worker in workers:
                    self.builder.wait_ready(worker)
            except Exception:
                for worker in workers:
                    worker.stop()
                variant.workers = []
                raise
            self.last_used[(endpoint_id, variant_name)] = time.monotonic()
            self._publish(endpoint, fleet)
            setup = time.monotonic() - began
            self._event(endpoint, variant, f"Cold start: an instance of serverless variant {variant_name} started in "
                                           f"{setup:.2f} s.")
            return setup

    def _scale_to_zero(self, endpoint: Resource, fleet: Fleet) -> None:
        """Serverless variants idle for ``idle_seconds`` with nothing in flight lose their instance."""
        now = time.monotonic()
        for variant in fleet.variants:
            key = (endpoint.id, variant.name)
            if not variant.spec.get("ServerlessConfig") or not variant.workers or self.in_flight.get(key):
                continue
            idle = now - self.last_used.get(key, now)
            if idle < self.idle_seconds:
                continue
            lock = self._cold_locks.setdefault(key, threading.Lock())
            with lock:
                workers, variant.workers = variant.workers, []
                self._publish(endpoint, fleet)
            for worker in workers:
                worker.stop()
            self._ship_worker_logs(endpoint, workers)
            self._event(endpoint, variant, f"Scaled to zero: serverless variant {variant.name} was idle for "
                                           f"{idle:.0f} s.")

    def _event(self, endpoint: Resource, variant: Variant, message: str) -> None:
        log.info("endpoint %s: %s", endpoint.name, message)
        try:
            self.logs.append(LogScope(endpoint.account_id, endpoint.region), log_group(endpoint.name),
                             f"{variant.name}/scaling", [(int(time.time() * 1000), message)])
        except Exception:
            log.exception("could not log a scaling event of %s", endpoint.name)

    def _supervise(self, endpoint: Resource, fleet: Fleet) -> None:
        self._scale_to_zero(endpoint, fleet)
        for worker in fleet.workers:
            if not worker.alive() and not self._shutdown.is_set():
                log.warning("worker %s of endpoint %s exited (%s): restarting", worker.stream, endpoint.name,
                            worker.process.returncode if worker.process else None)
                worker.restarts += 1
                worker.start()
                self._publish(endpoint, fleet)
        self._ship_logs(endpoint, fleet)

    def _publish(self, endpoint: Resource, fleet: Fleet) -> None:
        variants, shadows = [], []
        for variant in fleet.variants:
            containers = containers_of(variant.spec)
            instances = tuple(InstanceRoute(tuple(w.port for w in workers), tuple(w.hostname for w in workers),
                                            workers[0].stream, str(workers[0].folder),
                                            tuple(w.frame_address for w in workers))
                              for workers in variant.instances())
            multi_model = containers[0].get("Mode") == "MultiModel"
            (shadows if variant.spec.get("Shadow") else variants).append(VariantRoute(
                variant.name, variant.weight, instances,
                tuple((c.get("Environment") or {}).get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") for c in containers),
                variant.spec.get("ServerlessConfig"), containers[0].get("ModelDataUrl") if multi_model else None))
        deployment = fleet.deployment
        route = Route(endpoint.name, endpoint.account_id, endpoint.region, endpoint.id, tuple(variants),
                      CaptureSettings.of(deployment.get("data_capture")), deployment.get("execution_mode") == "Direct",
                      deployment.get("async_inference"), tuple(shadows))
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
        self._ship_worker_logs(endpoint, fleet.workers)

    def _ship_worker_logs(self, endpoint: Resource, workers: list[Worker]) -> None:
        scope = LogScope(endpoint.account_id, endpoint.region)
        for worker in workers:
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
