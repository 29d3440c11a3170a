"""Diversity per condition: 0 for a collapsed generator, exact values for known spreads."""

import numpy as np
import pytest
import tensorflow as tf

from avgan.evaluation.diversity import diversity_per_condition, pairwise_diversity


def test_identical_samples_have_zero_diversity():
    picture = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert pairwise_diversity(np.stack([picture] * 5)) == 0.0
    with pytest.raises(ValueError, match="K >= 2"):
        pairwise_diversity(picture[None])


def test_known_offsets():
    base = np.random.default_rng(1).normal(size=(4, 4))
    offsets = np.zeros((3, 4, 4))
    offsets[1, 0, 0] = 3.0
    offsets[2, 1, 2] = 4.0
    # Pairwise distances 3, 4 and 5: mean 4.
    assert pairwise_diversity(base + offsets) == pytest.approx(4.0, abs=1e-12)
    # uint8 is scaled to [-1, 1]: all-black vs all-white differs by 2 per element.
    black_white = np.stack([np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8)])
    assert pairwise_diversity(black_white) == pytest.approx(2.0 * np.sqrt(8 * 8 * 3))
    as_floats = black_white.astype(np.float32) / 127.5 - 1.0
    assert pairwise_diversity(as_floats) == pytest.approx(pairwise_diversity(black_white))


def test_diversity_per_condition():
    seeds = []

    def spread(conditions, seed):
        # Row i is condition * i: pairwise distances |c| |i - j|.
        seeds.append(seed)
        return conditions * np.arange(len(conditions), dtype=np.float64)[:, None]

    conditions = np.array([[1.0], [-2.0]])
    # draws=4: |i - j| over the 6 pairs sums to 10; mean over |c| = 1, 2 is 1.5.
    assert diversity_per_condition(spread, conditions, draws=4, seed=7) == pytest.approx(2.5)
    assert seeds == [7, 8]

    def collapsed(conditions, seed):
        return tf.tile(tf.constant([[0.5, -0.5]]), [len(conditions), 1])

    assert diversity_per_condition(collapsed, conditions, draws=3) == 0.0

    def noisy(conditions, seed):
        noise = tf.random.stateless_normal([len(conditions), 16], [seed, 0], dtype=tf.float64)
        return conditions + noise

    # Features: the first 8 of 16 noise values; reproducible from the seed.
    first = diversity_per_condition(noisy, conditions, seed=3, feature_fn=lambda x: x[:, :8])
    again = diversity_per_condition(noisy, conditions, seed=3, feature_fn=lambda x: x[:, :8])
    assert first == again and first > 0
    # Independent standard normal rows: E||a - b|| = sqrt(2) E[chi_8] = 3.88.
    assert first == pytest.approx(3.88, rel=0.25)
