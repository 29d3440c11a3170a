"""Melodies for the synthetic ensemble: random walks in each instrument's range, with rests."""

from __future__ import annotations

import dataclasses

import numpy as np

from avgan.data.synthetic.instruments import Instrument
from avgan.data.synthetic.render import Note

# Note lengths in seconds and how often each is drawn: mostly crotchets and quavers
# at 120 bpm, so one 0.5 s chunk usually starts inside a different note than the last.
_DURATIONS = (0.25, 0.5, 0.75, 1.0, 1.5)
_DURATION_WEIGHTS = (0.2, 0.35, 0.15, 0.2, 0.1)
_REST_DURATIONS = (0.5, 1.0, 1.5)
_REST_PROBABILITY = 0.12
_LEGATO = 0.92  # sounding fraction of a note's slot; the gap lets notes re-articulate


def melody(inst: Instrument, seconds: float, rng: np.random.Generator) -> list[Note]:
    """A melody of `seconds` for `inst`: a random walk over its range with rests.

    Steps are mostly small, with an occasional leap so a recording visits the whole
    range (the pictures' poses depend on pitch). The first note starts at 0.

    Returns:
        notes in time order, none extending past `seconds`.
    """
    notes: list[Note] = []
    pitch = int(rng.integers(inst.low, inst.high + 1))
    t = 0.0
    while t < seconds:
        if notes and rng.random() < _REST_PROBABILITY:
            t += float(rng.choice(_REST_DURATIONS))
            continue
        duration = float(rng.choice(_DURATIONS, p=_DURATION_WEIGHTS))
        duration = min(duration, seconds - t)
        if duration < 0.1:
            break
        velocity = int(rng.integers(70, 111))
        notes.append(Note(pitch, t, duration * _LEGATO, velocity))
        t += duration
        if rng.random() < 0.15:
            pitch = int(rng.integers(inst.low, inst.high + 1))  # a leap anywhere
        else:
            pitch += int(rng.choice([-4, -3, -2, -1, 1, 2, 3, 4]))
            # Reflect at the ends of the range.
            if pitch < inst.low:
                pitch = 2 * inst.low - pitch
            if pitch > inst.high:
                pitch = 2 * inst.high - pitch
            pitch = min(max(pitch, inst.low), inst.high)
    return notes


@dataclasses.dataclass(frozen=True)
class Sounding:
    """What is sounding at one moment: the note (None in a rest) and how far into it."""

    note: Note | None
    index: int  # the note's position in the melody, -1 in a rest
    fraction: float  # of the note's duration already played, in [0, 1)


def sounding_at(notes: list[Note], t: float) -> Sounding:
    """The note sounding at time `t` (notes must not overlap, as `melody` writes them)."""
    for i, note in enumerate(notes):
        if note.start <= t < note.start + note.duration:
            return Sounding(note, i, (t - note.start) / note.duration)
    return Sounding(None, -1, 0.0)
