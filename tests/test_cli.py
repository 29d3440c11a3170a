"""The command lines: every console script is installed, `--help` says what the command
does and lists its flags (exit 0), and a bad flag is one line naming it (exit 2)."""

import ast
import configparser
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

# script -> (a flag its help lists, the first words of its docstring)
SCRIPTS = {
    "avgan-train": ("--mode", "Train avgan's networks"),
    "avgan-evaluate": ("--draws", "Evaluate trained GANs"),
    "avgan-generate": ("--sound", "Generate with a trained GAN run"),
    "avgan-export": ("--tflite", "Export a trained GAN"),
}


def _console_scripts() -> dict[str, str]:
    parser = configparser.ConfigParser()
    parser.read(os.path.join(REPO, "setup.cfg"))
    lines = parser["options.entry_points"]["console_scripts"].strip().splitlines()
    return dict(line.replace(" ", "").split("=") for line in lines)


def _script(name: str) -> str:
    found = shutil.which(name, path=os.path.dirname(sys.executable))
    if found is None:
        pytest.skip(f"{name} is not installed beside {sys.executable} (pip install -e .)")
    return found


def test_every_tool_has_a_console_script():
    scripts = _console_scripts()
    assert scripts == {
        "avgan-train": "avgan.train:run",
        "avgan-evaluate": "avgan.evaluate:run",
        "avgan-generate": "avgan.generate:run",
        "avgan-export": "avgan.export_main:run",
        "avgan-humaneval": "avgan.humaneval.__main__:run",
        "avgan-data": "avgan.data.cli:run",
    }
    # Read, not imported: entry points define their flags on import, once per process.
    for target in scripts.values():
        module, function = target.split(":")
        with open(importlib.util.find_spec(module).origin) as f:
            tree = ast.parse(f.read())
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert function in defined, target


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_help_describes_the_command_and_lists_its_flags(script):
    flag, first_words = SCRIPTS[script]
    done = subprocess.run(
        [_script(script), "--help"], capture_output=True, text=True, env=ENV, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(first_words)
    assert f"flags of {script}:" in done.stdout and f"  {flag}  " in done.stdout
    assert "--helpshort" not in done.stdout  # absl's own flags are left out


def test_a_bad_flag_is_one_line_naming_it():
    done = subprocess.run(
        [sys.executable, "-m", "avgan.train", "--mode=s2i", "--epoch=3"],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-2:] == [
        "python -m avgan.train: Unknown command line flag 'epoch'. Did you mean: epochs ?",
        "Run `python -m avgan.train --help` for its flags.",
    ]


def test_a_bad_value_names_the_flag_and_the_config_field(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "avgan.train", "--mode=s2i_pose", "--aux_weight=1"],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1
    assert "--aux_weight (gan.aux_weight)=1.0: is for mode s2i or i2s" in done.stderr
    assert not os.path.exists(tmp_path / "runs")  # refused before any work
