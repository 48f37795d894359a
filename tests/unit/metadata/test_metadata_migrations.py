"""The migrations shipped in the package build exactly schema.py, on every backend."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from sagecraft.storage.metadata import MetadataStore, migrate
from sagecraft.storage.metadata.schema import metadata
from tests.support.postgres import BACKENDS, database_url

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        yield url


def schema_diff(store: MetadataStore) -> list:
    with store.read() as db:
        return compare_metadata(MigrationContext.configure(db), metadata)


def test_head_equals_schema(url):
    store = MetadataStore.open(url)
    try:
        assert migrate.current_revision(store.engine) == migrate.head_revision()
        assert schema_diff(store) == []
    finally:
        store.close()


def test_reopening_at_head_is_a_no_op(url):
    MetadataStore.open(url).close()
    store = MetadataStore.open(url)
    try:
        assert migrate.current_revision(store.engine) == migrate.head_revision()
    finally:
        store.close()


def test_downgrade_to_base_and_upgrade_again(url):
    store = MetadataStore.open(url)
    try:
        migrate.downgrade(store.engine, "base")
        assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(store.engine)
        assert schema_diff(store) == []
    finally:
        store.close()


def test_history_is_linear():
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    # Two heads mean two branches each added a revision on the same parent: renumber yours.
    assert len(scripts.get_heads()) == 1


def test_migration_scripts_ship_as_package_data():
    versions = sorted(p.name for p in (migrate.MIGRATIONS / "versions").glob("*.py"))
    assert versions and (migrate.MIGRATIONS / "env.py").is_file()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    package_data = pyproject["tool"]["setuptools"]["package-data"]["sagecraft"]
    assert "storage/metadata/migrations/**/*" in package_data
