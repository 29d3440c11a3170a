"""Roughness: 0 for flat samples, exact values for ramps and checkerboards."""

import numpy as np
import pytest

from avgan.evaluation.roughness import roughness


def test_flat_is_zero_and_checkerboard_is_two():
    assert roughness(np.full((3, 8, 8, 3), 0.25)) == 0.0
    checker = np.where(np.add.outer(np.arange(8), np.arange(8)) % 2 == 0, 1.0, -1.0)
    assert roughness(np.stack([checker, -checker])) == pytest.approx(2.0)


def test_ramp_counts_each_neighbour_pair_once():
    # Steps of 0.1 down the rows, none along them: 7 * 5 vertical pairs differ by 0.1,
    # 8 * 4 horizontal pairs by 0.
    ramp = np.repeat(np.arange(8)[:, None] * 0.1, 5, axis=1)[None]
    assert roughness(ramp) == pytest.approx(0.1 * 35 / (35 + 32))


def test_uint8_pictures_are_scaled_like_the_generators_output():
    rng = np.random.default_rng(0)
    pictures = rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    assert roughness(pictures) == pytest.approx(roughness(pictures / 127.5 - 1.0))
    # I2S spectrograms [batch, 128, 34, 1] and their squeezed form agree.
    spectrogram = rng.uniform(-1, 1, (2, 128, 34, 1))
    assert roughness(spectrogram) == pytest.approx(roughness(spectrogram[..., 0]))
    with pytest.raises(ValueError, match="height, width >= 2"):
        roughness(np.zeros((2, 1, 8)))
