"""scripts/reproduce.sh run through with a stand-in Python that records each command:
which runs it makes, with which flags, and the time it adds up."""

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "reproduce.sh")


def _reproduce(tmp_path, **env) -> subprocess.CompletedProcess:
    log = tmp_path / "commands"
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    python.chmod(0o755)
    run = tmp_path / "run"
    # The runs that continue_from copies: the stand-in trains nothing.
    for name in ("s2i-c", "s2i-n", "s2i-a", "i2s-diffaugment"):
        (run / name / "checkpoints").mkdir(parents=True)
        (run / name / "avgan_mode.json").write_text("{}")
    env = {**os.environ, "SETUP": "0", "TABLE1": "0", "PY": str(python), "RUN": str(run), **env}
    return subprocess.run([SCRIPT], env=env, capture_output=True, text=True)


def _commands(tmp_path) -> list[str]:
    return (tmp_path / "commands").read_text().splitlines()


def _training(lines: list[str], model_dir: str) -> list[list[str]]:
    """The flags of each training command into `model_dir`."""
    commands = [line.split() for line in lines if "avgan.train" in line]
    return [flags for flags in commands if f"--model_dir={model_dir}" in flags]


def test_each_variant_is_continued_with_its_own_encoding(tmp_path):
    result = _reproduce(tmp_path)
    assert result.returncode == 0, result.stderr
    run, lines = tmp_path / "run", _commands(tmp_path)
    for v, encoder in (
        ("c", "sound_classifier"),
        ("n", "sound_classifier"),
        ("a", "sound_autoencoder"),
    ):
        [flags] = _training(lines, f"{run}/s2i-{v}-long")
        # absl keeps a flag's last value: S2I-A's must be the autoencoder it was trained on.
        sound = [f for f in flags if f.startswith("--sound_encoder=")][-1]
        assert sound == f"--sound_encoder={run}/{encoder}/encoder.keras"
        assert f"--variant={v}" in flags and "--epochs=120" in flags
        assert (run / f"s2i-{v}-long" / "checkpoints").is_dir()  # a copy of the run's own
        assert f"-m avgan.evaluate --model_dir={run}/s2i-{v}-long" in lines
    [flags] = _training(lines, f"{run}/s2i-a")
    assert f"--sound_encoder={run}/sound_autoencoder/encoder.keras" in flags
    assert lines[-1].startswith(f"scripts/write_report.py {run} --out results")
    assert int((run / "reproduce_seconds").read_text()) >= 0


def test_long_variants_picks_the_continued_runs_and_long_epochs_their_length(tmp_path):
    result = _reproduce(tmp_path, LONG_VARIANTS="n", LONG_EPOCHS="60")
    assert result.returncode == 0, result.stderr
    run, lines = tmp_path / "run", _commands(tmp_path)
    assert [f for f in _training(lines, f"{run}/s2i-n-long")[0] if f.startswith("--epochs")] == [
        "--epochs=60"
    ]
    assert not _training(lines, f"{run}/s2i-c-long") and not (run / "s2i-a-long").exists()


def test_an_unknown_long_variant_stops_the_script_and_its_time_is_kept(tmp_path):
    result = _reproduce(tmp_path, LONG_VARIANTS="c x")
    assert result.returncode == 2
    assert "LONG_VARIANTS: 'x' is not one of c, n, a" in result.stderr
    assert _training(_commands(tmp_path), f"{tmp_path}/run/s2i-c-long")  # c came first
    assert (tmp_path / "run" / "reproduce_seconds").exists()  # added on failure too


def test_the_pose_models_on_full_train_on_the_avgan_recipe_each_and_shared(tmp_path):
    result = _reproduce(tmp_path)
    assert result.returncode == 0, result.stderr
    run, lines = tmp_path / "run", _commands(tmp_path)
    encoders = {f"--sound_encoder={run}/full/pitch_sound_classifier/encoder.keras",
                f"--image_encoder={run}/full/image_classifier/encoder.keras"}  # fmt: skip
    for folder, models in (("s2i_pose-avgan", "each"), ("s2i_pose-avgan-shared", "shared")):
        [flags] = _training(lines, f"{run}/{folder}")
        # absl keeps a flag's last value: the avgan recipe, after train()'s paper one.
        assert [f for f in flags if f.startswith("--recipe=")][-1] == "--recipe=avgan"
        assert {"--synthetic_preset=full", "--mode=s2i_pose", f"--pose_models={models}",
                "--instrument=cello,violin", "--epochs=170"} <= set(flags)  # fmt: skip
        assert encoders <= set(flags)
        assert f"-m avgan.evaluate --model_dir={run}/{folder}" in lines
    [pitch] = _training(lines, f"{run}/full/pitch_sound_classifier")
    assert "--synthetic_preset=full" in pitch
    # POSE_FULL_EPOCHS=0 leaves them out.
    off = tmp_path / "off"
    off.mkdir()
    assert _reproduce(off, POSE_FULL_EPOCHS="0").returncode == 0
    assert not [line for line in _commands(off) if "s2i_pose-avgan" in line or "full/" in line]
