#!/usr/bin/env bash
# Install Rollcall with its test tools and run the whole suite: on SQLite always, on
# PostgreSQL when one answers (TEST_DATABASE_URL, default the local `test` database),
# and the browser tests when Debian's chromium is installed.
# REQUIRE_POSTGRES=1 (set by .ci/run) makes a missing PostgreSQL a failure.
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv || exit 1
.venv/bin/python -m pip install --quiet --upgrade pip || exit 1
.venv/bin/python -m pip install --quiet -r requirements-dev.txt || exit 1

status=0
run() {
    # pytest exits 5 when it ran no test: that is a failure here, not a pass.
    echo "== $1"; shift
    .venv/bin/python -m pytest "$@"
    local code=$?
    if [ $code -eq 5 ]; then echo "no tests ran: failing"; code=1; fi
    [ $code -eq 0 ] || status=1
}

PG_URL=${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
pg_up() {
    .venv/bin/python - "$PG_URL" <<'PY' 2>/dev/null
import sys, psycopg
psycopg.connect(sys.argv[1].replace("+psycopg", ""), connect_timeout=3).close()
PY
}

TEST_DATABASE_URL= run "SQLite" -q -m "not browser"
if pg_up; then
    TEST_DATABASE_URL=$PG_URL run "PostgreSQL ($PG_URL)" -q -m "not browser"
elif [ "${REQUIRE_POSTGRES:-0}" = 1 ]; then
    echo "PostgreSQL at $PG_URL does not answer"; status=1
else
    echo "== PostgreSQL not reachable at $PG_URL: skipped (set TEST_DATABASE_URL)"
fi

if [ -x /usr/bin/chromium ] && .venv/bin/python -c "import playwright" 2>/dev/null; then
    TEST_DATABASE_URL= run "Browser (chromium)" -q -m browser tests/browser
else
    echo "== Browser tests skipped: install Debian's chromium (apt-get install -y chromium)"
    [ "${REQUIRE_BROWSER:-0}" = 1 ] && status=1
fi
exit $status
