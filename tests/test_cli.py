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
    "avgan-demo": ("--models", "A page to try the exported models"),
    "avgan-probe": ("--encoder", "What a sound encoding carries"),
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
        "avgan-demo": "avgan.demo.__main__:run",
        "avgan-data": "avgan.data.cli:run",
        "avgan-probe": "avgan.probe:run",
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
    assert "--aux_weight (gan.aux_weight)=1.0: names the instrument, and a pose" in done.stderr
    assert not os.path.exists(tmp_path / "runs")  # refused before any work


# The help of the commands outside SCRIPTS: argparse's (humaneval) and a builder's alone.
@pytest.mark.parametrize(
    "command, first_words",
    [
        (["-m", "avgan.humaneval", "--help"], "usage: python -m avgan.humaneval"),
        (["-m", "avgan.data.synthetic", "--help"], "Build the synthetic ensemble"),
    ],
)
def test_help_of_the_other_commands_exits_0(command, first_words):
    done = subprocess.run(
        [sys.executable, *command], capture_output=True, text=True, env=ENV, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(first_words)


def test_no_entry_module_imports_tensorflow_on_import():
    # avgan.cli sets TensorFlow's log level when the command starts, which works only if
    # TensorFlow is not loaded yet: at import, every entry point must leave it out.
    modules = [t.split(":")[0] for t in _console_scripts().values()]
    modules += ["avgan.data.synthetic.__main__"]
    # One process: each module's flags are removed after its import (they share names).
    code = f"""import importlib, sys
from absl import flags
import avgan.cli
for module in {modules!r}:
    before = set(flags.FLAGS)
    importlib.import_module(module)
    for name in set(flags.FLAGS) - before:
        delattr(flags.FLAGS, name)
print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


# Without TF_CPP_MIN_LOG_LEVEL: on a CPU-only machine TensorFlow 2.17 then prints ~10
# lines on import ("Unable to register cuFFT factory", "Could not find TensorRT").
QUIET_UNSET = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}


def test_a_folder_that_is_not_a_data_set_is_one_line_without_tensorflow_noise(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    command = [sys.executable, "-m", "avgan.train", "--mode=image_classifier"]
    command += [f"--data={empty}", f"--model_dir={tmp_path / 'run'}"]
    done = subprocess.run(
        command, capture_output=True, text=True, env=QUIET_UNSET, cwd=REPO, timeout=300
    )
    assert done.returncode == 1
    # One line: no traceback, no flag listing, and none of TensorFlow's C++ log lines.
    assert done.stderr.splitlines() == [
        f"python -m avgan.train: --data {empty}: not a Sub-URMP layout (no img/ folder)"
    ]
    assert not os.path.exists(tmp_path / "run")

    verbose = subprocess.run(
        [*command, "--verbose"], capture_output=True, text=True, env=QUIET_UNSET, cwd=REPO,
        timeout=300,
    )  # fmt: skip
    assert verbose.returncode == 1
    assert "Traceback (most recent call last)" in verbose.stderr
    assert verbose.stderr.splitlines()[-1] == done.stderr.strip()


def test_a_run_of_the_other_direction_is_named_in_one_line(tmp_path):
    from avgan import config as config_lib

    run = tmp_path / "i2s"
    run.mkdir()
    (run / "config.json").write_text(config_lib.preset("cpu").replace(mode="i2s").to_json())
    done = subprocess.run(
        [sys.executable, "-m", "avgan.generate", f"--model_dir={run}", "--sound=x.wav",
         f"--out={tmp_path / 'x.png'}"],
        capture_output=True, text=True, env=ENV, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"python -m avgan.generate: --model_dir {run} is an I2S model; --sound needs an S2I one"
    ]


def test_evaluate_prints_a_table_with_the_real_references():
    result = {
        "model_dir": "runs/s2i-c",
        "accuracy": {"train": 0.807, "test": 0.806, "test_without_ema": 0.77},
        "frechet_distance": 25.06,
        "frechet_distance_real_split": 10.64,
        "diversity": 29.9,
        "diversity_real": 46.4,
        "roughness": 0.056,
        "roughness_real": 0.04,
    }
    # A pose model shared by two instruments: a pose figure for each.
    pose = {"fidelity": {"mean": 0.61}, "regressor_on_real": {"mean": 0.93}}
    shared = {**result, "model_dir": "runs/pose", "accuracy": {"train": 1.0, "test": 0.98},
              "pose_by_instrument": {"cello": pose, "violin": pose}}  # fmt: skip
    code = (
        f"from avgan.evaluate import table; print(table([{result!r}]))\nprint(table([{shared!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    header, row, pose_header, pose_row = done.stdout.splitlines()
    assert header.split("  ")[0] == "run" and "test non-EMA" in header
    assert row.split() == ["runs/s2i-c", "80.7%", "80.6%", "77.0%", "25.1", "(10.6)",
                           "29.9", "(46.4)", "0.056", "(0.040)"]  # fmt: skip
    assert pose_header.endswith("pose r (ceiling)")
    assert pose_row.endswith("cello 0.61 (0.93), violin 0.61 (0.93)")
