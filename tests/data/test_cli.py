"""`avgan-data`: the dispatcher to the three builders (no data set is built here)."""

import os
import subprocess
import sys

import pytest

from avgan.data import cli

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(argv, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        cli.run(argv)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def _listed_builders(text: str) -> list[str]:
    return [line.split()[0] for line in text.splitlines() if line.startswith("  ")]


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_lists_the_three_builders_and_exits_0(flag, capsys):
    code, out, err = _run(["avgan-data", flag], capsys)
    assert code == 0 and err == ""
    assert out.startswith("usage: avgan-data BUILDER [flags]")
    assert _listed_builders(out) == ["synthetic", "urmp", "inis"]


def test_no_builder_prints_the_usage_and_exits_2(capsys):
    code, out, err = _run(["avgan-data"], capsys)
    assert code == 2 and out == ""
    assert "no builder given" in err
    assert _listed_builders(err) == ["synthetic", "urmp", "inis"]


def test_unknown_builder_is_named_and_exits_2(capsys):
    code, out, err = _run(["avgan-data", "sub-urmp", "--out", "x"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("avgan-data: unknown builder 'sub-urmp'")
    assert _listed_builders(err) == ["synthetic", "urmp", "inis"]


def test_builder_help_lists_its_flags_in_a_subprocess():
    code = "from avgan.data.cli import run; run(['avgan-data', 'synthetic', '--help'])"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Build the synthetic ensemble")  # the builder's docstring
    assert "flags of avgan-data synthetic:" in proc.stdout
    for flag in ("--out", "--preset", "--contact_sheet", "--workers"):
        assert flag in proc.stdout
    assert "--urmp" not in proc.stdout  # only the chosen builder is imported


def _run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, cwd=REPO, timeout=60
    )


def test_python_m_urmp_help_exits_0_with_the_builders_doc_and_flags():
    """`python -m avgan.data.urmp` goes through `run_builder` as `avgan-data urmp` does
    (absl's own help exited 1); the package imports no TensorFlow, so this is quick."""
    proc = _run_module("avgan.data.urmp", "--help")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert proc.stdout.startswith("Build the Sub-URMP layout from a raw URMP download")
    assert "flags of python -m avgan.data.urmp:" in proc.stdout
    assert "--urmp" in proc.stdout and "--verbose" in proc.stdout


def test_python_m_inis_errors_are_one_line(tmp_path):
    """A folder the builder refuses is one line and exit 1 (run directly, it was a
    traceback, after TensorFlow's log)."""
    proc = _run_module(
        "avgan.data.inis", f"--images={tmp_path}/none", f"--audio={tmp_path}", "--out=x"
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"python -m avgan.data.inis: {tmp_path}/none: no such folder"
    ]
