#!/usr/bin/env bash
# Installs what Carepod needs on a fresh Debian/Ubuntu machine and is safe to run again:
# Qt's system libraries (only those missing), a virtual environment in .venv, and Carepod
# with its test extras. Sourced by run-demo.sh and test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

QT_LIBS=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
         libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
         libxcb-render-util0 libxcb-image0 libxcb-xkb1 libglib2.0-0)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${QT_LIBS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "carepod: installing Qt system libraries: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # a name unknown to this release (e.g. libglib2.0-0 renamed in Debian 13) is skipped, not fatal
  for pkg in "${missing[@]}"; do
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null \
      || echo "carepod: note: could not install $pkg (not in this release?)"
  done
fi

PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "carepod: creating virtual environment in .venv"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.carepod-installed"
if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
  echo "carepod: installing Python packages"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT[test]"
  touch "$stamp"
fi
