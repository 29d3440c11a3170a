"""DiffAugment: each policy's effect, determinism, replica slicing, gradients."""

import numpy as np
import pytest
import tensorflow as tf

from avgan.training import augment

SEED = tf.constant([7, 11])


def pictures(batch: int = 6, seed: int = 0) -> tf.Tensor:
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (batch, 64, 64, 3)), tf.float32)


def test_parse_policy():
    assert augment.parse_policy("") == ()
    assert augment.parse_policy(" color, cutout ") == ("color", "cutout")
    with pytest.raises(ValueError, match="unknown augmentation flip"):
        augment.parse_policy("translation,flip")


def shifts_explaining(xi: np.ndarray, yi: np.ndarray, limits: tuple[int, int]) -> list:
    """Every (dy, dx) within +-limits whose zero-padded shift of xi is exactly yi."""
    height, width = xi.shape[:2]
    matches = []
    for dy in range(-limits[0], limits[0] + 1):
        for dx in range(-limits[1], limits[1] + 1):
            shifted = np.zeros_like(xi)
            src = xi[max(-dy, 0) : height - max(dy, 0), max(-dx, 0) : width - max(dx, 0)]
            shifted[max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = src
            if np.array_equal(shifted, yi):
                matches.append((dy, dx))
    return matches


def test_translation_shifts_by_at_most_an_eighth_and_pads_with_zeros():
    x = pictures()
    y = augment.translation(x, SEED).numpy()
    shifts = []
    for xi, yi in zip(x.numpy(), y, strict=True):
        matches = shifts_explaining(xi, yi, (8, 8))
        assert len(matches) == 1  # exactly one shift in [-8, 8]^2 explains the output
        shifts.append(matches[0])
    assert len(set(shifts)) > 1  # per-example draws: not every picture moved the same way


def test_time_translation_shifts_spectrograms_along_time_only():
    # I2S's 128 mels x 34 frames: up to round(34 / 8) = 4 frames, never along the mels.
    x = tf.constant(np.random.default_rng(1).uniform(-1, 1, (8, 128, 34, 1)), tf.float32)
    y = augment.time_translation(x, SEED).numpy()
    both = augment.translation(x, SEED).numpy()
    shifts = []
    for xi, yi, bi in zip(x.numpy(), y, both, strict=True):
        matches = shifts_explaining(xi, yi, (16, 4))
        assert len(matches) == 1 and matches[0][0] == 0
        shifts.append(matches[0][1])
        # The time shift is the one the full policy draws from the same seed.
        assert shifts_explaining(xi, bi, (16, 4))[0][1] == matches[0][1]
    assert len(set(shifts)) > 1
    assert augment.parse_policy("time_translation,cutout") == ("time_translation", "cutout")


def test_cutout_zeros_one_square_of_half_the_side():
    x = pictures() + 2.0  # no zeros before
    y = augment.cutout(x, SEED).numpy()
    for yi, xi in zip(y, x.numpy(), strict=True):
        zero = yi[..., 0] == 0
        rows, cols = np.nonzero(zero.any(axis=1))[0], np.nonzero(zero.any(axis=0))[0]
        # A full 32x32 square, cut at the picture's edges; everything else untouched.
        assert zero.sum() == len(rows) * len(cols)
        assert 16 <= len(rows) <= 32 and 16 <= len(cols) <= 32
        assert np.array_equal(yi[~zero], xi[~zero])


def test_color_keeps_flat_pictures_flat_and_varies_per_example():
    flat = tf.ones([4, 64, 64, 3]) * tf.constant([0.2, -0.1, 0.4])  # one colour each
    y = augment.color(flat, SEED).numpy()
    np.testing.assert_allclose(y, np.broadcast_to(y[:, :1, :1], y.shape), atol=1e-6)
    assert np.std(y[:, 0, 0, 0]) > 0.05


@pytest.mark.parametrize(
    "policy", [("color",), ("translation",), ("cutout",), ("time_translation",)]
)
def test_gradients_reach_the_pictures(policy):
    x = pictures(2)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = augment.diff_augment(x, policy, SEED)
        loss = tf.reduce_sum(y**2)
    grad = tape.gradient(loss, x)
    assert grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0


def test_same_seed_same_draw_and_replica_slices_match_the_global_batch():
    x, policy = pictures(8), augment.POLICIES
    whole = augment.diff_augment(x, policy, SEED).numpy()
    np.testing.assert_array_equal(whole, augment.diff_augment(x, policy, SEED).numpy())
    assert not np.allclose(whole, augment.diff_augment(x, policy, tf.constant([1, 2])).numpy())
    halves = [augment.diff_augment(x[i * 4 : (i + 1) * 4], policy, SEED, (i, 2)) for i in (0, 1)]
    np.testing.assert_array_equal(np.concatenate(halves), whole)
    assert augment.diff_augment(x, (), SEED) is x
