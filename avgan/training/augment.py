"""Differentiable augmentation of what the discriminator sees (DiffAugment).

Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training": with
a few thousand training pictures the discriminator memorises the real ones, and its
gradient stops telling the generator what a picture looks like. Applying the same
random, differentiable transformations to real AND generated pictures before the
discriminator (in both its step and the generator's) keeps it from memorising
without changing the distribution the generator is pushed towards, since the
generator's output goes through the same transformations. On the synthetic ensemble
the gain is not from memorisation (pictures drawn fresh do not help) but from slowing
a discriminator that otherwise runs away from the generator; `scripts/dcgan_sanity.py`
measures both.

The three policies of the paper, on pictures in [-1, 1] (their code's constants):
    color:       brightness +U(-0.5, 0.5), saturation x U(0, 2), contrast x U(0.5, 1.5)
    translation: shift by up to 1/8 of the side in each axis, zero (grey) padding
    cutout:      zero a square of half the side at a random place

and one for spectrograms ([batch, mels, frames, 1], as I2S makes them):
    time_translation: `translation` along the width (time) axis only; a shift along
                      the mel axis would change the pitch, which the picture fixes

Each example gets its own draw. Input and output: [batch, height, width, channels]
float32. Under `tf.distribute` the draws are made for the global batch and each
replica keeps its rows (`replica=(id, count)`), as `GanCls` does with its noise, so
N replicas augment exactly as one replica does the whole batch.
"""

from __future__ import annotations

import tensorflow as tf

# The policy names and their parser live with the configuration, which checks them.
from avgan.config import AUGMENT_POLICIES as POLICIES
from avgan.config import parse_policy  # noqa: F401  (re-exported)

Replica = tuple  # (replica id: int or scalar tensor, replicas in sync: int)


def _draw(x: tf.Tensor, seed: tf.Tensor, replica: Replica, low, high, dtype, tail=(1, 1, 1)):
    """[local batch, *tail] uniform draws in [low, high): this replica's rows of the
    global batch's draw."""
    local = tf.shape(x)[0]
    replica_id, replicas = replica
    values = tf.random.stateless_uniform([local * replicas, *tail], seed, low, high, dtype=dtype)
    return values[replica_id * local : (replica_id + 1) * local]


def color(x: tf.Tensor, seed: tf.Tensor, replica: Replica = (0, 1)) -> tf.Tensor:
    """Random brightness, saturation and contrast, per example."""
    seeds = tf.random.experimental.stateless_split(seed, 3)
    x = x + _draw(x, seeds[0], replica, -0.5, 0.5, x.dtype)
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    x = (x - mean) * _draw(x, seeds[1], replica, 0.0, 2.0, x.dtype) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * _draw(x, seeds[2], replica, 0.5, 1.5, x.dtype) + mean


def translation(
    x: tf.Tensor,
    seed: tf.Tensor,
    replica: Replica = (0, 1),
    ratio: float = 0.125,
    axes: tuple[int, ...] = (1, 2),
) -> tf.Tensor:
    """Shift each example by up to `ratio` of its side along each of `axes` (1: height,
    2: width); zeros fill in."""
    height, width = tf.shape(x)[1], tf.shape(x)[2]
    seeds = tf.random.experimental.stateless_split(seed, 2)
    shifts = []
    for axis_seed, side, axis in zip(tf.unstack(seeds), (height, width), (1, 2), strict=True):
        # A fixed axis draws from [0, 1): shift 0, and the other axis's draw is the
        # same as under the full policy.
        limit = tf.cast(tf.cast(side, tf.float32) * ratio + 0.5, tf.int32) if axis in axes else 0
        shifts.append(_draw(x, axis_seed, replica, -limit, limit + 1, tf.int32, tail=(1,)))
    # Source index of every output row / column; out of range reads the zero padding.
    rows = tf.range(height)[None, :] - shifts[0]  # [batch, height]
    cols = tf.range(width)[None, :] - shifts[1]  # [batch, width]
    padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
    rows = tf.clip_by_value(rows + 1, 0, height + 1)
    cols = tf.clip_by_value(cols + 1, 0, width + 1)
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)


def cutout(
    x: tf.Tensor, seed: tf.Tensor, replica: Replica = (0, 1), ratio: float = 0.5
) -> tf.Tensor:
    """Zero a square of `ratio` of the side (per example, centre anywhere in the picture)."""
    height, width = tf.shape(x)[1], tf.shape(x)[2]
    seeds = tf.random.experimental.stateless_split(seed, 2)
    masks = []
    for axis_seed, side in zip(tf.unstack(seeds), (height, width), strict=True):
        half = tf.cast(tf.cast(side, tf.float32) * ratio + 0.5, tf.int32) // 2
        centre = _draw(x, axis_seed, replica, 0, side, tf.int32, tail=(1,))
        masks.append(tf.abs(tf.range(side)[None, :] - centre) < half)  # [batch, side]
    inside = masks[0][:, :, None] & masks[1][:, None, :]  # [batch, height, width]
    return x * tf.cast(~inside, x.dtype)[..., None]


def time_translation(x: tf.Tensor, seed: tf.Tensor, replica: Replica = (0, 1)) -> tf.Tensor:
    """`translation` along the width (a spectrogram's time axis) only."""
    return translation(x, seed, replica, axes=(2,))


_FUNCTIONS = {
    "color": color,
    "translation": translation,
    "cutout": cutout,
    "time_translation": time_translation,
}
if tuple(_FUNCTIONS) != POLICIES:  # the config lists what this module implements
    raise ImportError(f"augment implements {tuple(_FUNCTIONS)}, the config lists {POLICIES}")


def diff_augment(
    x: tf.Tensor, policy: tuple[str, ...], seed: tf.Tensor, replica: Replica = (0, 1)
) -> tf.Tensor:
    """x after each augmentation of `policy` in order, with randomness from `seed`.

    Args:
        x: [batch, height, width, channels] float.
        policy: names from POLICIES (see `parse_policy`).
        seed: [2] int32/int64 stateless seed; the same seed gives the same draw.
        replica: (replica id, replicas in sync): x is that replica's slice of a global
            batch of x.shape[0] * replicas examples.
    """
    if not policy:
        return x
    seeds = tf.random.experimental.stateless_split(seed, len(policy))
    for name, part_seed in zip(policy, tf.unstack(seeds), strict=True):
        x = _FUNCTIONS[name](x, part_seed, replica)
    return x
