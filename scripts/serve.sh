#!/usr/bin/env bash
# Install Rollcall, create or upgrade its database, and start it under gunicorn.
# Works on a fresh machine with Python 3.11: everything goes into .venv/.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt

export FLASK_APP=app
.venv/bin/flask --app app db upgrade
.venv/bin/flask --app app admins ensure-first

BIND=${BIND:-127.0.0.1:8000}
PUBLIC_URL=${PUBLIC_URL:-http://$BIND}
echo
echo "Rollcall is starting on $BIND (database: ${DATABASE_URL:-SQLite in instance/rollcall.sqlite})"
echo "  Admin UI:                  $PUBLIC_URL/admin/"
echo "  SCIM base URL (Tenant URL): $PUBLIC_URL/scim/v2"
echo "  Create a token:            .venv/bin/flask --app app tokens create --name entra"
echo
export BIND
exec .venv/bin/gunicorn --config gunicorn.conf.py wsgi:app
