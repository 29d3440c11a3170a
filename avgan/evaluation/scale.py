"""The paper's Fig. 10 as a measurement: a rising scale in, the pose read off the pictures.

The paper shows pictures of a violinist "with different hand movements according to
different violin sounds". Here a pose model is given the notes of a rising scale over
its instrument's range, rendered by FluidSynth with the instrument's General MIDI
program as the data set's sounds are, each 0.5 s chunk starting at a note's onset. The
noise is fixed: one player in one room, so only the sound changes from picture to
picture. The pose regressor of `avgan.evaluation.pose` reads each picture's pose, and
the reading is set against the pose the synthetic ensemble draws for that note
(`instruments.pose_for`): the stopping hand climbs the neck as the pitch rises within a
string and jumps back at each string crossing.

The player and the room should stay put while the hand moves: `frame_spread` measures
how much the scale's pictures differ from one another, beside the same figure for the
pictures of one real held-out recording (one player in one room, the pose changing from
chunk to chunk; `recording_spread`).

Shapes: pitches [N] MIDI numbers; sounds [N, 22050] float32; pictures [N, 64, 64, 3].
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence

import numpy as np

from avgan.data.constants import CHUNK_SAMPLES, SAMPLE_RATE
from avgan.data.synthetic.instruments import instrument, pose_for
from avgan.data.synthetic.render import Note, read_mono_wav, render_notes
from avgan.evaluation.pose import POSE_VECTOR, pose_correlations, pose_vector, predict_poses

SECONDS_PER_NOTE = 1.0  # each note longer than a chunk, so a chunk holds one note
_LEGATO = 0.92  # as the synthetic melodies: a gap lets the next note re-articulate


def scale_pitches(instrument_name: str, step: int = 1) -> list[int]:
    """Every `step`-th semitone of the instrument's range, rising."""
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    inst = instrument(instrument_name)
    return list(range(inst.low, inst.high + 1, step))


def scale_sounds(
    instrument_name: str, pitches: Sequence[int], soundfont: str | None = None
) -> np.ndarray:
    """The notes `pitches` played one after another by the instrument's General MIDI
    program (FluidSynth), cut into 0.5 s chunks at the notes' onsets: [N, 22050] float32.

    Raises:
        FileNotFoundError: fluidsynth or a soundfont is missing.
    """
    inst = instrument(instrument_name)
    notes = [
        Note(int(p), i * SECONDS_PER_NOTE, SECONDS_PER_NOTE * _LEGATO, 100)
        for i, p in enumerate(pitches)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        wav = render_notes(
            notes,
            inst.program,
            os.path.join(tmp, "scale.wav"),
            sample_rate=SAMPLE_RATE,
            soundfont=soundfont,
        )
        waveform = read_mono_wav(wav)
    starts = [int(round(note.start * SAMPLE_RATE)) for note in notes]
    waveform = np.pad(waveform, (0, max(0, starts[-1] + CHUNK_SAMPLES - len(waveform))))
    return np.stack([waveform[s : s + CHUNK_SAMPLES] for s in starts]).astype(np.float32)


def scale_poses(instrument_name: str, pitches: Sequence[int]) -> np.ndarray:
    """The pose the synthetic ensemble draws at the onset of each note of the scale
    (the i-th note is the melody's i-th: bows alternate): [N, 11] in POSE_VECTOR order."""
    inst = instrument(instrument_name)
    return np.asarray(
        [pose_vector(pose_for(inst, int(p), 0.0, i).as_dict()) for i, p in enumerate(pitches)],
        np.float32,
    )


def frame_spread(pictures: np.ndarray) -> float:
    """How much a sequence of pictures changes: the standard deviation of each pixel's
    colour over the pictures, averaged over pixels and channels, on the [0, 1] colour
    scale. 0 for one picture repeated; a fixed room and player whose arm moves give a
    small figure, a room that changes colour a large one.

    Args:
        pictures: [N, 64, 64, 3], uint8 or float in [-1, 1] (a generator's output).
    """
    pictures = np.asarray(pictures)
    unit = pictures / 255.0 if pictures.dtype == np.uint8 else (pictures + 1.0) / 2.0
    if len(unit) < 2:
        raise ValueError(f"a spread needs at least 2 pictures, got {len(unit)}")
    return float(unit.astype(np.float64).std(axis=0).mean())


def recording_spread(pictures: np.ndarray, recordings: Sequence[str]) -> float:
    """`frame_spread` of each recording's pictures (one player, one room), averaged over
    the recordings that have at least 2: the reference for a scale's spread.

    Args:
        pictures: [N, 64, 64, 3] uint8, the real pictures.
        recordings: [N] the recording of each picture.
    """
    recordings = np.asarray(recordings)
    spreads = [
        frame_spread(pictures[recordings == r])
        for r in dict.fromkeys(recordings.tolist())
        if (recordings == r).sum() >= 2
    ]
    if not spreads:
        raise ValueError("no recording has 2 pictures")
    return float(np.mean(spreads))


def follow_scale(
    generate: Callable[[np.ndarray, np.ndarray], np.ndarray],
    regressor: Callable,
    instrument_name: str,
    z_dim: int,
    pitches: Sequence[int] | None = None,
    seed: int = 0,
    soundfont: str | None = None,
) -> tuple[np.ndarray, dict]:
    """Pictures for a rising scale under one noise draw, and the pose read off them.

    Args:
        generate: (sounds [N, 22050], z [N, z_dim]) -> pictures [N, 64, 64, 3] in
            [-1, 1] (e.g. `lambda s, z: sampler.generate(s, z).numpy()`).
        regressor: a trained pose regressor, pictures -> [N, 11].
        pitches: the scale (default: every semitone of the instrument's range).
        seed: the noise draw, the same for every note.

    Returns:
        (pictures [N, 64, 64, 3] float in [-1, 1], {'pitches': [N], 'read': {name: [N]},
        'expected': {name: [N]}, 'correlation': per-parameter r of read against expected
        with 'skipped' and 'mean', as pose fidelity, 'spread': `frame_spread` of the
        pictures}) for the parameters hand, bow, string and playing.
    """
    pitches = list(scale_pitches(instrument_name) if pitches is None else pitches)
    if len(pitches) < 2:
        raise ValueError(f"a scale needs at least 2 notes, got {pitches}")
    sounds = scale_sounds(instrument_name, pitches, soundfont)
    z = np.random.default_rng(seed).standard_normal((1, z_dim)).astype(np.float32)
    pictures = np.asarray(generate(sounds, np.repeat(z, len(pitches), axis=0)))
    read = predict_poses(regressor, pictures)
    expected = scale_poses(instrument_name, pitches)
    shown = POSE_VECTOR[:4]  # hand, bow, string, playing; the fingering bits are winds'
    return pictures, {
        "pitches": pitches,
        "read": {n: [float(v) for v in read[:, k]] for k, n in enumerate(shown)},
        "expected": {n: [float(v) for v in expected[:, k]] for k, n in enumerate(shown)},
        "correlation": pose_correlations(read, expected),
        "spread": frame_spread(pictures),
    }
