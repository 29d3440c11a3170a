#!/usr/bin/env bash
# The project's test command: sets up everything on a fresh machine, then runs pytest.
#   scripts/test.sh                 # fast tests (slow ones are skipped)
#   scripts/test.sh -m slow         # only the slow ones; any pytest arguments work
#   TEST_WORKERS=0 scripts/test.sh tests/test_config.py -s   # one process (pdb, -s)
# Environment: PYTHON (default python3.11, else python3), VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

# Said before anything is installed: what this machine gets, and why.
cat <<'EOF'
test.sh: the tests need Debian (apt) and Python 3.11. They render real instrument notes
(Debian packages fluidsynth and timgm6mb-soundfont) and drive the rating app in a browser
(Debian package chromium, through the playwright Python package); setup installs the
missing packages as root with apt-get, then the project into a virtual environment
(pip install -e '.[dev]'). The README says how to do each by hand. Then pytest runs.
EOF
# setup.sh lists what is missing, installs it, creates $VENV and runs pip install -e '.[dev]'.
source scripts/setup.sh fluidsynth timgm6mb-soundfont chromium

# Two pytest workers (pytest-xdist): most of a test's time is single-threaded Python
# (TensorFlow tracing), so two workers use both cores. They take one test at a time in
# collection order, which tests/conftest.py sorts longest file first, so the run does
# not end on one worker alone in a long file. TEST_WORKERS=0 runs in this process (for
# pdb or -s); arguments given here come after, and win.
WORKERS=(-n "${TEST_WORKERS:-2}" --dist loadgroup --no-loadscope-reorder)
echo "test.sh: $VENV/bin/python -m pytest ${WORKERS[*]} $*"
exec "$VENV/bin/python" -m pytest "${WORKERS[@]}" "$@"
