"""What the page shows, as bytes made in memory: PNG pictures, log-mel pictures, 16-bit
WAV, the waveform overview the slider sits on, and the data: URLs that carry them.

Nothing is written to disk: every result goes back in the JSON answer to the request
that asked for it.
"""

from __future__ import annotations

import base64
import io
import wave

import numpy as np
from PIL import Image

from avgan.data.constants import SAMPLE_RATE
from avgan.data.pictures import spectrogram_pictures

TOP_DB = 80.0  # the log-mel pictures span 80 dB below their loudest bin, as the models'
OVERVIEW_COLUMNS = 600  # waveform overview: one peak per column of the slider's canvas


def png(pixels: np.ndarray) -> bytes:
    """[height, width, 3] uint8 -> PNG bytes (lossless: the model's exact pixels)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def log_mel_picture(log_mel_db: np.ndarray) -> np.ndarray:
    """A log-mel spectrogram as a picture, low pitches at the bottom.

    Args:
        log_mel_db: [mels, frames] float32 in dB (128 x 44 for 0.5 s).

    Returns:
        [mels, frames, 3] uint8: the loudest bin in the palette's brightest colour,
        TOP_DB below it and quieter in black (`avgan.data.pictures.spectrogram_pictures`).
    """
    db = np.asarray(log_mel_db, np.float32)
    unit = (db - db.max()) / (TOP_DB / 2.0) + 1.0  # [-1, 1] over the top 80 dB
    return spectrogram_pictures(unit[None, :, :, None])[0]


def wav(waveform: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """[samples] float32 in [-1, 1] -> a mono 16-bit PCM WAV file (clipped, rounded)."""
    pcm = np.round(np.clip(np.asarray(waveform, np.float32), -1.0, 1.0) * 32767.0)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.astype("<i2").tobytes())
    return buffer.getvalue()


def overview(samples: np.ndarray, columns: int = OVERVIEW_COLUMNS) -> list[float]:
    """The waveform's peak |amplitude| per column, for drawing it under the slider.

    Args:
        samples: [samples] float32.

    Returns:
        min(columns, samples) floats in [0, 1], 3 decimals; column i covers the
        samples i * n / columns up to (i + 1) * n / columns.
    """
    samples = np.abs(np.asarray(samples, np.float32))
    if samples.size == 0:
        return []
    columns = min(columns, samples.size)
    edges = (np.arange(columns) * samples.size) // columns
    peaks = np.maximum.reduceat(samples, edges)
    return [round(float(p), 3) for p in np.clip(peaks, 0.0, 1.0)]


def data_url(data: bytes, mime: str) -> str:
    """`data:<mime>;base64,...`: how the JSON answer carries a picture or a sound."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
