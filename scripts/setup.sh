#!/usr/bin/env bash
# Set-up shared by scripts/test.sh, quickstart.sh, reproduce.sh and recipes.sh; source
# it, don't run it:
#   source scripts/setup.sh DEBIAN_PACKAGE...
# Says first what it is about to install, then installs the Debian packages that are
# missing (as root with apt-get; otherwise prints the exact command and exits), creates
# $VENV (default .venv) with Python 3.11 if missing and installs the project into it with
# its dev extra. Afterwards $VENV/bin/python is ready.
# Environment: PYTHON (default python3.11, else python3), VENV (default .venv).

# Why each Debian package is wanted, for the announcement below.
declare -A SETUP_WHY=(
  [fluidsynth]="renders the synthetic data set's notes"
  [timgm6mb-soundfont]="the sampled instruments fluidsynth plays"
  [chromium]="the browser the rating app's test drives"
)

missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}

# The announcement: what will change on this machine, before anything does.
echo "setup: installs what is missing, then goes on:"
if ((${#missing[@]})); then
  for pkg in "${missing[@]}"; do
    echo "  - Debian package $pkg (${SETUP_WHY[$pkg]:-needed}), as root with apt-get"
  done
else
  echo "  - Debian packages $*: already installed"
fi
if [ -x "$VENV/bin/python" ]; then
  echo "  - $VENV: exists"
else
  echo "  - a Python virtual environment $VENV, with $PYTHON (3.11 needed)"
fi
echo "  - pip install -e '.[dev]' into $VENV: this project, TensorFlow 2.17.1 and the other"
echo "    pins of setup.cfg, and the test tools (about 3 GB on a first run; quick after)"

if ((${#missing[@]})); then
  cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    $cmd
  else
    echo "setup: missing Debian packages. As root, run:" >&2
    echo "  sudo apt-get update && sudo $cmd" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  # TensorFlow 2.17 and tensorflow-io 0.37 have wheels for this one version together.
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo "setup: $PYTHON is not Python 3.11, which avgan needs; set PYTHON=/path/to/python3.11" >&2
    exit 1
  fi
  echo "setup: creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
fi
echo "setup: pip install -e '.[dev]'"
"$VENV/bin/pip" install --quiet -e '.[dev]'
