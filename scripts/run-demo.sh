#!/usr/bin/env bash
# Quick start 1: set up, put a demo pod in the default database on first run, launch Carepod on it.
# The default database is the one every command uses without --db (CAREPOD_HOME moves it); a
# database that already holds a pod is opened as it is, never replaced.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
DB="$("$VENV/bin/python" -c 'from storage.db import default_db_path; print(default_db_path())')"
HOLDS_POD="$("$VENV/bin/python" -c 'import sys; from pathlib import Path
from storage.demo.generate import describe_existing
path = Path(sys.argv[1])
print(1 if path.exists() and describe_existing(path)[0] else 0)' "$DB")"
if [ "$HOLDS_POD" = "0" ]; then
  echo "carepod: creating the demo pod in $DB (first run only)"
  "$VENV/bin/python" "$ROOT/main.py" demo --db "$DB" --practices 6 --patients 3000 --seed 1
  echo "carepod: computing gaps in care for $(($(date +%Y) - 1)) and $(date +%Y)"
  for year in $(($(date +%Y) - 1)) "$(date +%Y)"; do
    "$VENV/bin/python" "$ROOT/main.py" recompute --db "$DB" --period-start "$year-01-01" --period-end "$year-12-31"
  done
fi
exec "$VENV/bin/python" "$ROOT/main.py" --db "$DB" "$@"
