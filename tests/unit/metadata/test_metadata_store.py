"""The metadata store's engine settings, units of work and compare-and-set, on every backend."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select, text

from sagecraft.storage.metadata import MetadataStore, MetadataStoreError, compare_and_set
from sagecraft.storage.metadata.engine import normalize_url
from sagecraft.storage.metadata.schema import UtcDateTime
from tests.support.postgres import BACKENDS, database_url
from tests.support.server import free_port

scratch = MetaData()
# A table of the tests' own: the store's helpers work on any table.
jobs = Table(
    "test_jobs", scratch,
    Column("name", String(64), primary_key=True),
    Column("status", String(32)),
    Column("counter", Integer, nullable=False),
    Column("updated_at", UtcDateTime),
)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        store = MetadataStore.open(url)
        scratch.create_all(store.engine)
        yield store
        store.close()


def add_job(store: MetadataStore, name: str, status: str | None = "InProgress") -> None:
    with store.write() as db:
        db.execute(insert(jobs).values(name=name, status=status, counter=0))


def job(store: MetadataStore, name: str):
    with store.read() as db:
        return db.execute(select(jobs).where(jobs.c.name == name)).one()


def test_postgres_urls_use_psycopg():
    assert normalize_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u:p@h/db").drivername == "postgresql+psycopg"


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'nested' / 'm.sqlite3'}")
    try:
        with store.read() as db:
            assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert db.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert db.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert db.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        store.close()


def test_a_failed_unit_of_work_leaves_nothing(store):
    with pytest.raises(RuntimeError), store.write() as db:
        db.execute(insert(jobs).values(name="rolled-back", status="InProgress", counter=0))
        raise RuntimeError("boom")
    with store.read() as db:
        assert db.execute(select(jobs).where(jobs.c.name == "rolled-back")).first() is None


def test_datetimes_come_back_aware_in_utc(store):
    add_job(store, "timed")
    moment = dt.datetime(2026, 3, 1, 12, 30, 15, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with store.write() as db:
        db.execute(jobs.update().where(jobs.c.name == "timed").values(updated_at=moment))
    stored = job(store, "timed").updated_at
    assert stored == moment
    assert stored.utcoffset() == dt.timedelta(0)


def test_compare_and_set_moves_only_from_the_expected_state(store):
    add_job(store, "train-1")
    with store.write() as db:
        assert compare_and_set(db, jobs, {"name": "train-1"}, {"status": "InProgress"}, {"status": "Stopping"})
    with store.write() as db:
        assert not compare_and_set(db, jobs, {"name": "train-1"}, {"status": "InProgress"}, {"status": "Completed"})
        assert not compare_and_set(db, jobs, {"name": "missing"}, {"status": "Stopping"}, {"status": "Stopped"})
    assert job(store, "train-1").status == "Stopping"


def test_compare_and_set_matches_null(store):
    add_job(store, "fresh", status=None)
    with store.write() as db:
        assert compare_and_set(db, jobs, {"name": "fresh"}, {"status": None}, {"status": "Pending"})
    assert job(store, "fresh").status == "Pending"


def test_concurrent_writers_from_threads_lose_no_update(store):
    add_job(store, "shared")
    threads, rounds = 8, 25
    errors: list[BaseException] = []

    def increment() -> None:
        try:
            for _ in range(rounds):
                while True:  # the state-machine pattern: read, then compare-and-set, retry on a race
                    with store.read() as db:
                        seen = db.execute(select(jobs.c.counter).where(jobs.c.name == "shared")).scalar_one()
                    with store.write() as db:
                        if compare_and_set(db, jobs, {"name": "shared"}, {"counter": seen}, {"counter": seen + 1}):
                            break
        except BaseException as error:  # surfaced below: a thread's failure must fail the test
            errors.append(error)

    workers = [threading.Thread(target=increment) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert job(store, "shared").counter == threads * rounds


def test_a_database_from_a_newer_sagecraft_is_refused_clearly(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    MetadataStore.open(url).close()
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(MetadataStoreError, match="Cannot upgrade the metadata store"):
        MetadataStore.open(url)


def test_an_unreachable_postgresql_is_reported_without_its_password():
    port = free_port()  # nothing listens there
    with pytest.raises(MetadataStoreError, match="Cannot use the metadata store") as info:
        MetadataStore.open(f"postgresql://user:s3cret@127.0.0.1:{port}/db", connect_args={"connect_timeout": 5})
    assert "s3cret" not in str(info.value)
