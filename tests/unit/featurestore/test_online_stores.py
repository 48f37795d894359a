"""The online store contract, run against the embedded SQLite store and a real Redis server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sagecraft.services.featurestore.online import Write
from sagecraft.services.featurestore.online_sqlite import SqliteOnlineStore
from tests.api.featurestore.support import redis_server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path: Path):
    if request.param == "sqlite":
        opened = SqliteOnlineStore(tmp_path / "online.sqlite3")
    else:
        from sagecraft.services.featurestore.online_redis import RedisOnlineStore

        opened = RedisOnlineStore(request.getfixturevalue("redis_url"), tmp_path / "journal.sqlite3")
    yield opened
    opened.close()


def _key(tmp_path: Path) -> str:
    return f"group-{tmp_path.name}#1"


def test_newest_event_wins_and_ties_go_to_the_latest_write(store, tmp_path):
    key = _key(tmp_path)
    store.apply(key, [Write("a", 10.0, {"v": "new"})], [])
    store.apply(key, [Write("a", 5.0, {"v": "old"})], [])
    assert store.get(key, ["a"])["a"].values == {"v": "new"}
    store.apply(key, [Write("a", 10.0, {"v": "tie"})], [])
    assert store.get(key, ["a", "missing"])["a"].values == {"v": "tie"}
    assert list(store.get(key, ["a", "missing"])) == ["a"]


def test_soft_delete_tombstone_and_hard_delete(store, tmp_path):
    key = _key(tmp_path)
    store.apply(key, [Write("a", 10.0, {"v": "x"})], [])
    store.apply(key, [Write("a", 20.0, None)], [])
    assert store.get(key, ["a"])["a"].values is None
    store.apply(key, [Write("a", 15.0, {"v": "stale"})], [])
    assert store.get(key, ["a"])["a"].values is None
    store.apply(key, [Write("a", 30.0, None, hard_delete=True)], [])
    assert store.get(key, ["a"]) == {}
    store.apply(key, [Write("a", 1.0, {"v": "again"})], [])
    assert store.get(key, ["a"])["a"].values == {"v": "again"}


def test_expiry_scan_size_and_drop(store, tmp_path):
    key = _key(tmp_path)
    store.apply(key, [Write(f"r{i}", 1.0, {"v": str(i)}, expires_at=100.0 if i == 0 else None) for i in range(5)], [])
    found = store.get(key, ["r0", "r1"])
    assert not found["r0"].live(now=200.0) and found["r1"].live(now=200.0)
    assert [r.record_id for r in store.scan(key, "", 3)] == ["r0", "r1", "r2"]
    assert [r.record_id for r in store.scan(key, "r2", 3)] == ["r3", "r4"]
    assert store.size_bytes(key) > 0
    store.drop(key)
    assert store.scan(key, "", 10) == [] and store.size_bytes(key) == 0


def test_journal_rows_are_kept_until_acknowledged(store, tmp_path):
    key = _key(tmp_path)
    store.apply(key, [Write("a", 1.0, {"v": "1"}, online=False)], [(key, '{"n": 1}'), (key, '{"n": 2}')])
    assert store.get(key, ["a"]) == {}  # offline only
    taken = store.journal_take(10)
    assert [row for _, _, row in taken] == ['{"n": 1}', '{"n": 2}']
    store.journal_ack([taken[0][0]])
    assert [row for _, _, row in store.journal_take(10)] == ['{"n": 2}']
