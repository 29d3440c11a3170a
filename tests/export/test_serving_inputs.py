"""The SavedModel's checks of the noise `z` (rank, width, finite) and of the batch limit set
at export (`--max_batch`), through tf.saved_model.load and saved_model_cli."""

import json
import os
import subprocess

import numpy as np
import pytest
import tensorflow as tf
from absl import flags

from avgan import export_main
from avgan.export import serving, signatures

from .test_cli import _cli


@pytest.fixture(scope="module")
def loaded(exported):
    return {d: tf.saved_model.load(e.saved_model) for d, e in exported.items()}


def condition(direction: str, batch: int) -> dict[str, tf.Tensor]:
    """A realistic condition of `batch` examples: 0.5 s of quiet noise, or RGB pictures."""
    rng = np.random.default_rng(batch)
    if direction == "s2i":
        return {"waveform": tf.constant(0.1 * rng.standard_normal((batch, 22050)), tf.float32)}
    return {"image": tf.constant(rng.integers(0, 256, (batch, 64, 64, 3)), tf.uint8)}


def bad_z(case: str, z_dim: int) -> np.ndarray:
    z = np.random.default_rng(7).standard_normal((2, z_dim)).astype(np.float32)
    if case == "nan":
        z[1, 3] = np.nan  # one bad value in a batch of two
    elif case == "inf":
        z[0, 0] = -np.inf
    elif case == "wide":
        z = np.concatenate([z, z[:, :4]], axis=1)
    elif case == "narrow":
        z = z[:, :-1]
    elif case == "rank3":
        z = z[:, None, :]
    elif case == "rank1":
        z = z[0]
    return z


Z_CASES = {
    "nan": "z contains NaN or Inf: send finite noise",
    "inf": "z contains NaN or Inf: send finite noise",
    "wide": r"z must have {z_dim} columns: \[batch, {z_dim}\] float32",
    "narrow": r"z must have {z_dim} columns: \[batch, {z_dim}\] float32",
    "rank3": r"z must have rank 2: \[batch, {z_dim}\] float32",
    "rank1": r"z must have rank 2: \[batch, {z_dim}\] float32",
}


@pytest.mark.parametrize("case", list(Z_CASES))
@pytest.mark.parametrize("direction", ["s2i", "i2s"])
def test_bad_z_is_an_invalid_argument_error_that_says_why(exported, loaded, direction, case):
    z_dim = exported[direction].z_dim
    signature = loaded[direction].signatures[f"{direction}_z"]
    with pytest.raises(tf.errors.InvalidArgumentError, match=Z_CASES[case].format(z_dim=z_dim)):
        signature(**condition(direction, 2), z=tf.constant(bad_z(case, z_dim)))


def test_finite_z_of_the_right_shape_still_draws_a_picture(exported, loaded):
    z = bad_z("finite", exported["s2i"].z_dim)
    image = loaded["s2i"].signatures["s2i_z"](**condition("s2i", 2), z=tf.constant(z))["image"]
    assert image.shape == (2, 64, 64, 3) and int(tf.reduce_max(image)) > 0  # not black


BATCH_CASES = [
    ("s2i", "serving_default", {}, "waveform"),
    ("s2i", "s2i_seed", {"seed": tf.zeros([257], tf.int64)}, "waveform"),
    ("s2i", "s2i_z", {"z": tf.zeros([257, 16])}, "waveform"),
    ("i2s", "serving_default", {}, "image"),
    ("i2s", "i2s_z", {"z": tf.zeros([257, 16])}, "image"),
]


@pytest.mark.parametrize("direction,signature,extra,name", BATCH_CASES)
def test_batch_over_the_default_max_batch_is_refused(
    exported, loaded, direction, signature, extra, name
):
    assert exported[direction].z_dim == 16  # the z of BATCH_CASES
    inputs = {**condition(direction, 257), **extra}
    match = f"{name} has more than max_batch=256 examples, the most this export takes"
    with pytest.raises(tf.errors.InvalidArgumentError, match=match):
        loaded[direction].signatures[signature](**inputs)


def test_the_default_limit_is_recorded(exported):
    assert export_main.FLAGS["max_batch"].default == signatures.DEFAULT_MAX_BATCH == 256
    for e in exported.values():
        with open(os.path.join(e.saved_model, serving.METADATA_FILE)) as f:
            assert json.load(f)["max_batch"] == 256


def test_export_main_max_batch_sets_the_limit(exported, parity_data, tmp_path, capsys):
    """Also: the export's parity check feeds the SavedModel max_batch pairs at a time."""
    argv = ["export_main", f"--model_dir={exported['s2i'].model_dir}"]
    argv += [f"--parity_data={parity_data}", f"--out={tmp_path / 'models'}", "--max_batch=3"]
    export_main.FLAGS(argv)
    try:
        assert export_main.main([]) == 0
    finally:
        export_main.FLAGS.unparse_flags()
    assert "at most 3 examples per call" in capsys.readouterr().out
    path = tmp_path / "models" / "s2i" / "1"
    with open(path / serving.METADATA_FILE) as f:
        assert json.load(f)["max_batch"] == 3
    model = tf.saved_model.load(str(path))
    serve = model.signatures["serving_default"]
    assert serve(**condition("s2i", 3))["image"].shape == (3, 64, 64, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="more than max_batch=3 examples"):
        serve(**condition("s2i", 4))
    with pytest.raises(flags.IllegalFlagValueError, match="max_batch"):
        export_main.FLAGS([*argv[:-1], "--max_batch=0"])
    export_main.FLAGS.unparse_flags()


def test_saved_model_cli_reports_a_wrong_width_z(exported):
    """What a TF Serving client reads in its HTTP 400: the expected layout, not a MatMul."""
    cmd = [_cli(), "run", "--dir", exported["s2i"].saved_model, "--tag_set", "serve"]
    cmd += ["--signature_def", "s2i_z"]
    # saved_model_cli takes literals only: two short waveforms and a z of width 8, not 16.
    cmd += ["--input_exprs", f"waveform=[[0.1, -0.2, 0.3], [0.0, 0.5, 0.1]];z={[[0.5] * 8] * 2}"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0
    assert "z must have 16 columns: [batch, 16] float32" in result.stderr
