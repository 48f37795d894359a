"""Instance types as requests, and the FIFO slot budget."""

from __future__ import annotations

import pytest

from sagecraft.executors.capacity import SlotPool, effective_cpus, instance_resources, machine_cpus


def test_known_instance_types():
    assert instance_resources("ml.m5.large").vcpus == 2
    assert instance_resources("ml.m5.4xlarge").vcpus == 16
    assert instance_resources("ml.m5.4xlarge").memory_mib == 64 * 1024
    assert instance_resources("ml.p3.2xlarge").gpus == 1
    assert instance_resources("ml.c5.9xlarge").vcpus == 36


@pytest.mark.parametrize(("name", "vcpus"), [("ml.m7i.large", 2), ("ml.m7i.xlarge", 4), ("ml.m7i.8xlarge", 32),
                                             ("ml.t4.medium", 2), ("ml.weird", 2)])
def test_unknown_types_are_estimated_from_their_size(name, vcpus):
    assert instance_resources(name).vcpus == vcpus


def test_cpus_are_capped_to_the_machine():
    assert effective_cpus("ml.m5.4xlarge", cpus=2) == 2
    assert effective_cpus("ml.m5.large", cpus=64) == 2
    assert effective_cpus("local", cpus=64) == machine_cpus()  # local mode: this machine


class Workload:
    def __init__(self) -> None:
        self.running = True

    def alive(self) -> bool:
        return self.running


def start(reservation, name):
    w = Workload()
    reservation.take(name, w.alive)
    return w


def test_reservations_within_the_budget_are_granted_at_once():
    pool = SlotPool(slots=4)
    a, b = pool.reserve("a", 1), pool.reserve("b", 3)
    assert a.granted and b.granted and a.wait(0) and pool.in_use() == 4
    c = pool.reserve("c", 1)
    assert not c.granted and not c.wait(0) and pool.waiting() == ["c"]


def test_a_slot_frees_itself_when_its_workload_exits():
    pool = SlotPool(slots=1)
    first = pool.reserve("a", 1)
    w = start(first, "a-1")
    second = pool.reserve("b", 1)
    assert not second.wait(0)
    w.running = False
    assert second.wait(1) and pool.in_use() == 1


def test_unused_granted_slots_return_on_release():
    pool = SlotPool(slots=2)
    job = pool.reserve("a", 2)
    start(job, "a-1")
    waiting = pool.reserve("b", 1)
    assert not waiting.granted
    job.release()  # the second instance never started
    assert waiting.wait(0)


def test_gangs_are_served_in_order_and_not_overtaken():
    pool = SlotPool(slots=4)
    w = start(pool.reserve("small", 1), "small-1")
    big = pool.reserve("big", 4)
    later = pool.reserve("later", 1)
    assert not big.granted and not later.granted  # strict FIFO: "later" would fit but waits behind "big"
    w.running = False
    assert big.wait(1) and not later.wait(0)


def test_more_instances_than_slots_run_alone_instead_of_never():
    pool = SlotPool(slots=2)
    w = start(pool.reserve("a", 1), "a-1")
    huge = pool.reserve("huge", 5)
    assert not huge.wait(0)
    w.running = False
    assert huge.wait(1)
    for i in range(5):
        start(huge, f"huge-{i}")
    assert pool.in_use() == 5


def test_cancelling_a_waiting_reservation_unblocks_the_queue():
    pool = SlotPool(slots=1)
    start(pool.reserve("a", 1), "a-1")
    stuck = pool.reserve("b", 1)
    stuck.release()
    assert not stuck.wait(0) and pool.waiting() == []


def test_occupy_counts_workloads_found_after_a_restart():
    pool = SlotPool(slots=1)
    w = Workload()
    pool.occupy("old", w.alive)
    assert not pool.reserve("new", 1).granted
    w.running = False
    assert pool.in_use() == 0


def test_taking_more_than_granted_is_an_error():
    pool = SlotPool(slots=2)
    r = pool.reserve("a", 1)
    start(r, "a-1")
    with pytest.raises(RuntimeError):
        start(r, "a-2")
