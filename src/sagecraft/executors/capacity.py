"""Instance types as requests (vCPUs, memory, GPUs) and the slot budget that queues instances.

An instance type is not a reservation against physical cores: a job asking for ``ml.m5.4xlarge``
on a 2-core machine runs, it just sees at most the machine's cores (SM_NUM_CPUS, thread counts).
What is rationed is the number of instances running at once (slots), first come first served.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceResources:
    vcpus: int
    memory_mib: int
    gpus: int = 0


_G = 1024
# vCPUs, memory GiB, GPUs — from the SageMaker pricing pages; families not listed fall back to
# the size suffix (see instance_resources).
_TABLE: dict[str, tuple[int, float, int]] = {
    "ml.t2.medium": (2, 4, 0), "ml.t2.large": (2, 8, 0), "ml.t2.xlarge": (4, 16, 0), "ml.t2.2xlarge": (8, 32, 0),
    "ml.t3.medium": (2, 4, 0), "ml.t3.large": (2, 8, 0), "ml.t3.xlarge": (4, 16, 0), "ml.t3.2xlarge": (8, 32, 0),
    "ml.m4.xlarge": (4, 16, 0), "ml.m4.2xlarge": (8, 32, 0), "ml.m4.4xlarge": (16, 64, 0),
    "ml.m4.10xlarge": (40, 160, 0), "ml.m4.16xlarge": (64, 256, 0),
    "ml.m5.large": (2, 8, 0), "ml.m5.xlarge": (4, 16, 0), "ml.m5.2xlarge": (8, 32, 0),
    "ml.m5.4xlarge": (16, 64, 0), "ml.m5.12xlarge": (48, 192, 0), "ml.m5.24xlarge": (96, 384, 0),
    "ml.m6i.large": (2, 8, 0), "ml.m6i.xlarge": (4, 16, 0), "ml.m6i.2xlarge": (8, 32, 0),
    "ml.m6i.4xlarge": (16, 64, 0), "ml.m6i.8xlarge": (32, 128, 0),
    "ml.c4.xlarge": (4, 7.5, 0), "ml.c4.2xlarge": (8, 15, 0), "ml.c4.4xlarge": (16, 30, 0),
    "ml.c4.8xlarge": (36, 60, 0),
    "ml.c5.large": (2, 4, 0), "ml.c5.xlarge": (4, 8, 0), "ml.c5.2xlarge": (8, 16, 0), "ml.c5.4xlarge": (16, 32, 0),
    "ml.c5.9xlarge": (36, 72, 0), "ml.c5.18xlarge": (72, 144, 0),
    "ml.c6i.large": (2, 4, 0), "ml.c6i.xlarge": (4, 8, 0), "ml.c6i.2xlarge": (8, 16, 0),
    "ml.c6i.4xlarge": (16, 32, 0), "ml.c6i.8xlarge": (32, 64, 0),
    "ml.r5.large": (2, 16, 0), "ml.r5.xlarge": (4, 32, 0), "ml.r5.2xlarge": (8, 64, 0),
    "ml.r5.4xlarge": (16, 128, 0), "ml.r5.12xlarge": (48, 384, 0), "ml.r5.24xlarge": (96, 768, 0),
    "ml.p2.xlarge": (4, 61, 1), "ml.p2.8xlarge": (32, 488, 8), "ml.p2.16xlarge": (64, 732, 16),
    "ml.p3.2xlarge": (8, 61, 1), "ml.p3.8xlarge": (32, 244, 4), "ml.p3.16xlarge": (64, 488, 8),
    "ml.p3dn.24xlarge": (96, 768, 8), "ml.p4d.24xlarge": (96, 1152, 8), "ml.p5.48xlarge": (192, 2048, 8),
    "ml.g4dn.xlarge": (4, 16, 1), "ml.g4dn.2xlarge": (8, 32, 1), "ml.g4dn.4xlarge": (16, 64, 1),
    "ml.g4dn.8xlarge": (32, 128, 1), "ml.g4dn.12xlarge": (48, 192, 4), "ml.g4dn.16xlarge": (64, 256, 1),
    "ml.g5.xlarge": (4, 16, 1), "ml.g5.2xlarge": (8, 32, 1), "ml.g5.4xlarge": (16, 64, 1),
    "ml.g5.8xlarge": (32, 128, 1), "ml.g5.12xlarge": (48, 192, 4), "ml.g5.16xlarge": (64, 256, 1),
    "ml.g5.24xlarge": (96, 384, 4), "ml.g5.48xlarge": (192, 768, 8),
}
INSTANCE_TYPES: dict[str, InstanceResources] = {
    name: InstanceResources(cpus, int(mem * _G), gpus) for name, (cpus, mem, gpus) in _TABLE.items()
}
_SIZE = re.compile(r"^ml\.[a-z0-9-]+\.(?:(\d+)?x)?large$|^ml\.[a-z0-9-]+\.(medium|small|micro)$")


def machine_cpus() -> int:
    """CPUs this process may run on (respects taskset/cpusets, unlike os.cpu_count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def machine_memory_mib() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    except (ValueError, OSError):
        return 4 * _G


def instance_resources(instance_type: str) -> InstanceResources:
    """What an instance type declares. Unknown ``ml.*`` types are estimated from their size
    (large = 2 vCPUs, Nxlarge = 4N, 4 GiB each); ``local`` types mean this machine."""
    if instance_type in INSTANCE_TYPES:
        return INSTANCE_TYPES[instance_type]
    if instance_type.startswith("local"):
        return InstanceResources(machine_cpus(), machine_memory_mib())
    match = _SIZE.match(instance_type)
    if match and match.group(2):
        vcpus = 2 if match.group(2) == "medium" else 1
    elif match:
        multiplier = int(match.group(1) or 1)
        vcpus = 4 * multiplier if "xlarge" in instance_type else 2
    else:
        vcpus = 2
    return InstanceResources(vcpus, vcpus * 4 * _G)


def effective_cpus(instance_type: str, cpus: int | None = None) -> int:
    """The CPUs a job on this instance type is told it has: the type's vCPUs capped to the machine's."""
    return max(1, min(instance_resources(instance_type).vcpus, cpus or machine_cpus()))


# ---- slots -----------------------------------------------------------------------------------------

DEFAULT_SLOTS = 4  # a pipeline's parallel steps or a tuning job's parallel trials on a 2-core machine
POLL_SECONDS = 0.05  # how often waiters look for exited workloads; bounds the queue's hand-over delay


class SlotReservation:
    """Slots for one job's instances; granted all at once (a gang), in request order."""

    def __init__(self, pool: SlotPool, owner: str, instances: int) -> None:
        if instances < 1:
            raise ValueError("a reservation needs at least one instance")
        self._pool = pool
        self.owner = owner
        self.instances = instances
        self.remaining = 0  # granted slots not yet taken by a started workload
        self._granted = False
        self._released = False

    @property
    def granted(self) -> bool:
        return self._granted

    def wait(self, timeout: float | None = None) -> bool:
        return self._pool._wait(self, timeout)

    def take(self, key: str, alive: Callable[[], bool]) -> None:
        """Hand one granted slot to a started workload, which keeps it while ``alive()``."""
        self._pool._take(self, key, alive)

    def release(self) -> None:
        self._pool._release(self)

    def __repr__(self) -> str:
        state = "granted" if self._granted else "released" if self._released else "waiting"
        return f"SlotReservation({self.owner!r}, instances={self.instances}, {state}, remaining={self.remaining})"


class SlotPool:
    """At most ``slots`` workloads at once; the rest wait in a FIFO queue.

    A job asking for more instances than there are slots is granted once the pool is idle (it then
    runs over budget alone) rather than refused. Running workloads are tracked by an ``alive``
    callable, so slots free themselves when the workload exits, also for workloads re-attached after
    a restart (``occupy``).
    """

    def __init__(self, slots: int = DEFAULT_SLOTS, poll_seconds: float = POLL_SECONDS) -> None:
        if slots < 1:
            raise ValueError("a slot pool needs at least one slot")
        self.slots = slots
        self.poll_seconds = poll_seconds
        self._lock = threading.Condition()
        self._queue: list[SlotReservation] = []
        self._granted: list[SlotReservation] = []
        self._occupants: dict[str, Callable[[], bool]] = {}

    def reserve(self, owner: str, instances: int = 1) -> SlotReservation:
        reservation = SlotReservation(self, owner, instances)
        with self._lock:
            self._queue.append(reservation)
            self._pump()
        return reservation

    def occupy(self, key: str, alive: Callable[[], bool]) -> None:
        """Count a workload that is already running (e.g. found again after a restart)."""
        with self._lock:
            self._occupants[key] = alive

    def in_use(self) -> int:
        with self._lock:
            self._refresh()
            return len(self._occupants) + sum(r.remaining for r in self._granted)

    def waiting(self) -> list[str]:
        with self._lock:
            self._pump()
            return [r.owner for r in self._queue]

    # -- internals, all under the lock --

    def _refresh(self) -> None:
        for key, alive in list(self._occupants.items()):
            if not alive():
                del self._occupants[key]
        self._granted = [r for r in self._granted if r.remaining > 0]

    def _pump(self) -> None:
        self._refresh()
        used = len(self._occupants) + sum(r.remaining for r in self._granted)
        while self._queue:
            head = self._queue[0]
            fits = used + head.instances <= self.slots
            oversized_alone = head.instances > self.slots and used == 0
            if not (fits or oversized_alone):
                break  # strict FIFO: a big job at the head is not overtaken by small ones
            self._queue.pop(0)
            head._granted, head.remaining = True, head.instances
            self._granted.append(head)
            used += head.instances
            self._lock.notify_all()

    def _wait(self, reservation: SlotReservation, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                self._pump()
                if reservation._granted or reservation._released:
                    return reservation._granted
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._lock.wait(self.poll_seconds if left is None else min(self.poll_seconds, left))

    def _take(self, reservation: SlotReservation, key: str, alive: Callable[[], bool]) -> None:
        with self._lock:
            if not reservation._granted or reservation.remaining < 1:
                raise RuntimeError(f"{reservation!r} has no granted slot left to start a workload with")
            reservation.remaining -= 1
            self._occupants[key] = alive
            self._refresh()

    def _release(self, reservation: SlotReservation) -> None:
        with self._lock:
            reservation._released = True
            if reservation in self._queue:
                self._queue.remove(reservation)
            reservation.remaining = 0
            self._pump()
            self._lock.notify_all()
