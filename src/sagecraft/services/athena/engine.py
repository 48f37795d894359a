"""Athena (Trino) SQL run by DuckDB: sqlglot reads the query as Athena SQL, every catalog table it
names becomes a DuckDB view over the table's files (tables.py), and the query is written out in
DuckDB's dialect. DDL for external tables goes to the Glue catalog (ddl.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from sagecraft.services.athena import ddl
from sagecraft.services.athena.formatting import copy_statement
from sagecraft.services.athena.functions import rewrite
from sagecraft.services.athena.tables import TableError, TableReader, quote


class Catalog(Protocol):
    def get_table(self, account_id: str, region: str, database: str, name: str) -> dict[str, Any]: ...
    def create_table(self, account_id: str, region: str, database: str, table_input: dict[str, Any]) -> None: ...
    def delete_table(self, account_id: str, region: str, database: str, name: str) -> None: ...


class QueryError(Exception):
    """Why a query FAILED, in Athena's words (``ERROR_CODE: detail``)."""


@dataclass
class QueryResult:
    statement_type: str  # DML | DDL
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, DuckDB type)
    csv_path: str | None = None  # the result as Athena's CSV (header first); the caller removes it
    engine_millis: int = 0


def _not_found(database: str, name: str) -> QueryError:
    return QueryError(f"TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.{database}.{name}' does not exist")


class Engine:
    def __init__(
        self, catalog: Catalog, reader: TableReader, work_dir: Path, before_query: Callable[[], Any] | None = None
    ) -> None:
        self.catalog = catalog
        self.reader = reader
        self.work_dir = work_dir
        self.before_query = before_query

    def run(
        self,
        sql: str,
        account_id: str,
        region: str,
        database: str,
        on_connection: Callable[[duckdb.DuckDBPyConnection], None] = lambda conn: None,
    ) -> QueryResult:
        started = time.monotonic()
        try:
            statement = ddl.parse(sql)
        except ddl.DdlError as error:
            raise QueryError(f"NOT_SUPPORTED: {error}") from None
        if statement is not None:
            self._run_ddl(statement, account_id, region, database)
            return QueryResult("DDL", engine_millis=int((time.monotonic() - started) * 1000))
        result = self._run_query(sql, account_id, region, database, on_connection)
        result.engine_millis = int((time.monotonic() - started) * 1000)
        return result

    def _run_ddl(self, statement: ddl.CreateTable | ddl.DropTable, account_id: str, region: str, database: str) -> None:
        target = statement.database or database
        if isinstance(statement, ddl.DropTable):
            try:
                self.catalog.delete_table(account_id, region, target, statement.name)
            except Exception:
                if not statement.if_exists:
                    raise QueryError(
                        f"FAILED: SemanticException [Error 10001]: Table not found {target}.{statement.name}"
                    ) from None
            return
        try:
            self.catalog.get_table(account_id, region, target, statement.name)
            if statement.if_not_exists:
                return
            raise QueryError(f"FAILED: AlreadyExistsException: Table {statement.name} already exists")
        except QueryError:
            raise
        except Exception:
            pass
        try:
            self.catalog.create_table(account_id, region, target, statement.table_input)
        except Exception as error:
            raise QueryError(f"FAILED: {getattr(error, 'message', error)}") from None

    def _run_query(
        self,
        sql: str,
        account_id: str,
        region: str,
        database: str,
        on_connection: Callable[[duckdb.DuckDBPyConnection], None],
    ) -> QueryResult:
        try:
            tree = sqlglot.parse_one(sql.strip().rstrip(";"), read="athena")
        except ParseError as error:
            raise QueryError(f"INVALID_INPUT: line 1:1: {str(error).splitlines()[0]}") from None
        if not isinstance(tree, exp.Query):
            raise QueryError(f"NOT_SUPPORTED: {tree.key.upper()} statements are not supported by Sagecraft yet")
        if self.before_query is not None:
            self.before_query()  # acknowledged records reach the offline tables first
        conn = duckdb.connect()
        try:
            conn.execute("SET TimeZone = 'UTC'")
            on_connection(conn)
            self._create_views(conn, tree, account_id, region, database)
            sql = rewrite(tree).sql(dialect="duckdb")
            relation = conn.sql(sql)
            if relation is None:
                return QueryResult("DML")
            columns = list(zip(relation.columns, [str(t) for t in relation.types], strict=True))
            return QueryResult("DML", columns, self._write_csv(conn, sql, columns))
        except duckdb.InterruptException:
            raise QueryError("Query cancelled by user") from None
        except (duckdb.Error, TableError, ValueError) as error:
            raise QueryError(f"GENERIC_INTERNAL_ERROR: {str(error).splitlines()[0]}") from None
        finally:
            conn.close()

    def _write_csv(self, conn: duckdb.DuckDBPyConnection, sql: str, columns: list[tuple[str, str]]) -> str:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        handle, path = tempfile.mkstemp(dir=self.work_dir, suffix=".csv")
        body = path + ".body"
        try:
            conn.execute(copy_statement(sql, [kind for _, kind in columns], body))
            with os.fdopen(handle, "wb") as out, open(body, "rb") as rows:
                out.write((",".join('"' + n.replace('"', '""') + '"' for n, _ in columns) + "\n").encode())
                shutil.copyfileobj(rows, out, 1 << 20)
        except BaseException:
            os.unlink(path)
            raise
        finally:
            if os.path.exists(body):
                os.unlink(body)
        return path

    def _create_views(
        self, conn: duckdb.DuckDBPyConnection, tree: exp.Expression, account_id: str, region: str, database: str
    ) -> None:
        local = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        made: set[tuple[str, str]] = set()
        for table in tree.find_all(exp.Table):
            if not table.name or (not table.db and table.name.lower() in local):
                continue
            schema, name = (table.db or database).lower(), table.name.lower()
            table.set("catalog", None)
            table.set("db", exp.to_identifier(schema, quoted=True))
            table.set("this", exp.to_identifier(name, quoted=True))
            if (schema, name) in made:
                continue
            try:
                entry = self.catalog.get_table(account_id, region, schema, name)
            except Exception:
                raise _not_found(schema, name) from None
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
            conn.execute(f"CREATE VIEW {quote(schema)}.{quote(name)} AS {self.reader.view_sql(conn, entry)}")
            made.add((schema, name))
