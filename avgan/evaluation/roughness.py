"""Roughness: the mean absolute difference between neighbouring pixels.

The generators of this project leave per-pixel noise and transposed-convolution
checkerboards where real pictures and spectrograms are smooth (results/REPORT.md), and
neither accuracy nor the Fréchet distance in a classifier's feature space says how
much. Roughness does: for samples on the generators' [-1, 1] scale it is the mean of
|x[i, j] - x[i + 1, j]| and |x[i, j] - x[i, j + 1]| over every pixel pair (both axes,
all channels), so a flat picture scores 0 and a +-1 checkerboard 2. Compared with the
real samples' roughness it reads as "how much noisier than the data". Beyond the
paper (docs/design.md §6).
"""

from __future__ import annotations

import numpy as np

from avgan.evaluation.diversity import generator_scale


def roughness(samples) -> float:
    """Mean absolute difference between vertically and horizontally adjacent pixels.

    Args:
        samples: [batch, height, width] or [batch, height, width, channels]: pictures
            (uint8, scaled to [-1, 1] first, or float in [-1, 1]) or spectrograms in
            the I2S generator's [-1, 1] scale. height, width >= 2.

    Returns:
        The mean over all vertical and horizontal neighbour pairs (float64
        arithmetic); each pair counts once.
    """
    x = generator_scale(samples)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1] < 2 or x.shape[2] < 2:
        raise ValueError(
            f"roughness needs [batch, height, width(, channels)] with height, width >= 2, "
            f"got shape {x.shape}"
        )
    vertical = np.abs(np.diff(x, axis=1))
    horizontal = np.abs(np.diff(x, axis=2))
    return float((vertical.sum() + horizontal.sum()) / (vertical.size + horizontal.size))
