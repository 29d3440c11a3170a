"""Diversity per condition: how different the outputs for one condition are.

A conditional GAN that ignores its noise (mode collapse) gives the same picture for
every z; one that uses it gives a spread. For one condition (a sound for S2I, a
picture for I2S) we generate K outputs with K noise draws and take their mean
pairwise L2 distance; averaged over conditions it is one number per model, 0 for a
collapsed generator. Beyond the paper (docs/design.md §6).

Distances are Euclidean in the space the samples are given in: pixels (uint8
pictures are first scaled to [-1, 1], the generators' tanh range, so uint8 and float
outputs of the same picture agree), log-mel dB, or a classifier's encodings (pass
`feature_fn`, e.g. `lambda x: encoder.encode(x, training=False)`), which measures
diversity in content rather than in pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from avgan.data.pictures import to_unit


def generator_scale(samples) -> np.ndarray:
    """Samples as float64 on the generators' [-1, 1] scale: uint8 pictures scaled as
    `PixelScaling` does, anything else cast."""
    samples = np.asarray(samples)
    if samples.dtype == np.uint8:
        return to_unit(samples.astype(np.float64))
    return samples.astype(np.float64)


def _as_float_rows(samples) -> np.ndarray:
    """[K, ...] -> [K, D] float64 on the generators' scale (`generator_scale`)."""
    samples = generator_scale(samples)
    if samples.ndim < 1 or samples.shape[0] < 2:
        raise ValueError(f"need K >= 2 samples along axis 0, got shape {samples.shape}")
    return samples.reshape(samples.shape[0], -1)


def pairwise_diversity(samples) -> float:
    """Mean L2 distance over all K (K - 1) / 2 pairs of samples of one condition.

    Args:
        samples: [K, ...] the outputs for one condition with K noise draws: pictures
            [K, 64, 64, 3] (uint8, or float in [-1, 1]), spectrograms [K, 128, 44], or
            encodings [K, 128]. K >= 2.

    Returns:
        The mean pairwise Euclidean distance of the flattened samples (float64
        arithmetic), 0.0 when all K are identical.
    """
    rows = _as_float_rows(samples)
    # ||a - b||^2 from the Gram matrix would lose precision for near-identical samples,
    # so take the differences; K is small (8 by default).
    differences = rows[:, None, :] - rows[None, :, :]
    distances = np.sqrt(np.sum(differences**2, axis=-1))
    upper = np.triu_indices(rows.shape[0], k=1)
    return float(distances[upper].mean())


def diversity_per_condition(
    generate_fn: Callable,
    conditions: Sequence | np.ndarray,
    draws: int = 8,
    seed: int = 0,
    feature_fn: Callable | None = None,
) -> float:
    """Mean over conditions of `pairwise_diversity` of `draws` outputs per condition.

    Args:
        generate_fn: (condition_batch, seed) -> outputs [draws, ...]. It is called once
            per condition with that condition repeated `draws` times ([draws, ...]) and
            a seed; it must draw a different noise vector for each row (e.g.
            `tf.random.stateless_normal([draws, z_dim], [seed, 0])`).
        conditions: [C, ...] conditions (sound waveforms, encodings or pictures).
        draws: K, outputs per condition (>= 2).
        seed: condition i gets seed `seed + i`, so the result is reproducible.
        feature_fn: maps outputs [draws, ...] to the space the distance is taken in
            (default: the outputs themselves).

    Returns:
        The mean over the C conditions.
    """
    if draws < 2:
        raise ValueError(f"draws must be >= 2 for a pairwise distance, got {draws}")
    if len(conditions) == 0:
        raise ValueError("no conditions")
    values = []
    for i, condition in enumerate(conditions):
        batch = np.repeat(np.asarray(condition)[None], draws, axis=0)
        outputs = generate_fn(batch, seed + i)
        if feature_fn is not None:
            outputs = feature_fn(outputs)
        outputs = np.asarray(outputs)
        if outputs.shape[0] != draws:
            raise ValueError(f"generate_fn returned {outputs.shape[0]} outputs, wanted {draws}")
        values.append(pairwise_diversity(outputs))
    return float(np.mean(values))
