"""Pictures as numbers: uint8 pixels <-> floats in [-1, 1], and the pictures of training logs.

The generators output images in [-1, 1] (tanh) and the encoders read them so; files and
data sets hold uint8 pixels. The scaling between the two, x / 127.5 - 1 one way and
round(clip((x + 1) * 127.5, 0, 255)) the other, is defined here once: the 256 levels
survive the round trip exactly.

NumPy and TensorFlow only (no Keras), so data, evaluation and export code can import it.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

PIXEL_SCALE = 127.5  # half of 255: uint8 level x is x / PIXEL_SCALE - 1 in [-1, 1]

# A dark-to-bright palette (black, purple, orange, yellow) as spectrogram viewers use.
SPECTROGRAM_PALETTE = np.array(
    [[0, 0, 0], [90, 20, 120], [230, 100, 30], [255, 240, 120]], np.float32
)
SPECTROGRAM_PALETTE.flags.writeable = False  # shared by every caller


def to_unit(pixels: tf.Tensor | np.ndarray) -> tf.Tensor | np.ndarray:
    """uint8 pixels (0..255) -> floats in [-1, 1]: x / 127.5 - 1.

    Args:
        pixels: a tf tensor or anything `np.asarray` takes, of any shape; usually uint8
            [..., height, width, 3].

    Returns:
        The same shape. A tf tensor in gives a tf float32 tensor (cast first). Anything
        else gives a NumPy array: float64 if the input is float64 (so float64 callers
        keep their precision), else float32.
    """
    if tf.is_tensor(pixels):
        return tf.cast(pixels, tf.float32) / PIXEL_SCALE - 1.0
    pixels = np.asarray(pixels)
    dtype = np.float64 if pixels.dtype == np.float64 else np.float32
    return pixels.astype(dtype) / dtype(PIXEL_SCALE) - dtype(1.0)


def to_uint8(image: tf.Tensor | np.ndarray) -> tf.Tensor | np.ndarray:
    """Floats in [-1, 1] -> uint8 pixels: round(clip((x + 1) * 127.5, 0, 255)).

    Out-of-range values are clipped to 0 and 255; halves round to even (tf.round and
    np.round agree), so TensorFlow and NumPy give the same pixels.

    Args:
        image: a float tf tensor or anything `np.asarray` takes, of any shape; the
            arithmetic runs in its own float dtype.

    Returns:
        The same shape, as a tf uint8 tensor for a tf tensor, else a NumPy uint8 array.
    """
    if tf.is_tensor(image):
        return tf.cast(
            tf.round(tf.clip_by_value((image + 1.0) * PIXEL_SCALE, 0.0, 255.0)), tf.uint8
        )
    image = np.asarray(image)
    return np.round(np.clip((image + 1.0) * PIXEL_SCALE, 0, 255)).astype(np.uint8)


def image_grid(images: np.ndarray, columns: int) -> np.ndarray:
    """Tiles pictures row by row into one picture.

    Args:
        images: [n, h, w, c] uint8, or float in [-1, 1] (converted with `to_uint8`).
        columns: pictures per row; the last row is padded with black.

    Returns:
        [ceil(n / columns) * h, columns * w, c] uint8; picture i at row i // columns,
        column i % columns.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = to_uint8(images)
    n, h, w, c = images.shape
    rows = math.ceil(n / columns)
    grid = np.zeros((rows * h, columns * w, c), np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        grid[r * h : (r + 1) * h, col * w : (col + 1) * w] = image
    return grid


def spectrogram_pictures(spectrograms: np.ndarray) -> np.ndarray:
    """Colours spectrograms with SPECTROGRAM_PALETTE, low pitches at the bottom.

    Args:
        spectrograms: [n, bins, frames, 1] in [-1, 1] (e.g. the 128 log-mel bins of the
            I2S generator), bin 0 the lowest; values outside are clipped.

    Returns:
        [n, bins, frames, 3] uint8: -1 is the first palette colour (black), 1 the last,
        linear in between; rows flipped, so bin 0 is the bottom row.
    """
    s = np.clip((np.asarray(spectrograms)[..., 0] + 1.0) / 2.0, 0.0, 1.0)[:, ::-1]
    stops = SPECTROGRAM_PALETTE
    position = s * (len(stops) - 1)
    low = np.floor(position).astype(int).clip(0, len(stops) - 2)
    frac = (position - low)[..., None]
    return (stops[low] * (1 - frac) + stops[low + 1] * frac).astype(np.uint8)
