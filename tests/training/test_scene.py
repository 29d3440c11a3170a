"""The scene term of pose models (`--scene_weight`): its value, and what the generator pays."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from avgan.training.losses import scene_difference
from tests.training.test_gan_cls import BATCH, SEED, Z_DIM, make_gan, pipeline_batch


def _scene(seed: int, batch: int = 3) -> np.ndarray:
    """Pictures in [-1, 1] shaped like a room: a wall and a floor of one colour each,
    a player-sized block, and pixel noise."""
    rng = np.random.default_rng(seed)
    x = np.empty((batch, 64, 64, 3), np.float32)
    x[:, :40] = rng.uniform(-1, 1, (batch, 1, 1, 3))  # wall
    x[:, 40:] = rng.uniform(-1, 1, (batch, 1, 1, 3))  # floor
    x[:, 16:56, 24:40] = rng.uniform(-1, 1, (batch, 1, 1, 3))  # player
    return np.clip(x + 0.05 * rng.standard_normal(x.shape), -1, 1).astype(np.float32)


def test_scene_difference_is_the_mean_gap_of_8_pixel_cell_means():
    a, b = _scene(0), _scene(1)
    cells = [x.reshape(3, 8, 8, 8, 8, 3).mean(axis=(2, 4)) for x in (a, b)]
    expected = np.abs(cells[0] - cells[1]).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(scene_difference(a, b).numpy(), expected, rtol=1e-5)
    assert scene_difference(a, b).shape == (3,) and (expected > 0.05).all()


def test_detail_within_a_cell_is_free_and_a_new_wall_costs_its_colour():
    """A hand-sized change that keeps each cell's mean (a +-0.2 checkerboard, as a hand
    moving within its cells) costs nothing; repainting the wall (40 of 64 rows) 0.3
    redder costs 0.3 * 40/64 / 3 channels."""
    a = _scene(2)
    checker = 0.2 * (-1.0) ** np.add.outer(np.arange(64), np.arange(64))
    detail = a.copy()
    detail[:, 8:24, 24:40] += checker[8:24, 24:40, None]
    np.testing.assert_allclose(scene_difference(a, detail).numpy(), 0.0, atol=1e-6)
    wall = a.copy()
    wall[:, :40, :, 0] += 0.3
    np.testing.assert_allclose(scene_difference(a, wall).numpy(), 0.3 * 40 / 64 / 3, rtol=1e-5)


@pytest.fixture(scope="module")
def two_steps():
    """The same GAN (same initial weights) trained one step with scene_weight 1000 (the
    tiny untrained generator barely moves its scene with the sound) and one
    without, on a batch of instruments [0, 0, 1, 1]; and the scene term recomputed from
    the generator before the step."""
    batch = pipeline_batch(5)
    batch["label"] = np.array([0, 0, 1, 1], np.int32)
    with_scene = make_gan(loss="hinge", scene_weight=1000.0)
    encoding = with_scene.encoder.encode(batch["sound"], training=False)
    z = keras.random.normal([BATCH, Z_DIM], seed=keras.random.SeedGenerator(SEED))
    fake = with_scene.generator((encoding, z), training=True)
    moved = with_scene.generator((tf.roll(encoding, -1, axis=0), z), training=True)
    # Pair i is drawn with pair i+1's sound: 0-1 and 2-3 are one instrument, 1-2 and 3-0 not.
    expected = np.array([1, 0, 1, 0]) * scene_difference(fake, moved).numpy()
    logs = {k: float(v) for k, v in with_scene.train_step(batch).items()}
    without = make_gan(loss="hinge")
    plain = {k: float(v) for k, v in without.train_step(batch).items()}
    return expected, logs, plain


def test_the_step_logs_the_scene_term_of_same_instrument_pairs(two_steps):
    expected, logs, plain = two_steps
    assert expected[0] > 1e-5 and expected[2] > 1e-5  # the two sounds moved the scene
    np.testing.assert_allclose(logs["scene_difference"], expected.mean(), rtol=1e-4)
    assert "scene_difference" not in plain


def test_the_generator_pays_weight_times_the_scene_term(two_steps):
    """D's step is the same with and without the term; G's loss gains 1000 x the term."""
    expected, logs, plain = two_steps
    np.testing.assert_allclose(logs["d_loss"], plain["d_loss"], rtol=1e-5)
    np.testing.assert_allclose(logs["g_loss"] - plain["g_loss"], 1000 * expected.mean(), rtol=1e-3)


def test_the_term_is_refused_outside_s2i():
    with pytest.raises(ValueError, match="scene_weight must be >= 0 and is for s2i, got 1"):
        make_gan("i2s", scene_weight=1.0)
