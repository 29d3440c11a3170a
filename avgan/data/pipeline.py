"""tf.data pipelines over a PairIndex: matched pairs with wrong pairs, and classifier sets.

Elements carry raw inputs: 0.5 s waveforms ([22050] float32 in [-1, 1]) and 64x64
uint8 pictures. The sound representation is computed by a layer at the front of
each sound model, so it runs on the accelerator inside the train step (docs/design.md
§3.6); `representation=` computes it here instead, on the CPU, for a cache.

Wrong pairs (the matching-aware GAN's third input) follow the paper; each element
carries the wrong pair's picture (for S2I) and sound (for I2S):
- 'instrument' (Eq. 5): the wrong image shows another instrument.
- 'pose' (Eq. 6): the wrong image is another image of the same instrument.

Everything is deterministic given `seed`: the shuffle order and each wrong pair
(drawn with stateless random ops keyed by the element's position in the stream).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from avgan.data import features
from avgan.data.audio import resize_image
from avgan.data.constants import CHUNK_SAMPLES, IMAGE_SIZE  # CHUNK_SAMPLES: also re-exported
from avgan.data.layout import Pair, PairIndex

WRONG_PAIR_MODES = ("instrument", "pose")


def load_sound(path: tf.Tensor) -> tf.Tensor:
    """A 16-bit PCM WAV at 44.1 kHz -> [22050] float32 mono, cropped or zero-padded."""
    waveform, _ = tf.audio.decode_wav(tf.io.read_file(path))  # [samples, channels]
    mono = tf.reduce_mean(waveform, axis=-1)[:CHUNK_SAMPLES]
    mono = tf.pad(mono, [[0, CHUNK_SAMPLES - tf.shape(mono)[0]]])
    return tf.ensure_shape(mono, [CHUNK_SAMPLES])


def load_picture(path: tf.Tensor, size: int = IMAGE_SIZE) -> tf.Tensor:
    """A JPEG/PNG -> [size, size, 3] uint8 RGB."""
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    return tf.ensure_shape(resize_image(image, size), [size, size, 3])


def select_pairs(index: PairIndex, split: str, instruments: list[str] | None) -> list[Pair]:
    """The pairs a pipeline over `split` streams, in the order its positions count them.

    Args:
        index: from `avgan.data.layout.read_layout`.
        split: e.g. 'train'.
        instruments: keep only these instrument names; None or empty keeps all.

    Returns:
        A list of `Pair`, grouped by class label (`index.label`, ascending), each class
        in the index's order; len() is the number of elements in one pass. Position i
        of `paired_dataset`, `sound_dataset` and `image_dataset` is element i.

    Raises:
        ValueError: the split has no pairs, or an instrument is not in the index.
    """
    pairs = index.split(split)
    if instruments:
        unknown = sorted(set(instruments) - set(index.instruments))
        if unknown:
            raise ValueError(
                f"unknown instrument(s) {', '.join(unknown)}; "
                f"{index.root} has: {', '.join(index.instruments)}"
            )
        pairs = [p for p in pairs if p.instrument in instruments]
    # Group by label so each class is one contiguous run (the wrong-pair sampling
    # below relies on it); the order within a class stays the index's.
    return sorted(pairs, key=lambda p: index.label(p.instrument))


def _positions(
    index: PairIndex, split: str, instruments, shuffle: bool, seed: int, repeat: bool
) -> tuple[tf.data.Dataset, list[Pair]]:
    """(stream of (step, position) int64, the selected pairs in position order)."""
    pairs = select_pairs(index, split, instruments)
    dataset = tf.data.Dataset.range(len(pairs))
    if shuffle:
        dataset = dataset.shuffle(len(pairs), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    return dataset.enumerate(), pairs


def _finish(
    dataset: tf.data.Dataset, batch_size: int, drop_remainder: bool, after_batch=None
) -> tf.data.Dataset:
    """Batch, optionally map `after_batch` over batches, prefetch."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if after_batch is not None:
        dataset = dataset.map(after_batch, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def paired_dataset(
    index: PairIndex,
    split: str,
    batch_size: int,
    *,
    wrong_pairs: str = "instrument",
    instruments: list[str] | None = None,
    seed: int = 0,
    shuffle: bool = True,
    repeat: bool = False,
    drop_remainder: bool = True,
    skip_batches: int = 0,
) -> tf.data.Dataset:
    """Batches of matched sound-image pairs with one wrong image each.

    Args:
        index: from `avgan.data.layout.read_layout`.
        split: e.g. 'train'.
        wrong_pairs: 'instrument' (paper Eq. 5) or 'pose' (Eq. 6); see module doc.
        instruments: keep only these (pose-oriented models train per instrument).
        seed: shuffle order and wrong-pair draws.
        repeat: repeat forever (reshuffled each pass).
        skip_batches: start this many batches into the stream, with the same batches
            (order and wrong pairs) that would have followed: resuming a run where it
            stopped. Skipped elements are not loaded.

    Returns:
        A dataset of dicts:
            sound: [batch, 22050] float32, the right pair's waveform.
            image: [batch, 64, 64, 3] uint8, the right pair's picture.
            wrong_image: [batch, 64, 64, 3] uint8, the wrong pair's picture (for S2I).
            wrong_sound: [batch, 22050] float32, the wrong pair's sound (for I2S, Eq. 7).
            label, wrong_label: [batch] int32 instrument labels (index.label).
            position, wrong_position: [batch] int64 rows of the selected pairs, for tests
                and for looking samples up.

    Raises:
        ValueError: an unknown mode or instrument, or too few pairs to draw wrong ones.
    """
    if wrong_pairs not in WRONG_PAIR_MODES:
        raise ValueError(f"wrong_pairs must be one of {WRONG_PAIR_MODES}, got {wrong_pairs!r}")
    positions, pairs = _positions(index, split, instruments, shuffle, seed, repeat)
    load = _paired_loader(index, pairs, split, wrong_pairs, seed)
    if skip_batches:
        positions = positions.skip(skip_batches * batch_size)
    dataset = positions.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return _finish(dataset, batch_size, drop_remainder)


def _class_runs(
    index: PairIndex, pairs: list[Pair], split: str, wrong_pairs: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(label per pair, pairs per label, each label's first position) of `select_pairs`.

    Raises:
        ValueError: too few classes or pairs per class to draw `wrong_pairs` from.
    """
    labels = np.array([index.label(p.instrument) for p in pairs], np.int64)
    n_labels = len(index.instruments)
    counts = np.bincount(labels, minlength=n_labels)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    present = counts[counts > 0]
    if wrong_pairs == "instrument" and len(present) < 2:
        raise ValueError(f"split {split!r} has one instrument: no wrong pairs of Eq. 5")
    if wrong_pairs == "pose" and present.min() < 2:
        raise ValueError(f"split {split!r} has an instrument with one picture: no Eq. 6 pairs")
    return labels, counts, starts


def _wrong_position_fn(
    labels_t: tf.Tensor, counts: np.ndarray, starts: np.ndarray, seed: int, wrong_pairs: str
):
    """(step, position) -> the wrong pair's position, drawn statelessly from (seed, step)."""
    counts_t, starts_t = (tf.constant(a, tf.int64) for a in (counts, starts))
    total = tf.constant(int(counts.sum()), tf.int64)  # all selected pairs
    seed_t = tf.constant(seed, tf.int64)

    def wrong_position(step, position):
        label = labels_t[position]
        count, start = counts_t[label], starts_t[label]
        key = tf.stack([seed_t, step])
        if wrong_pairs == "instrument":
            # Uniform over the pairs outside this class's run [start, start + count).
            r = tf.random.stateless_uniform([], key, 0, total - count, dtype=tf.int64)
            return tf.where(r >= start, r + count, r)
        # Uniform over this class's run, skipping the right pair itself.
        r = start + tf.random.stateless_uniform([], key, 0, count - 1, dtype=tf.int64)
        return tf.where(r >= position, r + 1, r)

    return wrong_position


def _paired_loader(index: PairIndex, pairs: list[Pair], split: str, wrong_pairs: str, seed: int):
    """(step, position) -> one element of `paired_dataset`: the pair and its wrong pair."""
    labels, counts, starts = _class_runs(index, pairs, split, wrong_pairs)
    images = tf.constant([p.image for p in pairs])
    sounds = tf.constant([p.sound for p in pairs])
    labels_t = tf.constant(labels, tf.int64)
    wrong_position = _wrong_position_fn(labels_t, counts, starts, seed, wrong_pairs)

    def load(step, position):
        wrong = wrong_position(step, position)
        return {
            "sound": load_sound(sounds[position]),
            "image": load_picture(images[position]),
            "wrong_image": load_picture(images[wrong]),
            "wrong_sound": load_sound(sounds[wrong]),
            "label": tf.cast(labels_t[position], tf.int32),
            "wrong_label": tf.cast(labels_t[wrong], tf.int32),
            "position": position,
            "wrong_position": wrong,
        }

    return load


def sound_dataset(
    index: PairIndex,
    split: str,
    batch_size: int,
    *,
    representation: str | None = None,
    pitch: bool = False,
    instruments: list[str] | None = None,
    seed: int = 0,
    shuffle: bool = True,
    repeat: bool = False,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """(sound, label) batches for the sound classifiers.

    Args:
        representation: compute 'stft', 'cqt', 'mfcc', 'ms' or 'lms' here instead of
            yielding waveforms.
        pitch: also yield MIDI pitch targets, for the pitch-aware classifier.

    Returns:
        (sound, label): sound is [batch, 22050] float32 waveforms, or the
        representation as [batch, bins, frames]; label is [batch] int32.
        With `pitch`: (sound, {"instrument": label, "pitch": pitch},
        {"instrument": 1.0, "pitch": weight}) where a rest or unknown pitch has
        pitch 0 and weight 0, so it does not count in the pitch loss.

    Raises:
        ValueError: `pitch` on a layout without pitch metadata.
    """
    positions, pairs = _positions(index, split, instruments, shuffle, seed, repeat)
    sounds = tf.constant([p.sound for p in pairs])
    labels = tf.constant([index.label(p.instrument) for p in pairs], tf.int32)
    if pitch:
        if any(p.pitch is None for p in pairs):
            raise ValueError(f"{index.root}: split {split!r} has no pitch metadata")
        pitches = tf.constant([max(p.pitch, 0) for p in pairs], tf.int32)
        weights = tf.constant([float(p.pitch >= 0) for p in pairs], tf.float32)

        def load(_, i):
            targets = {"instrument": labels[i], "pitch": pitches[i]}
            return load_sound(sounds[i]), targets, {"instrument": 1.0, "pitch": weights[i]}
    else:

        def load(_, i):
            return load_sound(sounds[i]), labels[i]

    dataset = positions.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    after_batch = None
    if representation is not None:
        fn = features.representation_fn(representation)
        after_batch = lambda x, *rest: (fn(x), *rest)  # noqa: E731
    return _finish(dataset, batch_size, drop_remainder, after_batch)


def image_dataset(
    index: PairIndex,
    split: str,
    batch_size: int,
    *,
    instruments: list[str] | None = None,
    seed: int = 0,
    shuffle: bool = True,
    repeat: bool = False,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """(image, label) batches for the image classifier: [batch, 64, 64, 3] uint8, [batch] int32."""
    positions, pairs = _positions(index, split, instruments, shuffle, seed, repeat)
    images = tf.constant([p.image for p in pairs])
    labels = tf.constant([index.label(p.instrument) for p in pairs], tf.int32)
    dataset = positions.map(
        lambda _, i: (load_picture(images[i]), labels[i]), num_parallel_calls=tf.data.AUTOTUNE
    )
    return _finish(dataset, batch_size, drop_remainder)
