"""A URMP-shaped folder written by the tests: pieces, MP4 videos, 48 kHz AuSep WAVs, Notes.

Every video frame is made of flat vertical strips, one per player; strip p of frame f
shows the colour of code f + 64 * p, so a picture tells which frame and which player's
strip it was cut from. Audio is a sine per track whose amplitude is set per 0.5 s chunk,
so the chunks' loudness (and which are silent) is known exactly.
"""

from __future__ import annotations

import math
import os

import av
import numpy as np
import soundfile

FPS = 15
WIDTH, HEIGHT = 160, 96
RATE = 48000


def colour(code: int) -> tuple[int, int, int]:
    """An RGB colour for code 0..127, 30 (or 50) levels apart per channel."""
    return (20 + 30 * (code % 8), 20 + 30 * ((code // 8) % 8), 20 + 50 * (code // 64))


def decode_colour(pixels: np.ndarray) -> int:
    """The code of a flat picture (its centre, so resampled edges do not count)."""
    h, w = pixels.shape[:2]
    r, g, b = pixels[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].reshape(-1, 3).mean(axis=0)
    return round((r - 20) / 30) + 8 * round((g - 20) / 30) + 64 * round((b - 20) / 50)


def frame_at(t: float) -> int:
    """Index of the first frame at or after time t."""
    return math.ceil(t * FPS - 1e-9)


def write_video(path: str, seconds: float, players: int) -> None:
    frames = int(round(seconds * FPS))
    with av.open(path, "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "12"}
        for f in range(frames):
            pixels = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
            for p in range(players):
                pixels[:, p * WIDTH // players : (p + 1) * WIDTH // players] = colour(f + 64 * p)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_track(path: str, amplitudes: list[float], freq: float, tail: float = 0.2) -> None:
    """A sine at `freq` with amplitude amplitudes[k] in chunk k, plus `tail` seconds more
    at the last amplitude; 24-bit PCM at 48 kHz, as URMP's AuSep files."""
    n = RATE // 2
    envelope = np.concatenate([np.full(n, a) for a in amplitudes] + [
        np.full(int(tail * RATE), amplitudes[-1])
    ])  # fmt: skip
    t = np.arange(len(envelope)) / RATE
    soundfile.write(path, envelope * np.sin(2 * np.pi * freq * t), RATE, subtype="PCM_24")


def write_notes(path: str, lines: list[str]) -> None:
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# Expected content, shared with the tests.
VN_AMPS = [0.3, 0.3, 0.3, 0.0, 0.3, 0.3, 0.3, 0.3]  # chunk 3 silent
FL_AMPS = [0.3, 0.3, 0.3, 0.3, 0.3, 0.01, 0.03, 0.3]  # chunk 5 at -43 dBFS, 6 at -33.5
SOLO_AMPS = [0.2] * 6
VN_NOTES = [  # Hz, as URMP writes them; line 3 is malformed
    "0.000\t\t440.000\t\t0.400",  # A4 = 69
    "0.450\t\t293.665\t\t1.000",  # D4 = 62, sounding at 0.5 and 1.0
    "1.700\t\tabc\t\t0.300",
    "2.000\t\t523.251\t\t1.000",  # C5 = 72, sounding at 2.0 and 2.5 (not 3.0: it ends)
]
FL_NOTES = ["0.5 81 1.2", "3.0 84 0.5"]  # MIDI numbers: A5 from 0.5 to 1.7, C6 at 3.0
SOLO_NOTES = ["0.0\t\t196.0\t\t10.0"]  # G3 = 55 throughout


def make_urmp(root: str, bad: bool = True) -> None:
    """Writes the pieces under `root`; `bad` adds the pieces with broken input."""

    def piece(name: str) -> str:
        folder = os.path.join(root, name)
        os.makedirs(folder, exist_ok=True)
        return folder

    d = piece("01_Duet_vn_fl")
    write_video(os.path.join(d, "Vid_01_Duet_vn_fl.mp4"), 4.2, players=2)
    write_track(os.path.join(d, "AuSep_1_vn_01_Duet.wav"), VN_AMPS, 440.0)
    write_track(os.path.join(d, "AuSep_2_fl_01_Duet.wav"), FL_AMPS, 660.0)
    write_notes(os.path.join(d, "Notes_1_vn_01_Duet.txt"), VN_NOTES)
    write_notes(os.path.join(d, "Notes_2_fl_01_Duet.txt"), FL_NOTES)
    with open(os.path.join(d, "AuMix_01_Duet_vn_fl.wav"), "wb") as f:
        f.write(b"not read by the builder")

    d = piece("02_Solo_vn")
    write_video(os.path.join(d, "Vid_02_Solo_vn.mp4"), 3.2, players=1)
    write_track(os.path.join(d, "AuSep_1_vn_02_Solo.wav"), SOLO_AMPS, 330.0)
    write_notes(os.path.join(d, "Notes_1_vn_02_Solo.txt"), SOLO_NOTES)
    if not bad:
        return

    d = piece("03_NoVideo_vc")  # the video is missing
    write_track(os.path.join(d, "AuSep_1_vc_03_NoVideo.wav"), [0.3, 0.3], 220.0)
    write_notes(os.path.join(d, "Notes_1_vc_03_NoVideo.txt"), SOLO_NOTES)

    d = piece("04_Corrupt_va")  # the video is random bytes
    with open(os.path.join(d, "Vid_04_Corrupt_va.mp4"), "wb") as f:
        f.write(np.random.default_rng(0).bytes(20000))
    write_track(os.path.join(d, "AuSep_1_va_04_Corrupt.wav"), [0.3, 0.3], 220.0)
    write_notes(os.path.join(d, "Notes_1_va_04_Corrupt.txt"), SOLO_NOTES)

    d = piece("05_Short_tpt")  # the track is shorter than one chunk
    write_video(os.path.join(d, "Vid_05_Short_tpt.mp4"), 1.0, players=1)
    soundfile.write(os.path.join(d, "AuSep_1_tpt_05_Short.wav"),
                    0.3 * np.ones(int(0.3 * RATE)), RATE, subtype="PCM_24")  # fmt: skip
    write_notes(os.path.join(d, "Notes_1_tpt_05_Short.txt"), SOLO_NOTES)

    d = piece("06_Empty_db")  # no tracks at all
    with open(os.path.join(d, "README.txt"), "w") as f:
        f.write("nothing here\n")
