"""Real conditions from a run's own data set, for judging and calibrating exports.

The export compares each exported file with the Keras generator on held-out conditions
(the 'validation' split) and calibrates int8 quantisation on training conditions: real
sounds and pictures, because zeros or random noise exercise none of the ranges a
quantised model gets wrong (docs/export.md, "Parity").

    conditions(...)  -> Conditions(condition, z, stems)
        S2I condition: [n, 22050] float32 waveforms in [-1, 1]
        I2S condition: [n, 64, 64, 3] uint8 pictures
        z:             [n, z_dim] float32 standard normal, from `seed` alone

The pairs are a fixed, seeded choice spread over the split's instruments, so the same
run gives the same table on every export.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

DEFAULT_PAIRS = 24
DEFAULT_SEED = 0


class DataError(ValueError):
    """The run's data set (or --parity_data) cannot give conditions."""


@dataclasses.dataclass
class Conditions:
    condition: np.ndarray  # S2I [n, 22050] float32; I2S [n, 64, 64, 3] uint8
    z: np.ndarray  # [n, z_dim] float32
    stems: list[str]  # the pairs' names, e.g. 'violin03_7'
    root: str  # the data folder they came from


def data_root(config, override: str | None = None) -> str:
    """The folder of the run's data set: `override`, else the run's `data.root`, else
    its synthetic ensemble (built first when missing: it is what the run trained on).

    Raises:
        DataError: the folder does not exist.
    """
    if override:
        if not os.path.isdir(override):
            raise DataError(f"--parity_data {override}: no such folder")
        return override
    if config.data.root:
        if not os.path.isdir(config.data.root):
            raise DataError(
                f"the run's data {config.data.root} is not here: pass --parity_data DIR "
                "(a folder in the same layout) to compare the exports on"
            )
        return config.data.root
    from avgan.data.synthetic import build

    return build.ensure_built(config.data.synthetic_preset, config.data.seed)


def conditions(
    config,
    split: str = "validation",
    count: int = DEFAULT_PAIRS,
    seed: int = DEFAULT_SEED,
    root: str | None = None,
) -> Conditions:
    """`count` pairs of `split` of the run's data set (config: the run's Config), as the
    run's direction takes them, with noise z of the run's z_dim.

    Pose-oriented runs draw from their instruments only (config.gan.instruments).

    Raises:
        DataError: no data folder, or the split has no pairs.
    """
    import tensorflow as tf

    from avgan.data import layout, pipeline

    root = root or data_root(config)
    try:
        index = layout.read_layout(root, check_files=False, progress=False)
        pairs = pipeline.select_pairs(index, split, list(config.gan.instruments) or None)
    except ValueError as e:
        raise DataError(str(e)) from None
    rng = np.random.default_rng(seed)
    # Evenly spaced positions from a seeded offset: select_pairs groups the pairs by
    # instrument, so every instrument gets its share of the count.
    count = min(count, len(pairs))
    step = len(pairs) / count
    chosen = [pairs[int((k + rng.uniform()) * step)] for k in range(count)]
    if config.direction == "s2i":
        condition = np.stack([pipeline.load_sound(tf.constant(p.sound)).numpy() for p in chosen])
    else:
        condition = np.stack([pipeline.load_picture(tf.constant(p.image)).numpy() for p in chosen])
    z = rng.standard_normal((len(chosen), config.model.z_dim)).astype(np.float32)
    return Conditions(condition, z, [p.stem for p in chosen], root)
