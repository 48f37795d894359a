"""The group committer: writers awaiting on the loop share one transaction, each sees its own
outcome, and what it acknowledged is in the store (a fresh connection reads it)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from sagecraft.services.featurestore.commit import GroupCommitter
from sagecraft.services.featurestore.online import Write
from sagecraft.services.featurestore.online_sqlite import SqliteOnlineStore


def change(record_id: str, event_time: float = 1.0) -> tuple[str, list[Write], list[tuple[str, str]]]:
    return "k", [Write(record_id, event_time, {"id": record_id})], [("k", f'{{"id": "{record_id}"}}')]


def test_concurrent_writers_share_transactions_and_are_durable(tmp_path):
    store = SqliteOnlineStore(tmp_path / "online.sqlite3")
    batches: list[int] = []
    gate = threading.Event()

    def apply_batch(changes):
        gate.wait(5)  # the first batch holds the committer while the others queue up
        batches.append(len(changes))
        return store.apply_batch(changes)

    committer = GroupCommitter(apply_batch)

    async def main() -> None:
        writes = [asyncio.create_task(committer.apply(change(str(i)))) for i in range(50)]
        await asyncio.sleep(0)  # every task runs up to its await: all 50 are queued
        gate.set()
        await asyncio.gather(*writes)

    asyncio.run(main())
    committer.close()
    assert sum(batches) == 50 and len(batches) < 50
    store.close()
    reopened = SqliteOnlineStore(tmp_path / "online.sqlite3")
    assert len(reopened.get("k", [str(i) for i in range(50)])) == 50
    assert len(reopened.journal_take(100)) == 50
    reopened.close()


def test_each_writer_sees_its_own_error():
    def apply_batch(changes):
        return [ValueError(f"bad {key}") if writes[0].record_id == "bad" else None for key, writes, _ in changes]

    committer = GroupCommitter(apply_batch)

    async def main() -> list:
        return await asyncio.gather(
            committer.apply(change("good")), committer.apply(change("bad")), return_exceptions=True
        )

    good, bad = asyncio.run(main())
    committer.close()
    assert good is None
    assert isinstance(bad, ValueError)


def test_a_failing_store_fails_every_waiter_and_the_committer_goes_on():
    calls = []

    def apply_batch(changes):
        calls.append(len(changes))
        if len(calls) == 1:
            raise OSError("disk full")
        return [None] * len(changes)

    committer = GroupCommitter(apply_batch)

    async def first() -> None:
        await committer.apply(change("a"))

    with pytest.raises(OSError, match="disk full"):
        asyncio.run(first())
    asyncio.run(first())  # the next batch commits
    committer.close()
    with pytest.raises(RuntimeError, match="shutting down"):
        asyncio.run(first())
