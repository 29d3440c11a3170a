"""scripts/quickstart.sh and scripts/test.sh say what they do before doing it: run with
stand-ins for apt-get, pip and Python (nothing is installed or trained; under a second)."""

import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def stand_ins(tmp_path) -> dict[str, str]:
    """The environment of a run on a machine as root with no Debian package installed
    (`id -u` says 0, dpkg-query finds nothing) whose apt-get, $VENV/bin/pip and
    $VENV/bin/python only print their command lines."""
    scripts = {"bin/id": "echo 0", "bin/dpkg-query": "exit 1"}
    for path in ("bin/apt-get", "venv/bin/pip", "venv/bin/python"):
        scripts[path] = f'echo "RAN {os.path.basename(path)} $*"'
    for path, body in scripts.items():
        file = tmp_path / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(f"#!/bin/sh\n{body}\n")
        file.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "VENV": str(tmp_path / "venv"),
        "RUN": str(tmp_path / "run"),
    }


def _run(script: str, env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        ["bash", script], capture_output=True, text=True, env=env, cwd=REPO, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


def test_quickstart_prints_a_header_per_stage_and_builds_the_data_first(stand_ins):
    lines = _run("scripts/quickstart.sh", stand_ins)
    headers = [line for line in lines if line.startswith("== ")]
    assert [h.split()[1] for h in headers] == ["1/6", "2/6", "3/6", "4/6", "5/6", "6/6"]
    assert "building the synthetic data set" in headers[1]
    assert "first run only" in headers[1]
    commands = [line for line in lines if line.startswith("RAN python -m")]
    assert commands[0].startswith("RAN python -m avgan.data.synthetic --out")
    assert [c.split()[4] for c in commands[1:]] == [
        "--mode=sound_classifier",
        "--mode=image_classifier",
        "--mode=s2i",
        f"--model_dir={stand_ins['RUN']}/s2i-c",  # 6: avgan.export_main, SavedModel only
    ]
    assert commands[-1].endswith(f"--out={stand_ins['RUN']}/export")
    assert lines[-1].startswith("try it in a browser: ") and "avgan-demo --models" in lines[-1]


def test_test_sh_says_what_it_installs_before_installing(stand_ins):
    lines = _run("scripts/test.sh", stand_ins)
    first_install = next(i for i, line in enumerate(lines) if line.startswith("RAN "))
    assert lines[first_install] == "RAN apt-get update -qq"
    said = "\n".join(lines[:first_install])
    assert "Debian" in said and "Python 3.11" in said and "pip install -e '.[dev]'" in said
    for package in ("fluidsynth", "timgm6mb-soundfont", "chromium"):
        assert f"  - Debian package {package} (" in said  # each with why
    assert "RAN apt-get install -y --no-install-recommends fluidsynth" in "\n".join(lines)
    assert lines[-1].startswith("RAN python -m pytest")
