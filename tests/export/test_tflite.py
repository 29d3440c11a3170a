"""TFLite conversion: child processes, resize convolutions, converter crashes.

Every variant's parity with Keras on real-shaped held-out pairs, with the tolerances the
export applies, is in test_parity.py."""

import os

import numpy as np
import pytest

from avgan import run_dir
from avgan.export import serving, signatures, tflite
from avgan.models.i2s import to_log_mel_44
from tests.export.conftest import make_run

pytest.importorskip("ai_edge_litert.interpreter")

# Stated tolerance: max |TFLite - Keras| relative to the spread (max - min) of the
# Keras output, S2I on the generator's [-1, 1] tanh output, I2S on the log-mel in dB.
# Plus 1e-5 absolute: float32 rounding of dB values near -40.
TOLERANCE = {"float32": 1e-4}


def _inputs(direction, z_dim, batch=2):
    rng = np.random.default_rng(4)
    z = rng.standard_normal((batch, z_dim)).astype(np.float32)
    if direction == "s2i":
        return {"waveform": (0.1 * rng.standard_normal((batch, 22050))).astype(np.float32), "z": z}
    return {"image": rng.integers(0, 256, (batch, 64, 64, 3), dtype=np.uint8), "z": z}


def _assert_matches_keras(gan, result, direction, z_dim, variant):
    assert not result.error, result.error
    assert os.path.getsize(result.path) == result.bytes > 0
    inputs = _inputs(direction, z_dim)
    condition = inputs["waveform" if direction == "s2i" else "image"]
    keras_out = gan.generate(condition, z=inputs["z"]).numpy()
    out = tflite.run_signature(tflite.load_interpreter(result.path), **inputs)
    if direction == "s2i":
        assert out["image"].dtype == np.uint8 and out["image"].shape == (2, 64, 64, 3)
        reference, got = keras_out, out["image_float"]
        levels = np.abs(out["image"].astype(int) - np.round((keras_out + 1) * 127.5)).max()
        assert levels <= 1 + 255 * TOLERANCE[variant]
    else:
        assert out["log_mel"].shape == (2, 128, 44)
        reference, got = to_log_mel_44(keras_out).numpy(), out["log_mel"]
    spread = float(reference.max() - reference.min())
    error = float(np.abs(got - reference).max())
    print(f"{direction} {variant}: max |TFLite - Keras| = {error:.2e}, spread {spread:.2e}")
    assert spread > 0.5 and error <= TOLERANCE[variant] * spread + 1e-5


@pytest.mark.slow  # ~60 s; the avgan recipe's resize generators: test_recipe_export.py
def test_a_resize_convolution_generator_converts_and_matches_keras(tmp_path):
    """--upsampling=resize on the paper's generator: I2S has both resize paths (square
    and rectangular). The default run leaves it to test_recipe_export.py, whose `avgan`
    recipe generators use the same resize paths and pass every variant's parity."""
    model_dir = str(tmp_path / "run")
    gan = make_run(model_dir, "i2s", upsampling="resize")
    restored = run_dir.restore(model_dir)
    assert restored.sampler.generator.upsampling == "resize"
    source = os.path.join(str(tmp_path), "source_saved_model")
    serving.write_archive(signatures.build_tflite_archive(restored), source, {})
    results = tflite.convert(source, str(tmp_path / "tflite"), ["float32"], raise_errors=False)
    z_dim = restored.config.model.z_dim
    _assert_matches_keras(gan, results["float32"], "i2s", z_dim, "float32")


def test_a_converter_crash_is_reported_naming_the_variant(exported, tmp_path, monkeypatch):
    """The child aborts (as the converter's `LLVM ERROR` does) converting float16: the
    caller survives and gets an error naming the variant."""
    source = os.path.join(exported["i2s"].tflite_dir, "source_saved_model")
    monkeypatch.setenv("AVGAN_TFLITE_TEST_ABORT", "float16")
    results = tflite.convert(source, str(tmp_path), ["float16"], raise_errors=False)
    assert "killed by SIGABRT converting float16" in results["float16"].error
    with pytest.raises(tflite.TFLiteError, match="TFLite float16 conversion failed.*SIGABRT"):
        tflite.convert(source, str(tmp_path), ["float16"])
