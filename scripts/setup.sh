#!/usr/bin/env bash
# Set-up shared by scripts/test.sh and scripts/quickstart.sh; source it, don't run it:
#   source scripts/setup.sh DEBIAN_PACKAGE...
# Installs the Debian packages that are missing (as root; otherwise prints the exact
# command and exits), creates $VENV (default .venv) if missing and installs the project
# into it with its dev extra. Afterwards $VENV/bin/python is ready.
# Environment: PYTHON (default python3.11, else python3), VENV (default .venv).

missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    $cmd
  else
    echo "setup: missing Debian packages. As root, run:" >&2
    echo "  sudo $cmd" >&2
    exit 1
  fi
fi

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
fi
echo "setup: pip install -e '.[dev]'"
"$VENV/bin/pip" install --quiet -e '.[dev]'
