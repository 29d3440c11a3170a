"""A Sub-URMP-layout folder written directly, for layout and pipeline tests.

Each pair's picture is a flat colour that encodes who it is (instrument, recording,
chunk), so a test can tell from pixels alone which pair a picture came from.
"""

from __future__ import annotations

import io
import os
import wave

import numpy as np
from PIL import Image

SR = 44100


def colour_of(instrument: int, recording: int, chunk: int) -> tuple[int, int, int]:
    return (40 * instrument + 20, 60 * recording + 10, 12 * chunk + 5)


def decode_colour(pixels: np.ndarray) -> tuple[int, int, int]:
    """(instrument, recording, chunk) from a flat picture (rounded: JPEG is lossy)."""
    r, g, b = (float(c) for c in pixels.reshape(-1, 3).mean(axis=0))
    return round((r - 20) / 40), round((g - 10) / 60), round((b - 5) / 12)


def wav_bytes(samples: np.ndarray, rate: int = SR, channels: int = 1, width: int = 2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        dtype = {1: "u1", 2: "<i2", 4: "<i4"}[width]
        scale = {1: 127, 2: 32767, 4: 2**31 - 1}[width]
        pcm = np.round(np.repeat(samples[:, None], channels, axis=1) * scale)
        if width == 1:
            pcm = pcm + 128
        w.writeframes(pcm.astype(dtype).tobytes())
    return buffer.getvalue()


def write_layout(
    root,
    instruments=("cello", "flute", "trumpet"),
    recordings=3,
    chunks=4,
    validation_recordings=1,
    image_format="JPEG",
) -> list[tuple]:
    """Writes ROOT/img and ROOT/chunk; returns [(split, instrument, stem)] written.

    The chunk of (instrument i, recording r, chunk k) is a sine at 200 * (i + 1) Hz with
    amplitude 0.1 * (k + 1), so its loudness encodes k.
    """
    written = []
    t = np.arange(SR // 2) / SR
    for i, name in enumerate(instruments):
        for r in range(1, recordings + 1):
            split = "validation" if r > recordings - validation_recordings else "train"
            for k in range(chunks):
                stem = f"{name}{r:02d}_{k}"
                ext = "jpg" if image_format == "JPEG" else "png"
                img = os.path.join(root, "img", split, name, f"{stem}.{ext}")
                snd = os.path.join(root, "chunk", split, name, f"{stem}.wav")
                os.makedirs(os.path.dirname(img), exist_ok=True)
                os.makedirs(os.path.dirname(snd), exist_ok=True)
                pixels = np.full((64, 64, 3), colour_of(i, r, k), np.uint8)
                Image.fromarray(pixels).save(img, image_format, quality=95)
                sine = 0.1 * (k + 1) * np.sin(2 * np.pi * 200 * (i + 1) * t)
                with open(snd, "wb") as f:
                    f.write(wav_bytes(sine))
                written.append((split, name, stem))
    return written
