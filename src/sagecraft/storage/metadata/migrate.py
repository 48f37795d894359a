"""Alembic, driven from code: the migration scripts ship inside the package and no alembic.ini is
needed. The server upgrades its database to head at start-up.

Developers create a revision for a schema change with::

    python -m sagecraft.storage.metadata.migrate revision -m "training jobs"

which autogenerates it against a scratch SQLite database upgraded to the current head."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from sagecraft.storage.metadata.engine import WRITE_OPTION, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant: PostgreSQL servers starting together take turns migrating.
_PG_MIGRATION_LOCK = 0x5A6E_C4AF


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in one transaction, one migrating process at a time."""
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as connection, connection.begin():
        command.downgrade(alembic_config(connection), revision)


def _next_revision_id() -> str:
    """Sequential ids (0001, 0002, …) keep the history readable in a directory listing."""
    revisions = list(ScriptDirectory.from_config(alembic_config()).walk_revisions())
    return f"{len(revisions) + 1:04d}"


def _revision(message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.sqlite3")
        try:
            upgrade(engine)
            with engine.connect().execution_options(**{WRITE_OPTION: True}) as connection, connection.begin():
                command.revision(alembic_config(connection), message=message, autogenerate=True,
                                 rev_id=_next_revision_id())
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sagecraft.storage.metadata.migrate")
    sub = parser.add_subparsers(dest="command", required=True)
    revision = sub.add_parser("revision", help="autogenerate a migration from the schema package")
    revision.add_argument("-m", "--message", required=True)
    upgrade_cmd = sub.add_parser("upgrade", help="upgrade a database to head")
    upgrade_cmd.add_argument("url")
    args = parser.parse_args(argv)
    if args.command == "revision":
        _revision(args.message)
    else:
        engine = create_engine(args.url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
