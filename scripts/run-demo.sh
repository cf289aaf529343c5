#!/usr/bin/env bash
# Quick start 1: set up, create a demo pod on first run, launch Carepod on it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
DB="${CAREPOD_DEMO_DB:-$("$VENV/bin/python" -c 'from storage.db import default_db_path; print(default_db_path().with_name("demo-pod.db"))')}"
if [ ! -f "$DB" ]; then
  echo "carepod: creating the demo pod in $DB (first run only)"
  "$VENV/bin/python" "$ROOT/main.py" demo --db "$DB" --practices 6 --patients 3000 --seed 1
  echo "carepod: computing gaps in care for $(($(date +%Y) - 1)) and $(date +%Y)"
  for year in $(($(date +%Y) - 1)) "$(date +%Y)"; do
    "$VENV/bin/python" "$ROOT/main.py" recompute --db "$DB" --period-start "$year-01-01" --period-end "$year-12-31"
  done
fi
exec "$VENV/bin/python" "$ROOT/main.py" --db "$DB" "$@"
