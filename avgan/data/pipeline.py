"""tf.data pipelines over a PairIndex: matched pairs with wrong pairs, and classifier sets.

Elements carry raw inputs: 0.5 s waveforms ([22050] float32 in [-1, 1]) and 64x64
uint8 pictures. The sound representation is computed by a layer at the front of
each sound model, so it runs on the accelerator inside the train step (docs/design.md
§3.6); `representation=` computes it here instead, on the CPU, for a cache.

Wrong pairs (the matching-aware GAN's third input) follow the paper; each element
carries the wrong pair's picture (for S2I) and sound (for I2S):
- 'instrument' (Eq. 5): the wrong image shows another instrument.
- 'pose' (Eq. 6): the wrong image is another image of the same instrument; with
  `near_pitch`, one whose note is different but near, and with `same_recording` one of
  the same recording (player and room) playing another note (harder negatives).

Everything is deterministic given `seed`: the shuffle order and each wrong pair
(drawn with stateless random ops keyed by the element's position in the stream).

`avgan.data.layout.read_layout` checks every file with `decode_sound` and
`decode_picture`, the decoders used here, so what it accepts decodes here. A file that fails anyway
(changed on disk since, or an index read with `check_files=False`) does not stop a
run: the element that needs it is skipped and the file named, with the decoder's
reason, in a warning in the run's log (`_skipping_undecodable`).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf

from avgan.data import features
from avgan.data.audio import parse_wav_header, resize_image
from avgan.data.constants import CHUNK_SAMPLES, IMAGE_SIZE  # CHUNK_SAMPLES: also re-exported

if TYPE_CHECKING:  # layout imports this module to check files with its decoders
    from avgan.data.layout import Pair, PairIndex

WRONG_PAIR_MODES = ("instrument", "pose")


# WAVE_FORMAT_EXTENSIBLE: the format tag 0xFFFE, and the SubFormat GUID of integer PCM
# (KSDATAFORMAT_SUBTYPE_PCM, its first two bytes the real format tag, 1).
_EXTENSIBLE_TAG = b"\xfe\xff"
_PCM_SUBFORMAT = b"\x01\x00\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


def _as_plain_pcm(contents: tf.Tensor) -> tf.Tensor:
    """A WAVE_FORMAT_EXTENSIBLE PCM file's bytes rewritten with a plain PCM 'fmt ' chunk.

    `tf.audio.decode_wav` reads only format tag 1 with a 16- or 18-byte 'fmt ' chunk,
    but some recorders and converters write 16-bit PCM in the extensible form (a 40-byte
    chunk whose SubFormat names PCM), with the same samples.
    The rewrite keeps the first 16 bytes of the chunk with the tag set to 1 and drops
    the extension. Other files, and extensible ones of other sample formats, pass
    unchanged (and decode_wav refuses those it cannot read).
    """
    n = tf.strings.length(contents)

    def at(pos, length):  # clamped: a short file gives short strings, not an error
        return tf.strings.substr(contents, tf.minimum(pos, n), length)

    padded = tf.strings.join([at(16, 4), b"\0\0\0\0"])  # 4 bytes even in a short file
    size = tf.io.decode_raw(tf.strings.substr(padded, 0, 4), tf.int32)[0]  # the 'fmt ' chunk's
    extensible_pcm = (
        (at(12, 4) == b"fmt ")
        & (at(20, 2) == _EXTENSIBLE_TAG)
        & (size >= 40)
        & (at(44, 16) == _PCM_SUBFORMAT)
    )

    def plain():
        after_fmt = 20 + size + size % 2  # chunks are padded to an even length
        header = [at(0, 16), b"\x10\x00\x00\x00", b"\x01\x00", at(22, 14)]
        return tf.strings.join([*header, at(after_fmt, -1)])

    return tf.cond(extensible_pcm, plain, lambda: contents)


# The loaders are TF ops only: tf.data runs them as written, not through autograph.
# Converted, load_picture once ran the converted code of another function
# (audio.decode_image, a TypeError on bytes) late in a full pytest process; it passed
# alone. Not investigated further: there is nothing here for autograph to convert.
_plain_tf = tf.autograph.experimental.do_not_convert


@_plain_tf
def decode_sound(path: tf.Tensor) -> tf.Tensor:
    """The pipeline's WAV decoder: a 16-bit PCM WAV -> [samples, channels] float32.

    The WAV may be in the plain or the WAVE_FORMAT_EXTENSIBLE form. The sample rate is
    not checked here: `read_layout` does it.
    """
    waveform, _ = tf.audio.decode_wav(_as_plain_pcm(tf.io.read_file(path)))
    return waveform


@_plain_tf
def load_sound(path: tf.Tensor) -> tf.Tensor:
    """A 16-bit PCM WAV at 44.1 kHz -> [22050] float32 mono, cropped or zero-padded."""
    mono = tf.reduce_mean(decode_sound(path), axis=-1)[:CHUNK_SAMPLES]  # channels averaged
    mono = tf.pad(mono, [[0, CHUNK_SAMPLES - tf.shape(mono)[0]]])
    return tf.ensure_shape(mono, [CHUNK_SAMPLES])


@_plain_tf
def decode_picture(path: tf.Tensor) -> tf.Tensor:
    """The pipeline's picture decoder: a JPEG/PNG -> [height, width, 3] uint8 RGB."""
    return tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)


@_plain_tf
def load_picture(path: tf.Tensor, size: int = IMAGE_SIZE) -> tf.Tensor:
    """A JPEG/PNG -> [size, size, 3] uint8 RGB."""
    return tf.ensure_shape(resize_image(decode_picture(path), size), [size, size, 3])


def decode_error(decoder, path: str) -> str | None:
    """None if `decoder` (`decode_sound` or `decode_picture`) reads `path`, else TF's reason.

    What follows decoding in `load_sound` and `load_picture` (mixing, cropping, resizing)
    cannot fail on a decoded file, so a file that decodes also loads.
    """
    try:
        decoder(tf.constant(path))
    except tf.errors.OpError as e:
        return _error_text(e)
    return None


def _failure(decoder, path: str) -> str | None:
    """decode_error, put in plainer words for a WAV whose header is wrong."""
    reason = decode_error(decoder, path)
    if reason is not None and decoder is decode_sound:
        try:
            with open(path, "rb") as f:
                parse_wav_header(f.read(), path)
        except (OSError, ValueError) as e:  # e.g. 'truncated WAV: header declares ...'
            return f"{str(e).removeprefix(f'{path}: ')} ({reason})"
    return reason


def _error_text(error: tf.errors.OpError) -> str:
    """An op error's own words, without the graph-node and op decorations TF adds."""
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", error.message).split("\n")[0]
    return re.sub(r"\s*\[Op:\w+\].*$", "", text).strip()


# Elements are loaded in groups: one nested dataset per group costs about a third of one
# per element (measured: +0.12 against +0.38 ms of CPU per pair over the plain map).
_GROUP = 16


def _skipping_undecodable(
    positions: tf.data.Dataset, load, files_of, group: int = _GROUP
) -> tf.data.Dataset:
    """positions.map(load), but an element whose files fail to decode is skipped and named.

    Each group of `group` elements is loaded in a nested dataset with `ignore_errors`,
    so a failing decoder drops its element instead of ending the stream. (`ignore_errors`
    on the whole stream would also drop it, but logs only the decoder's message, from
    C++, without the file's name.) The files of a dropped element are decoded again in
    Python, and each that fails is logged once per dataset with its path and the reason.
    Order is kept; a skipped element shortens the stream by one.

    Args:
        positions: the stream of (step, position), int64 scalars.
        load: (step, position) -> the element.
        files_of: (step, position) -> (picture paths, sound paths) that `load` reads,
            [k] and [m] strings of fixed k and m.
    """
    logged: set[str] = set()

    def name_files(pictures, sounds) -> bool:
        """Logs the files that fail, from a dropped element's paths ([n, k] and [n, m])."""
        paths = [(p.decode(), decode_picture) for p in pictures.numpy().ravel()]
        paths += [(p.decode(), decode_sound) for p in sounds.numpy().ravel()]
        paths = list(dict.fromkeys(paths))  # the same file may be in two dropped elements
        failed = [(path, _failure(decoder, path)) for path, decoder in paths]
        failed = [(path, reason) for path, reason in failed if reason]
        if not failed:  # a passing failure, e.g. a read error: name every file read
            failed = [(path, "failed in the pipeline, decodes now") for path, _ in paths]
        for path, reason in failed:
            if path not in logged:
                logged.add(path)
                logging.warning("skipping the pairs that need %s: %s", path, reason)
        return False

    def load_group(steps, indices):
        tried = tf.data.Dataset.from_tensor_slices((steps, indices))
        tried = tried.map(lambda s, i: (load(s, i), s)).ignore_errors()
        # One blank element after the survivors, so the batch below is never empty.
        blank = tf.nest.map_structure(lambda s: tf.zeros(s.shape, s.dtype), tried.element_spec)
        blank = (blank[0], tf.constant(-1, tf.int64))
        elements, loaded = (
            tried.concatenate(tf.data.Dataset.from_tensors(blank))
            .batch(group + 1)
            .get_single_element()
        )
        dropped = ~tf.reduce_any(steps[:, None] == loaded[None, :], axis=1)

        def name_dropped():
            pictures, sounds = tf.map_fn(
                lambda element: files_of(*element),
                (tf.boolean_mask(steps, dropped), tf.boolean_mask(indices, dropped)),
                fn_output_signature=(tf.string, tf.string),
            )
            return tf.py_function(name_files, [pictures, sounds], tf.bool)

        named = tf.cond(tf.reduce_any(dropped), name_dropped, lambda: tf.constant(True))
        with tf.control_dependencies([named]):  # run the logging, though nothing reads it
            keep = loaded >= 0
        return tf.nest.map_structure(lambda t: tf.boolean_mask(t, keep), elements)

    dataset = positions.batch(group)
    dataset = dataset.map(load_group, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.unbatch()


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
    near_pitch: int = 0,
    same_recording: bool = False,
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
        near_pitch: 'pose' only: harder wrong pairs, the same instrument playing a
            different note at most this many semitones away (`_wrong_ranges`); 0 draws
            any other picture of the instrument.
        same_recording: 'pose' only: draw the wrong pair from the pair's own recording
            (same player, same room), playing another note (within `near_pitch` if set),
            where the recording has one; else as without it (`_wrong_ranges`).
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
            pitch: [batch] int32 MIDI pitch of the pair's note; -1 for a rest or when
                the layout has no pitch metadata.
            position, wrong_position: [batch] int64 rows of the selected pairs, for tests
                and for looking samples up.

    Raises:
        ValueError: an unknown mode or instrument, too few pairs to draw wrong ones, or
            `near_pitch` or `same_recording` without 'pose' or without pitch metadata.
    """
    if wrong_pairs not in WRONG_PAIR_MODES:
        raise ValueError(f"wrong_pairs must be one of {WRONG_PAIR_MODES}, got {wrong_pairs!r}")
    if near_pitch < 0 or (near_pitch and wrong_pairs != "pose"):
        raise ValueError(f"near_pitch must be >= 0 and is for wrong_pairs 'pose', got {near_pitch}")
    if same_recording and wrong_pairs != "pose":
        raise ValueError("same_recording is for wrong_pairs 'pose'")
    positions, pairs = _positions(index, split, instruments, shuffle, seed, repeat)
    for name, used in (("near_pitch", near_pitch), ("same_recording", same_recording)):
        if used and any(p.pitch is None for p in pairs):
            raise ValueError(f"{name}: {index.root} split {split!r} has no pitch metadata")
    recordings = np.array([p.recording for p in pairs]) if same_recording else None
    load, files_of = _paired_loader(index, pairs, split, wrong_pairs, near_pitch, recordings, seed)
    if skip_batches:
        positions = positions.skip(skip_batches * batch_size)
    return _finish(_skipping_undecodable(positions, load, files_of), batch_size, drop_remainder)


def _class_labels(index: PairIndex, pairs: list[Pair], split: str, wrong_pairs: str) -> np.ndarray:
    """The label of each pair of `select_pairs`.

    Raises:
        ValueError: too few classes or pairs per class to draw `wrong_pairs` from.
    """
    labels = np.array([index.label(p.instrument) for p in pairs], np.int64)
    n_labels = len(index.instruments)
    counts = np.bincount(labels, minlength=n_labels)
    present = counts[counts > 0]
    if wrong_pairs == "instrument" and len(present) < 2:
        raise ValueError(f"split {split!r} has one instrument: no wrong pairs of Eq. 5")
    if wrong_pairs == "pose" and present.min() < 2:
        raise ValueError(f"split {split!r} has an instrument with one picture: no Eq. 6 pairs")
    return labels


def _pitch_window(sorted_pitches: np.ndarray, offset: int, pitch: int, near: int):
    """Within one pool of pairs sorted by pitch (at `order` offset `offset`), the notes a
    pair of `pitch` draws its wrong pair from: (lo, hi, skip_lo, skip_hi), or None when
    there is none. A note: the other pitches within `near` semitones (0: any other
    pitch, rests included); a rest: any note."""
    size = len(sorted_pitches)
    notes_from = offset + int(np.searchsorted(sorted_pitches, 0, "left"))  # after the rests
    same = tuple(offset + np.searchsorted(sorted_pitches, [pitch, pitch + 1], "left"))
    if pitch < 0:
        lo, hi, skip = notes_from, offset + size, (notes_from, notes_from)
    elif near:
        window = np.searchsorted(sorted_pitches, [pitch - near, pitch + near + 1])
        lo, hi, skip = max(offset + int(window[0]), notes_from), offset + int(window[1]), same
    else:
        lo, hi, skip = offset, offset + size, same
    return None if hi - lo == skip[1] - skip[0] else (lo, hi, *skip)


def _wrong_ranges(
    labels: np.ndarray,
    pitches: np.ndarray,
    wrong_pairs: str,
    near_pitch: int,
    recordings: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Where each position's wrong pair is drawn from: (order, ranges).

    The wrong pair of position i is `order[r]`, r uniform over [lo, hi) without
    [skip_lo, skip_hi), where `ranges[i] = (lo, hi, skip_lo, skip_hi)` index `order`.
    - 'instrument': order is the identity; [lo, hi) is every position, the skipped run
      is i's class.
    - 'pose' (Eq. 6): the identity; i's class, skipping i itself.
    - 'pose' with `near_pitch` k > 0: order[:n] sorts each class by pitch; [lo, hi) is
      the class's notes within k semitones of i's, skipping i's own pitch (a rest's
      window is the class's notes, skipping nothing). Where no other pitch is that
      near, the whole class without i's pitch; where the class has one pitch, the whole
      class without i.
    - 'pose' with `recordings` (same_recording): first the same within i's recording
      (order[n:] sorts each class by recording, then pitch), any other pitch of it when
      k = 0; where the recording has none, as above over the class.
    With k = 0 and no recordings the draws are those of the two uniform draws this
    replaced, so runs resume on the same stream.
    """
    n = len(labels)
    by_pitch_order = recordings is not None or near_pitch > 0
    order = np.arange(2 * n if recordings is not None else n, dtype=np.int64) % n
    ranges = np.zeros((n, 4), np.int64)
    rank = np.empty(n, np.int64)  # each position's place in order[:n]
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)  # a contiguous run (select_pairs)
        start, end = int(members[0]), int(members[-1]) + 1
        if wrong_pairs == "instrument":
            ranges[members] = (0, n, start, end)
            continue
        if not by_pitch_order:
            ranges[members, 0], ranges[members, 1] = start, end
            ranges[members, 2], ranges[members, 3] = members, members + 1
            continue
        by_pitch = members[np.argsort(pitches[members], kind="stable")]
        order[start:end] = by_pitch
        class_pitches = pitches[by_pitch]
        rank[by_pitch] = np.arange(start, end)
        if recordings is not None:
            by_recording = members[np.lexsort((pitches[members], recordings[members]))]
            order[n + start : n + end] = by_recording
            runs = {}  # recording -> (its first place in order, its pitches sorted)
            for k, position in enumerate(by_recording):
                runs.setdefault(recordings[position], []).append(k)
            runs = {
                r: (n + start + ks[0], pitches[by_recording[ks[0] : ks[-1] + 1]])
                for r, ks in runs.items()
            }
        for i in members:
            pitch = int(pitches[i])
            found = None
            if recordings is not None:
                offset, recording_pitches = runs[recordings[i]]
                found = _pitch_window(recording_pitches, offset, pitch, near_pitch)
            found = (
                found
                or _pitch_window(class_pitches, start, pitch, near_pitch)
                or _pitch_window(class_pitches, start, pitch, 0)
                or (start, end, rank[i], rank[i] + 1)  # one pitch: any other picture
            )
            ranges[i] = found
    return order, ranges


def _wrong_position_fn(order: np.ndarray, ranges: np.ndarray, seed: int):
    """(step, position) -> the wrong pair's position, drawn statelessly from (seed, step)
    over `_wrong_ranges`."""
    order_t, ranges_t = tf.constant(order, tf.int64), tf.constant(ranges, tf.int64)
    seed_t = tf.constant(seed, tf.int64)

    def wrong_position(step, position):
        lo, hi, skip_lo, skip_hi = tf.unstack(ranges_t[position])
        skipped = skip_hi - skip_lo
        key = tf.stack([seed_t, step])
        r = tf.random.stateless_uniform([], key, lo, hi - skipped, dtype=tf.int64)
        return tf.gather(order_t, tf.where(r >= skip_lo, r + skipped, r))

    return wrong_position


def _paired_loader(
    index: PairIndex,
    pairs: list[Pair],
    split: str,
    wrong_pairs: str,
    near_pitch: int,
    recordings: np.ndarray | None,
    seed: int,
):
    """(load, files_of): (step, position) -> one element of `paired_dataset` (the pair and
    its wrong pair), and -> the (pictures, sounds) paths it reads."""
    labels = _class_labels(index, pairs, split, wrong_pairs)
    images = tf.constant([p.image for p in pairs])
    sounds = tf.constant([p.sound for p in pairs])
    labels_t = tf.constant(labels, tf.int64)
    # MIDI pitch of each pair; -1 for a rest or a layout without pitch metadata.
    pitch_list = [-1 if p.pitch is None else p.pitch for p in pairs]
    pitches = tf.constant(pitch_list, tf.int32)
    order, ranges = _wrong_ranges(labels, np.array(pitch_list), wrong_pairs, near_pitch, recordings)
    wrong_position = _wrong_position_fn(order, ranges, seed)

    def load(step, position):
        wrong = wrong_position(step, position)
        return {
            "sound": load_sound(sounds[position]),
            "image": load_picture(images[position]),
            "wrong_image": load_picture(images[wrong]),
            "wrong_sound": load_sound(sounds[wrong]),
            "label": tf.cast(labels_t[position], tf.int32),
            "wrong_label": tf.cast(labels_t[wrong], tf.int32),
            "pitch": pitches[position],
            "position": position,
            "wrong_position": wrong,
        }

    def files_of(step, position):
        both = tf.stack([position, wrong_position(step, position)])
        return tf.gather(images, both), tf.gather(sounds, both)

    return load, files_of


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

    def files_of(_, i):
        return tf.zeros([0], tf.string), sounds[i : i + 1]

    dataset = _skipping_undecodable(positions, load, files_of)
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
    dataset = _skipping_undecodable(
        positions,
        lambda _, i: (load_picture(images[i]), labels[i]),
        lambda _, i: (images[i : i + 1], tf.zeros([0], tf.string)),
    )
    return _finish(dataset, batch_size, drop_remainder)
