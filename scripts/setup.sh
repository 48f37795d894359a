#!/usr/bin/env bash
# Sets up a fresh machine (Debian, Python >= 3.11) for Sagecraft; safe to run again.
#   .venv        the package, editable, with its dev tools (pytest, ruff, import-linter)
#   .venv-tools  the AWS CLI and s3fs, apart: they pin another botocore than the SageMaker SDK
#   postgresql   Debian's server, for the PostgreSQL tests (installed when root and missing)
#   redis-server Debian's server, for the feature store's Redis online store tests (same rule)
# Everything comes from PyPI and Debian's archive.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
TOOLS=("awscli==1.46.3" "s3fs==2026.9.0")
say() { echo "setup: $*" >&2; }

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "Sagecraft needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1). Set PYTHON=/path/to/python3.11."
    exit 1
fi

# A venv whose stamp (the requirements it was built from, and this checkout) still matches is
# left alone, so a second run costs a second.
venv() {  # venv DIR STAMP CHECK PIP-ARGS...
    local dir=$1 stamp=$2 check=$3
    shift 3
    if ! "$dir/bin/python" -c 'import sys' 2>/dev/null; then
        say "creating $dir"
        rm -rf "$dir"
        "$PYTHON" -m venv "$dir"
    fi
    if [ "$(cat "$dir/.sagecraft-stamp" 2>/dev/null)" = "$stamp" ] && "$dir/bin/python" -c "$check" 2>/dev/null; then
        return
    fi
    say "installing into $dir: $*"
    "$dir/bin/python" -m pip install -qq --disable-pip-version-check "$@"  # -qq: errors only
    echo "$stamp" >"$dir/.sagecraft-stamp"
}

here=$(pwd)
venv .venv "$(sha256sum pyproject.toml | cut -c1-64) $here" \
    "import sagecraft, sys; sys.exit(not sagecraft.__file__.startswith('$here/src/'))" \
    -e '.[dev]'
# (awscli aliases botocore to its own copy once imported: check it without importing it)
venv .venv-tools "${TOOLS[*]}" "import s3fs, importlib.util; assert importlib.util.find_spec('awscli')" "${TOOLS[@]}"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        say "installing Debian's postgresql (for the PostgreSQL tests)"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    else
        say "PostgreSQL is missing and this is not root: the PostgreSQL tests will be skipped" \
            "(sudo apt-get install postgresql to run them)"
    fi
fi
if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        say "installing Debian's redis-server (for the Redis online store tests)"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
    else
        say "redis-server is missing and this is not root: the Redis online store tests will be skipped" \
            "(sudo apt-get install redis-server to run them)"
    fi
fi
say "ready: .venv/bin/sagecraft, .venv-tools/bin/aws"
