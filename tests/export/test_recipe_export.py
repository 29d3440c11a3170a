"""Runs of the 'avgan' recipe (FiLM generator, resize upsampling) restore and export:
the checkpoint holds the trained generators, the SavedModel computes what the restored
Keras sampler computes, and every TFLite variant converts with TFLite builtins only (no
Flex ops: plain LiteRT runs it) and passes the export's parity check on real-shaped
held-out pairs.

A FiLM generator's blocks run their layers with the condition, so they are
`ConditionedBlock`s, not keras.Sequential: a Sequential that is never called as one is
never built and shows tf.train.Checkpoint none of its layers. Before that was fixed
(2026-12-02) a recipe run's checkpoint held only phi of each generator, and restoring
gave the blocks' random initial weights silently; these tests caught it.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import tensorflow as tf

from avgan import run_dir
from avgan.export import parity, serving, signatures, tflite
from avgan.models.i2s import to_log_mel_44
from avgan.models.s2i import ConditionalBatchNorm
from tests.export.conftest import held_out, make_run

DIRECTIONS = ("s2i", "i2s")
# Stated tolerances. SavedModel vs Keras: the same TF kernels, so round-off only; S2I
# on the [-1, 1] picture, I2S on the log-mel in dB (|values| <= 80: 1e-4 dB is ~1e-6
# relative). TFLite vs Keras: the export's tolerances (avgan.export.parity.TOLERANCE).
SAVED_MODEL_ATOL = {"s2i": 1e-5, "i2s": 1e-4}


def convert_all(restored, out_dir: str) -> dict[str, tflite.Result]:
    """The run's TFLite archive, converted to every variant in a child process, the int8
    one with the export's float scopes (the S2I log-mel front end)."""
    source = os.path.join(out_dir, "source_saved_model")
    serving.write_archive(signatures.build_tflite_archive(restored), source, {})
    keep_float = signatures.keep_float_scopes(restored)
    return tflite.convert(source, out_dir, raise_errors=False, keep_float=keep_float)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, dict]:
    """Both directions: run, restored run, SavedModel and the TFLite variants, converted
    in child processes (both directions at once) while this process exports the
    SavedModels."""
    root = tmp_path_factory.mktemp("recipe_export")
    out, runs, conversions, threads = str(root / "models"), {}, {}, []
    for direction in DIRECTIONS:
        model_dir = str(root / "runs" / direction)
        gan = make_run(model_dir, direction, recipe="avgan")
        restored = run_dir.restore(model_dir)

        def work(restored=restored, direction=direction):
            conversions[direction] = convert_all(restored, str(root / "tflite" / direction))

        threads.append(threading.Thread(target=work))
        threads[-1].start()
        runs[direction] = {
            "gan": gan,
            "model_dir": model_dir,
            "restored": restored,
            "saved_model": serving.export_saved_model(restored, out),
        }
    for thread in threads:
        thread.join()
    for direction in DIRECTIONS:
        runs[direction]["tflite"] = conversions[direction]
    return runs


def inputs(direction: str, z_dim: int, batch: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    z = rng.standard_normal((batch, z_dim)).astype(np.float32)
    if direction == "s2i":
        return {"waveform": (0.1 * rng.standard_normal((batch, 22050))).astype(np.float32), "z": z}
    return {"image": rng.integers(0, 256, (batch, 64, 64, 3), dtype=np.uint8), "z": z}


def keras_reference(restored, direction: str, feed: dict) -> np.ndarray:
    """What the exported models must give: the restored sampler's EMA samples (S2I
    pictures in [-1, 1]; I2S log-mels in dB)."""
    condition = feed["waveform" if direction == "s2i" else "image"]
    samples = restored.sampler.generate(condition, z=feed["z"])
    return samples.numpy() if direction == "s2i" else to_log_mel_44(samples).numpy()


@pytest.mark.parametrize("network", ["generator", "ema_generator", "discriminator"])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_tf_checkpoints_see_every_network_weight(exported, direction, network, tmp_path):
    """tf.train.Checkpoint (the run's checkpoints) holds a value for every weight of each
    trained network, D's batch statistics included (with the FiLM blocks as
    Sequentials it held phi's 2 weights of 24 (S2I) and 39 (I2S))."""
    model = getattr(exported[direction]["gan"], network)
    path = tf.train.Checkpoint(network=model).write(str(tmp_path / "ckpt"))
    saved = [n for n, _ in tf.train.list_variables(path) if n.endswith("/VARIABLE_VALUE")]
    assert len(saved) == len(model.weights), f"{len(saved)} of {len(model.weights)}: {saved}"


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_restore_rebuilds_the_recipe_generator_with_the_trained_weights(exported, direction):
    """The restored generators hold the trained weights, not the blocks' initial ones."""
    run = exported[direction]
    restored, gan = run["restored"], run["gan"]
    assert restored.config.gan.recipe == "avgan" and restored.uses_ema
    for mine, trained in (
        (restored.sampler.generator, gan.generator),
        (restored.sampler.ema_generator, gan.ema_generator),
    ):
        assert (mine.conditioning, mine.upsampling) == ("film", "resize")
        assert any(isinstance(layer, ConditionalBatchNorm) for layer in mine.ups.layers)
        for a, b in zip(mine.weights, trained.weights, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_the_saved_model_matches_the_keras_sampler(exported, direction):
    """The SavedModel computes what the restored sampler computes (measured 3.7e-7 for
    S2I, 9.5e-6 dB for I2S). The spread check keeps an untrained generator (outputs
    within ~5e-4) from passing trivially."""
    run = exported[direction]
    restored = run["restored"]
    feed = inputs(direction, restored.config.model.z_dim)
    model = tf.saved_model.load(run["saved_model"])
    out = model.signatures[f"{direction}_z"](**{k: tf.constant(v) for k, v in feed.items()})
    got = out["image_float" if direction == "s2i" else "log_mel"].numpy()
    reference = keras_reference(restored, direction, feed)
    error = float(np.abs(got - reference).max())
    print(f"{direction} SavedModel: max |SavedModel - Keras| = {error:.2e}")
    spread = float(reference.max() - reference.min())
    assert spread > 0.5, f"spread {spread:.1e}: the run's trained generator was not restored"
    assert error <= SAVED_MODEL_ATOL[direction]


@pytest.mark.parametrize("variant", tflite.VARIANTS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_each_tflite_variant_uses_builtins_only_and_passes_parity(
    exported, parity_data, direction, variant
):
    """No SELECT_TF_OPS: the nearest-neighbour upsampling keeps static shapes
    (`avgan.models.s2i.NearestUpSampling2D`); with Keras's UpSampling2D (tf.repeat) the
    converter lost the height with a dynamic batch and kept 3 (S2I) or 4 (I2S) Conv2D
    as Flex ops, which plain LiteRT refuses ("FlexConv2D failed to prepare"). And the
    file computes what the restored sampler computes, within the export's tolerance, on
    the held-out pairs the export would draw."""
    pytest.importorskip("ai_edge_litert.interpreter")
    run = exported[direction]
    result = run["tflite"][variant]
    assert not result.error, result.error
    assert not result.select_tf_ops, f"{direction} {variant} needs Flex (SELECT_TF_OPS)"
    held = held_out(run["model_dir"], parity_data)
    got = parity.tflite_outputs(result.path, direction, held.condition, held.z)
    reference = parity.keras_outputs(run["restored"], held.condition, held.z)
    row = parity.compare(direction, variant, got, reference)
    spread = float(reference.max() - reference.min())
    print(
        f"{direction} {variant}: max {row.max_abs:.2e} mean {row.mean_abs:.2e}, spread {spread:.2f}"
    )
    assert spread > 0.5, f"spread {spread:.1e}: the run's trained generator was not restored"
    assert row.ok, row
