#!/usr/bin/env bash
# The project's test command: sets up everything on a fresh machine, then runs pytest.
#   scripts/test.sh                 # fast tests (slow ones are skipped)
#   scripts/test.sh -m slow         # only the slow ones; any pytest arguments work
# Environment: PYTHON (default python3.11, else python3), VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: FluidSynth renders real instrument audio; Chromium
# runs the rating app's browser test (driven by the Python playwright package, which
# uses this system browser and downloads nothing).
DEB_PACKAGES=(fluidsynth timgm6mb-soundfont chromium)

missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    echo "scripts/test.sh: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    $cmd
  else
    echo "scripts/test.sh: missing Debian packages. As root, run:" >&2
    echo "  sudo $cmd" >&2
    exit 1
  fi
fi

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x "$VENV/bin/python" ]; then
  echo "scripts/test.sh: creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
fi
echo "scripts/test.sh: pip install -e '.[dev]'"
"$VENV/bin/pip" install --quiet -e '.[dev]'

exec "$VENV/bin/python" -m pytest "$@"
