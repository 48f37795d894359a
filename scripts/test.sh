#!/usr/bin/env bash
# The whole test suite from a fresh machine: set-up, ruff, import-linter, then pytest with a
# throw-away PostgreSQL server for the postgres-marked tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
PY=.venv/bin/python  # `python -m`, not the venv's scripts: they carry the path of the venv that made them

echo "== ruff"
lint_paths=(src tests)
[ -d bench ] && lint_paths+=(bench)
"$PY" -m ruff check "${lint_paths[@]}"

echo "== import-linter"
"$PY" -c 'import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())'

if [ -z "${SAGECRAFT_TEST_POSTGRES_URL:-}" ] && [ -f tests/support/postgres.sh ]; then
    echo "== postgresql"
    export SAGECRAFT_PG_STATE="${TMPDIR:-/tmp}/sagecraft-postgres-$$.state"
    if url=$(bash tests/support/postgres.sh start); then
        export SAGECRAFT_TEST_POSTGRES_URL=$url
        trap 'bash tests/support/postgres.sh stop' EXIT
    elif [ "${CI:-}" = true ]; then
        echo "test.sh: could not start PostgreSQL" >&2
        exit 1
    else
        echo "test.sh: could not start PostgreSQL; the postgres-marked tests will be skipped" >&2
    fi
fi

# With no arguments, the suite runs in two worker processes (pytest-xdist), each file on one worker
# with its own test server: most tests wait on jobs and endpoints, so two workers overlap the waits.
# SAGECRAFT_TEST_WORKERS=0 runs it in one process.
workers=()
if [ $# -eq 0 ] && [ "${SAGECRAFT_TEST_WORKERS:-2}" != 0 ]; then
    workers=(-n "${SAGECRAFT_TEST_WORKERS:-2}" --dist loadfile --durations=25)
fi

echo "== pytest"
"$PY" -m pytest "${workers[@]}" "$@"

# The metadata-backed API suites once more, every test server on PostgreSQL (conftest.py).
if [ $# -eq 0 ] && [ -n "${SAGECRAFT_TEST_POSTGRES_URL:-}" ]; then
    echo "== pytest, test servers on PostgreSQL"
    SAGECRAFT_TEST_SERVER_DATABASE=$SAGECRAFT_TEST_POSTGRES_URL \
        "$PY" -m pytest "${workers[@]}" tests/api/logs tests/api/sts tests/api/cloudwatch tests/api/jobs tests/api/hosting tests/api/tuning \
        tests/api/iam tests/api/kms
fi
