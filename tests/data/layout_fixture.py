"""A Sub-URMP-layout folder written directly, for layout and pipeline tests.

Each pair's picture is a flat colour that encodes who it is (instrument, recording,
chunk), so a test can tell from pixels alone which pair a picture came from.
"""

from __future__ import annotations

import csv
import io
import os
import struct
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


def extensible_wav_bytes(samples: np.ndarray, rate: int = SR) -> bytes:
    """16-bit PCM mono in the WAVE_FORMAT_EXTENSIBLE form, written by hand.

    Format tag 0xFFFE, a 40-byte 'fmt ' chunk whose SubFormat GUID is
    KSDATAFORMAT_SUBTYPE_PCM (libsndfile reads it as WAVEX, PCM_16). tf.audio.decode_wav
    alone refuses it.
    """
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    subformat_pcm = struct.pack("<H", 1) + bytes.fromhex("000000001000800000aa00389b71")
    fmt = struct.pack("<HHIIHH", 0xFFFE, 1, rate, rate * 2, 2, 16)  # tag, mono, 16-bit
    fmt += struct.pack("<HHI", 22, 16, 0x4) + subformat_pcm  # cbSize, valid bits, mask
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(pcm)) + pcm
    return b"RIFF" + struct.pack("<I", len(body)) + body


def damaged_jpeg_bytes() -> bytes:
    """A real picture (a frame of the synthetic ensemble) whose JPEG scan data is damaged.

    The header is intact and PIL decodes the picture; a COM marker (FF FE) in the middle
    of the entropy-coded scan swallows the rest of the file, so TensorFlow's decoder
    fails ('Invalid JPEG data or crop window').
    """
    from avgan.data.synthetic import draw
    from avgan.data.synthetic.instruments import instrument, pose_for

    rng = np.random.default_rng(0)
    pose = pose_for(instrument("cello"), 48)
    player, room = draw.random_player(rng, "cello"), draw.random_room(rng)
    pixels = draw.draw_frame("cello", player, room, pose, (0.0, 0.0), 64)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    sos = data.index(b"\xff\xda")  # start of scan; its header's length follows
    scan = sos + 2 + struct.unpack(">H", data[sos + 2 : sos + 4])[0]
    middle = (scan + len(data) - 2) // 2  # in the entropy-coded data, before the EOI
    return data[:middle] + b"\xff\xfe" + data[middle:]


def write_pitches(root, written: list[tuple]) -> None:
    """ROOT/metadata/<split>.csv for `write_layout`'s chunks: MIDI pitch 55 + 12 x the
    instrument's index in ("cello", "flute", "trumpet"); chunk 3 of every recording is
    a rest (-1)."""
    os.makedirs(os.path.join(root, "metadata"), exist_ok=True)
    for split in ("train", "validation"):
        with open(os.path.join(root, "metadata", f"{split}.csv"), "w", newline="") as f:
            writer = csv.DictWriter(f, ["stem", "pitch"])
            writer.writeheader()
            for s, inst, stem in written:
                if s == split:
                    chunk = int(stem.rsplit("_", 1)[1])
                    pitch = (
                        -1 if chunk == 3 else 55 + 12 * ["cello", "flute", "trumpet"].index(inst)
                    )
                    writer.writerow({"stem": stem, "pitch": pitch})
