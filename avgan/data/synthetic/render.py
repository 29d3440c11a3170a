"""Render notes to audio with FluidSynth and a General MIDI soundfont.

The synthetic ensemble's sound comes from real sampled instruments: a score is
written as a Standard MIDI File and rendered offline by the `fluidsynth`
command-line program (Debian packages `fluidsynth` and `timgm6mb-soundfont`).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import struct
import subprocess
import tempfile
import wave
from collections.abc import Sequence

import numpy as np

from avgan.data.constants import SAMPLE_RATE

# Searched in order when no soundfont is given; the first that exists is used.
DEFAULT_SOUNDFONTS = (
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
)

_TICKS_PER_BEAT = 480
_MICROSECONDS_PER_BEAT = 500_000  # 120 bpm: one beat is 0.5 s, one tick ~1.04 ms.


@dataclasses.dataclass(frozen=True)
class Note:
    """One note of a score.

    Attributes:
        pitch: MIDI note number (60 is middle C).
        start: onset in seconds.
        duration: length in seconds.
        velocity: MIDI velocity, 1-127.
    """

    pitch: int
    start: float
    duration: float
    velocity: int = 100


def find_soundfont(soundfont: str | None = None) -> str:
    """Returns a soundfont path: `soundfont` if given, else the first installed default.

    Raises:
        FileNotFoundError: naming the path(s) looked at, and the package to install.
    """
    if soundfont is not None:
        if not os.path.isfile(soundfont):
            raise FileNotFoundError(f"soundfont {soundfont!r} does not exist")
        return soundfont
    for path in DEFAULT_SOUNDFONTS:
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"no General MIDI soundfont found (looked at {', '.join(DEFAULT_SOUNDFONTS)}); "
        "install one with: apt-get install -y --no-install-recommends timgm6mb-soundfont"
    )


def _varlen(value: int) -> bytes:
    """MIDI variable-length quantity: 7 bits per byte, high bit set on all but the last."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def _seconds_to_ticks(seconds: float) -> int:
    return round(seconds * 1e6 / _MICROSECONDS_PER_BEAT * _TICKS_PER_BEAT)


def midi_bytes(notes: Sequence[Note], program: int, channel: int = 0) -> bytes:
    """Encodes `notes` as a format-0 Standard MIDI File for one General MIDI program.

    Args:
        notes: the score; may overlap.
        program: General MIDI program number, 0-127 (40 is violin).
        channel: MIDI channel 0-15; 9 is percussion in General MIDI, so avoid it.

    Returns:
        The file's bytes.
    """
    if not 0 <= program <= 127:
        raise ValueError(f"program must be in [0, 127], got {program}")
    if not 0 <= channel <= 15:
        raise ValueError(f"channel must be in [0, 15], got {channel}")
    events: list[tuple[int, int, bytes]] = []
    for note in notes:
        if not 0 <= note.pitch <= 127 or not 1 <= note.velocity <= 127:
            raise ValueError(f"note out of MIDI range: {note}")
        if note.duration <= 0 or note.start < 0:
            raise ValueError(f"note needs start >= 0 and duration > 0: {note}")
        on, off = _seconds_to_ticks(note.start), _seconds_to_ticks(note.start + note.duration)
        # Note-offs sort before note-ons at the same tick so repeated pitches retrigger.
        events.append((on, 1, bytes([0x90 | channel, note.pitch, note.velocity])))
        events.append((off, 0, bytes([0x80 | channel, note.pitch, 0])))
    events.sort(key=lambda e: (e[0], e[1]))

    track = bytearray()
    track += _varlen(0) + b"\xff\x51\x03" + _MICROSECONDS_PER_BEAT.to_bytes(3, "big")
    track += _varlen(0) + bytes([0xC0 | channel, program])
    now = 0
    for tick, _, message in events:
        track += _varlen(tick - now) + message
        now = tick
    track += _varlen(0) + b"\xff\x2f\x00"  # end of track
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, _TICKS_PER_BEAT)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


def render_notes(
    notes: Sequence[Note],
    program: int,
    out_wav: str,
    *,
    sample_rate: int = SAMPLE_RATE,
    soundfont: str | None = None,
    gain: float = 0.5,
) -> str:
    """Renders `notes` played by General MIDI `program` to a 16-bit WAV at `sample_rate`.

    Runs FluidSynth's offline renderer (`fluidsynth -F`) with reverb and chorus off,
    so the sound is the sampled instrument itself and the output is deterministic.

    Returns:
        `out_wav`, written atomically.

    Raises:
        FileNotFoundError: fluidsynth or the soundfont is missing.
        RuntimeError: fluidsynth failed; its stderr is included.
    """
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise FileNotFoundError(
            "fluidsynth not found on PATH; install it with: "
            "apt-get install -y --no-install-recommends fluidsynth"
        )
    sf2 = find_soundfont(soundfont)
    out_dir = os.path.dirname(os.path.abspath(out_wav))
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        mid = os.path.join(tmp, "score.mid")
        with open(mid, "wb") as f:
            f.write(midi_bytes(notes, program))
        wav = os.path.join(tmp, "out.wav")
        cmd = [
            exe,
            "-ni",
            "-q",
            "-R",
            "0",
            "-C",
            "0",
            "-g",
            str(gain),
            "-r",
            str(sample_rate),
            "-T",
            "wav",
            "-O",
            "s16",
            "-F",
            wav,
            sf2,
            mid,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not os.path.isfile(wav):
            raise RuntimeError(
                f"fluidsynth failed rendering {out_wav!r} (exit {proc.returncode}): "
                f"{proc.stderr.strip()}"
            )
        os.replace(wav, out_wav)
    return out_wav


def read_mono_wav(path: str) -> np.ndarray:
    """FluidSynth's 16-bit output -> [samples] float32 in [-1, 1], channels averaged."""
    with wave.open(path, "rb") as w:
        channels, width = w.getnchannels(), w.getsampwidth()
        frames = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit samples from fluidsynth, got {8 * width}-bit")
    samples = np.frombuffer(frames, "<i2").reshape(-1, channels).astype(np.float32) / 32768.0
    return samples.mean(axis=1)
