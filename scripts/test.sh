#!/usr/bin/env bash
# Quick start 2: set up and run the whole test suite (headless). .ci/run calls this.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
export QT_QPA_PLATFORM=offscreen
set +e
"$VENV/bin/python" -m pytest -n "${CAREPOD_TEST_WORKERS:-2}" -q "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "carepod: pytest collected no tests: failing" >&2
  exit 1
fi
exit "$status"
