"""The two directions, through the loaded SavedModels' `<direction>_seed` signatures.

    sound -> pictures   a 0.5 s chunk at 44.1 kHz and seeds s, s+1, ..., s+7 ->
                        8 pictures (the picture of seed k is the same whatever s is)
    picture -> sounds   a picture of any size and seeds s, s+1, s+2 -> 3 log-mel
                        spectrograms and their waveforms (synthesised in the graph)

Seed k's noise is `stateless_normal([z_dim], [k, 0])` (`avgan.export.signatures`), so a
seed names one picture for a given sound. The calls always carry COUNT examples: a
batch of another size may sum in another order and move a pixel by one level, while
the same batch size reproduces the same bytes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from avgan.data import features
from avgan.data.constants import CHUNK_SAMPLES, SAMPLE_RATE
from avgan.demo.models import Model

S2I_COUNT = 8  # pictures per sound
I2S_COUNT = 3  # sounds per picture
MAX_SEED = 2**31 - 1 - S2I_COUNT  # the last first seed: seeds stay within int32 for JS


@dataclasses.dataclass(frozen=True)
class Pictures:
    """What a sound gave."""

    seeds: list[int]
    pictures: np.ndarray  # [count, 64, 64, 3] uint8
    log_mel: np.ndarray  # [128, 44] float32 dB: the chunk the model heard


@dataclasses.dataclass(frozen=True)
class Sounds:
    """What a picture gave."""

    seeds: list[int]
    log_mel: np.ndarray  # [count, 128, 44] float32 dB, 0 dB full scale
    waveform: np.ndarray  # [count, 22050] float32 at 44.1 kHz


def seeds_from(first: int, count: int) -> list[int]:
    """[first, first + 1, ..., first + count - 1].

    Raises:
        ValueError: first is outside 0..MAX_SEED.
    """
    if not 0 <= first <= MAX_SEED:
        raise ValueError(f"seed: a whole number from 0 to {MAX_SEED}, got {first}")
    return list(range(first, first + count))


def call_in_batches(model: Model, condition: np.ndarray, seeds: list[int]) -> dict:
    """model.call on (condition rows, seeds) in batches of at most model.max_batch;
    the outputs concatenated as NumPy arrays."""
    name = "waveform" if model.direction == "s2i" else "image"
    parts = []
    for start in range(0, len(seeds), model.max_batch):
        rows = slice(start, start + model.max_batch)
        out = model.call(
            **{name: tf.constant(condition[rows]), "seed": tf.constant(seeds[rows], tf.int64)}
        )
        parts.append({key: value.numpy() for key, value in out.items()})
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def sound_to_pictures(
    model: Model, chunk: np.ndarray, first_seed: int = 0, count: int = S2I_COUNT
) -> Pictures:
    """Pictures of one 0.5 s sound for seeds first_seed ... first_seed + count - 1.

    Args:
        model: a loaded S2I model.
        chunk: [22050] float32 in [-1, 1] at 44.1 kHz.

    Returns:
        The pictures, and the log-mel spectrogram of the chunk (the log-mel sound
        encoders' input, `avgan.data.features.log_mel_spectrogram`).
    """
    chunk = np.asarray(chunk, np.float32).reshape(CHUNK_SAMPLES)
    seeds = seeds_from(first_seed, count)
    out = call_in_batches(model, np.repeat(chunk[None], count, axis=0), seeds)
    log_mel = features.log_mel_spectrogram(tf.constant(chunk), SAMPLE_RATE).numpy()
    return Pictures(seeds, out["image"], log_mel)


def picture_to_sounds(
    model: Model, picture: np.ndarray, first_seed: int = 0, count: int = I2S_COUNT
) -> Sounds:
    """Sounds of one picture for seeds first_seed ... first_seed + count - 1.

    Args:
        model: a loaded I2S model.
        picture: [height, width, 3] uint8 of any size (resized in the graph to 64x64).
    """
    picture = np.asarray(picture, np.uint8)
    seeds = seeds_from(first_seed, count)
    out = call_in_batches(model, np.repeat(picture[None], count, axis=0), seeds)
    return Sounds(seeds, out["log_mel"], out["waveform"])
