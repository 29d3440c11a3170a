#!/usr/bin/env bash
# The project's test command: sets up everything on a fresh machine, then runs pytest.
#   scripts/test.sh                 # fast tests (slow ones are skipped)
#   scripts/test.sh -m slow         # only the slow ones; any pytest arguments work
# Environment: PYTHON (default python3.11, else python3), VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

# FluidSynth renders real instrument audio; Chromium runs the rating app's browser test
# (driven by the Python playwright package, which uses this system browser).
# setup.sh installs what is missing, creates $VENV and runs pip install -e '.[dev]'.
source scripts/setup.sh fluidsynth timgm6mb-soundfont chromium

exec "$VENV/bin/python" -m pytest "$@"
