"""The 13 URMP instruments and the pose a player takes for each note.

Pose is what a picture of the player can show about the sound: where the string
hand stops the string, how far the trombone slide is out, which valves or keys
are pressed, where the bow is in its stroke, or the rest pose in silence. It is a
deterministic function of the note (and of the time within the note, for the
bow), so a picture carries the pitch as the paper's pose-oriented task assumes.
"""

from __future__ import annotations

import dataclasses

# Brass valve combinations by semitones below the open partial: 0 open, 1 second
# valve, 2 first, 3 first+second, 4 second+third, 5 first+third, 6 all three.
# Bit i set means valve i+1 is pressed.
_VALVES_BY_SEMITONES_DOWN = (0b000, 0b010, 0b001, 0b011, 0b110, 0b101, 0b111)

WOODWIND_HOLES = 6
OCTAVE_KEY_BIT = 1 << WOODWIND_HOLES  # set for the upper register of a woodwind


@dataclasses.dataclass(frozen=True)
class Instrument:
    """One instrument of the ensemble.

    Attributes:
        name: the Sub-URMP folder name.
        program: General MIDI program FluidSynth plays it with.
        low, high: the MIDI pitch range melodies are written in.
        family: 'bowed', 'woodwind', 'brass' or 'slide' (the trombone).
        material: what its body is made of in the pictures: 'wood', 'black',
            'brass' or 'silver'.
    """

    name: str
    program: int
    low: int
    high: int
    family: str
    material: str


INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("bassoon", 70, 34, 65, "woodwind", "wood"),
    Instrument("cello", 42, 36, 69, "bowed", "wood"),
    Instrument("clarinet", 71, 50, 84, "woodwind", "black"),
    Instrument("double_bass", 43, 28, 55, "bowed", "wood"),
    Instrument("flute", 73, 60, 93, "woodwind", "silver"),
    Instrument("horn", 60, 41, 72, "brass", "brass"),
    Instrument("oboe", 68, 58, 86, "woodwind", "black"),
    Instrument("sax", 65, 49, 80, "woodwind", "brass"),
    Instrument("trombone", 57, 40, 70, "slide", "brass"),
    Instrument("trumpet", 56, 55, 82, "brass", "brass"),
    Instrument("tuba", 58, 28, 53, "brass", "brass"),
    Instrument("viola", 41, 48, 81, "bowed", "wood"),
    Instrument("violin", 40, 55, 88, "bowed", "wood"),
)
INSTRUMENT_NAMES: tuple[str, ...] = tuple(i.name for i in INSTRUMENTS)
_BY_NAME = {i.name: i for i in INSTRUMENTS}


def instrument(name: str) -> Instrument:
    """The instrument called `name`; ValueError listing the valid names otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(
            f"unknown instrument {name!r}; valid: {', '.join(INSTRUMENT_NAMES)}"
        ) from None


@dataclasses.dataclass(frozen=True)
class Pose:
    """What the player's body and instrument show at one moment.

    Attributes:
        playing: False in a rest: the instrument is lowered, the bow lifted.
        hand: [0, 1]. Bowed: the stopping hand's place along the neck (0 at the
            scroll, 1 towards the body) within the current string. Slide: how far
            the slide is out (0 closed, 1 fully out). Others: 0.
        string: bowed only, 0-3 from the lowest string; tilts the bow.
        bow: [0, 1], bowed only: the contact point along the bow (0 at the frog,
            1 at the tip); a down-bow moves it 0 -> 1 over a note, an up-bow 1 -> 0.
        fingering: bit mask. Brass: bit i is valve i+1 pressed (3 valves).
            Woodwinds: bit i is tone hole i closed, from the top (6 holes), plus
            OCTAVE_KEY_BIT in the upper register.
    """

    playing: bool = False
    hand: float = 0.0
    string: int = 0
    bow: float = 0.0
    fingering: int = 0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "playing": int(self.playing),
            "hand": round(self.hand, 4),
            "string": self.string,
            "bow": round(self.bow, 4),
            "fingering": self.fingering,
        }


REST = Pose()

# Semitones one string covers before the next string takes over (a fifth, less one).
_SEMITONES_PER_STRING = 7


def pose_for(
    inst: Instrument, pitch: int | None, time_in_note: float = 0.0, note_index: int = 0
) -> Pose:
    """The pose for `pitch` (None: a rest) at `time_in_note` in [0, 1] of the note.

    Args:
        inst: the instrument.
        pitch: MIDI pitch sounding, or None in silence.
        time_in_note: fraction of the note already played, for the bow.
        note_index: the note's position in the melody; bows alternate down and up.
    """
    if pitch is None:
        return REST
    offset = max(0, pitch - inst.low)
    time_in_note = min(max(time_in_note, 0.0), 1.0)
    if inst.family == "bowed":
        string = min(offset // _SEMITONES_PER_STRING, 3)
        within = offset - string * _SEMITONES_PER_STRING
        # An octave of semitones spans the neck; only the top string climbs past a fifth.
        hand = min(within / 12.0, 1.0)
        bow = time_in_note if note_index % 2 == 0 else 1.0 - time_in_note
        return Pose(True, hand, string, bow, 0)
    if inst.family == "slide":
        # Seven slide positions per harmonic; lower notes of a partial need more slide.
        position = (inst.high - pitch) % 7
        return Pose(True, position / 6, 0, 0.0, 0)
    if inst.family == "brass":
        return Pose(True, 0.0, 0, 0.0, _VALVES_BY_SEMITONES_DOWN[(inst.high - pitch) % 7])
    # Woodwinds: lower notes in a register close more holes.
    register, degree = divmod(offset, 12)
    closed = round(WOODWIND_HOLES * (1 - degree / 11))
    fingering = (1 << closed) - 1
    if register >= 1:
        fingering |= OCTAVE_KEY_BIT
    return Pose(True, 0.0, 0, 0.0, fingering)
