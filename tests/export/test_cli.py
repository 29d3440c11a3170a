"""saved_model_cli on the exported models, and the export entry point."""

import os
import subprocess

import numpy as np
import pytest

from avgan import export_main


def _cli() -> str:
    import shutil
    import sys

    beside = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    path = beside if os.path.exists(beside) else shutil.which("saved_model_cli")
    if not path:
        pytest.skip("saved_model_cli is not installed")
    return path


@pytest.fixture(scope="module")
def cli_runs(exported, tmp_path_factory):
    """show --all and run for both models, all four at once (each starts TensorFlow)."""
    cli, tmp = _cli(), tmp_path_factory.mktemp("cli")
    image = np.random.default_rng(5).integers(0, 256, (1, 40, 50, 3), dtype=np.uint8)
    np.save(tmp / "image.npy", image)
    commands = {
        "show_s2i": [cli, "show", "--dir", exported["s2i"].saved_model, "--all"],
        "show_i2s": [cli, "show", "--dir", exported["i2s"].saved_model, "--all"],
        "run_s2i": [cli, "run", "--dir", exported["s2i"].saved_model, "--tag_set", "serve"]
        + ["--signature_def", "s2i_seed", "--outdir", str(tmp / "s2i")]
        + ["--input_exprs", "waveform=[[0.1, -0.2, 0.3], [0.0, 0.5, 0.1]];seed=[1, 2]"],
        "run_i2s": [cli, "run", "--dir", exported["i2s"].saved_model, "--tag_set", "serve"]
        + ["--signature_def", "serving_default", "--outdir", str(tmp / "i2s")]
        + ["--inputs", f"image={tmp / 'image.npy'}"],
    }
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    procs = {
        k: subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for k, c in commands.items()
    }
    results = {k: (p.wait(timeout=300), *p.communicate()) for k, p in procs.items()}
    return results, tmp


@pytest.mark.parametrize(
    "direction,signatures,inputs",
    [
        ("s2i", ["serving_default", "s2i_seed", "s2i_z"], ["waveform", "seed", "z"]),
        ("i2s", ["serving_default", "i2s_seed", "i2s_z"], ["image", "seed", "z"]),
    ],
)
def test_show_lists_the_signatures_and_named_inputs(cli_runs, direction, signatures, inputs):
    code, out, err = cli_runs[0][f"show_{direction}"]
    assert code == 0, err[-2000:]
    for signature in signatures:
        assert f"signature_def['{signature}']" in out
    for name in inputs:
        assert f"inputs['{name}'] tensor_info" in out
    outputs = ["image"] if direction == "s2i" else ["log_mel", "waveform"]
    for name in outputs:
        assert f"outputs['{name}'] tensor_info" in out


def test_run_executes_the_signatures(cli_runs):
    results, tmp = cli_runs
    for name in ("run_s2i", "run_i2s"):
        assert results[name][0] == 0, results[name][2][-2000:]
    image = np.load(tmp / "s2i" / "image.npy")
    assert image.shape == (2, 64, 64, 3) and image.dtype == np.uint8
    assert np.load(tmp / "i2s" / "log_mel.npy").shape == (1, 128, 44)
    waveform = np.load(tmp / "i2s" / "waveform.npy")
    assert waveform.shape == (1, 22050) and np.isfinite(waveform).all()


def test_export_main_writes_everything_under_out(exported, parity_data, tmp_path, capsys):
    """OUT nested in another folder: the SavedModel, models.config and the TFLite files
    land under OUT and nothing beside it (before, models.config and tflite/ went to
    OUT's parent)."""
    pytest.importorskip("ai_edge_litert.interpreter")
    parent = tmp_path / "outer"
    out = parent / "models"
    flags = export_main.FLAGS
    argv = ["export_main", f"--model_dir={exported['s2i'].model_dir}", f"--out={out}"]
    argv += ["--name=sound2image", "--version=7", f"--parity_data={parity_data}"]
    argv += ["--tflite", "--tflite_variants=float32"]
    flags(argv)
    try:
        assert export_main.main([]) == 0
    finally:
        flags.unparse_flags()
    assert os.listdir(parent) == ["models"]
    assert sorted(os.listdir(out)) == ["models.config", "sound2image", "tflite"]
    assert os.path.isfile(out / "sound2image" / "7" / "saved_model.pb")
    assert 'base_path: "/models/sound2image"' in (out / "models.config").read_text()
    assert 'name: "tflite"' not in (out / "models.config").read_text()
    tflite_dir = out / "tflite" / "sound2image" / "7"
    assert sorted(os.listdir(tflite_dir)) == ["float32.tflite", "manifest.json"]
    printed = capsys.readouterr().out
    table = printed[printed.index("Parity with the Keras generator on 10 held-out pairs") :]
    assert [line.split()[0] for line in table.splitlines()[2:]] == ["saved_model", "float32"]
    assert all(line.endswith("ok") for line in table.splitlines()[2:])
