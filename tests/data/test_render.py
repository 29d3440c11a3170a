"""avgan.data.synthetic.render: MIDI encoding and FluidSynth rendering."""

import struct

import numpy as np
import pytest
import soundfile as sf

from avgan.data.synthetic import render
from tests.conftest import require_fluidsynth


def _track_events(data: bytes) -> list[bytes]:
    """Channel messages of a format-0 MIDI file, in order (no running status)."""
    assert data[:4] == b"MThd" and data[14:18] == b"MTrk"
    (length,) = struct.unpack(">I", data[18:22])
    track, pos, messages = data[22 : 22 + length], 0, []
    while pos < len(track):
        while track[pos] & 0x80:  # delta time
            pos += 1
        pos += 1
        status = track[pos]
        if status == 0xFF:
            pos += 3 + track[pos + 2]
        else:
            size = 2 if status & 0xF0 == 0xC0 else 3
            messages.append(track[pos : pos + size])
            pos += size
    return messages


def test_midi_bytes_encode_program_and_ordered_notes():
    notes = [render.Note(64, 0.5, 0.25, 90), render.Note(60, 0.0, 0.5, 100)]
    messages = _track_events(render.midi_bytes(notes, program=73))
    assert messages == [
        bytes([0xC0, 73]),
        bytes([0x90, 60, 100]),
        bytes([0x80, 60, 0]),  # the note-off sorts before the note-on at the same tick
        bytes([0x90, 64, 90]),
        bytes([0x80, 64, 0]),
    ]


def test_bad_notes_are_refused():
    with pytest.raises(ValueError, match="program"):
        render.midi_bytes([], program=128)
    with pytest.raises(ValueError, match="duration"):
        render.midi_bytes([render.Note(60, 0.0, 0.0)], program=0)


def test_missing_soundfont_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.sf2"):
        render.find_soundfont(str(tmp_path / "nope.sf2"))


def test_rendered_flute_sounds_at_the_written_pitch(tmp_path):
    require_fluidsynth()
    out = render.render_notes([render.Note(69, 0.0, 1.0)], 73, str(tmp_path / "a4.wav"))
    samples, rate = sf.read(out)
    assert rate == 44100
    mono = samples.mean(axis=1)[4410:39690]  # the sustained part of the note
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    peak_hz = np.argmax(spectrum) * rate / len(mono)
    assert abs(peak_hz - 440.0) / 440.0 < 0.02
    assert np.abs(mono).max() > 0.05  # audible, not silence
