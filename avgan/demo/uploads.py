"""What a visitor uploads, checked and decoded: a sound (WAV, FLAC, MP3) or a picture
(JPEG, PNG).

Every refusal is an `UploadError` whose message names the file and says what to do; the
page shows it as it is. The checks run on the bytes, before a decoder sees them: an
empty file, a picture where a sound is expected (and the reverse), an unknown format, a
sound over MAX_SECONDS or a picture over MAX_PIXELS (read from the header, so a small
compressed file cannot make the server decode gigabytes), then whatever the decoder
finds (a truncated or damaged file). The declared content type is not trusted: a
browser derives it from the file's name.

Sounds are decoded by avgan's audio module (`avgan.data.audio.load_audio`, at the
file's own rate, mixed to mono) and resampled to 44.1 kHz by its `resample`, only
around the half second the page sends to the model (`SoundClip.chunk`): the whole file
is needed only for its waveform overview, and `resample`'s index arithmetic overflows
int32 past about 2**31 / 441 input samples (152 s at 32 kHz). Decoded sounds are kept
in a small cache keyed by the bytes' digest (`SoundCache`), so that moving the slider,
which sends the file again, does not decode it again.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import io
import math
import os
import re
import tempfile
import threading

import numpy as np
from PIL import Image

from avgan.data import audio
from avgan.data.constants import CHUNK_SAMPLES, SAMPLE_RATE

MAX_SECONDS = 600.0  # 10 minutes: a long file decodes in a few seconds on 2 cores
MAX_PIXELS = 4096 * 4096  # 48 MB decoded
NAME_CHARACTERS = 80  # of an uploaded file's name, in messages

# First bytes of formats a visitor may send by mistake -> their name.
PICTURE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"BM": "BMP",
}
OTHER_SOUND_MAGIC = {b"OggS": "Ogg", b"\x1a\x45\xdf\xa3": "WebM/Matroska"}
SOUND_FORMATS = "a WAV, FLAC or MP3 file"
PICTURE_FORMATS = "a JPEG or PNG picture"


class UploadError(ValueError):
    """An upload the page refuses; the message names the file and says why."""


def display_name(filename: str | None, default: str) -> str:
    """An uploaded file's name as messages show it: its base name, printable, short."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(c for c in name if c.isprintable()).strip() or default
    return name if len(name) <= NAME_CHARACTERS else name[: NAME_CHARACTERS - 3] + "..."


def picture_format(data: bytes) -> str | None:
    """'PNG', 'JPEG', 'GIF', 'BMP' or 'WebP' from the first bytes, else None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in PICTURE_MAGIC.items() if data.startswith(magic)), None)


def clean_decoder_message(message: str) -> str:
    """A TensorFlow error as one readable clause: without '{{function_node ...}}' and
    the '[Op:...]' suffix."""
    message = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", message)
    message = re.sub(r"\s*\[Op:[^\]]*\].*$", "", message, flags=re.S)
    return " ".join(message.split())


@dataclasses.dataclass(frozen=True)
class SoundClip:
    """A decoded sound at its own rate; `chunk` cuts the 44.1 kHz half second."""

    samples: np.ndarray  # [samples] float32 in [-1, 1], mono, at `rate`
    rate: int  # Hz, the file's own

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def latest_start(self) -> float:
        """The last start (s) whose half second lies inside the sound (0 if shorter)."""
        return max(0.0, math.floor((self.seconds - 0.5) * SAMPLE_RATE) / SAMPLE_RATE)

    def loudest_start(self, hop: float = 0.05) -> float:
        """The start (s, a multiple of `hop`) of the loudest 0.5 s: the default window."""
        window = max(1, int(round(0.5 * self.rate)))
        if len(self.samples) <= window:
            return 0.0
        energy = np.concatenate([[0.0], np.cumsum(np.square(self.samples, dtype=np.float64))])
        step = max(1, int(round(hop * self.rate)))
        starts = np.arange(0, len(self.samples) - window + 1, step)
        best = starts[int(np.argmax(energy[starts + window] - energy[starts]))]
        return min(best / self.rate, self.latest_start())

    def chunk(self, start: float) -> tuple[np.ndarray, float]:
        """The 0.5 s from `start` at 44.1 kHz, as `load_audio` at 44.1 kHz would give.

        `start` is clamped to [0, latest_start()] and rounded to a 44.1 kHz sample. The
        part of the file around it is resampled with `audio.resample`; a margin well
        over the filter's half length keeps the result the same as resampling the
        whole file. A sound shorter than 0.5 s is zero-padded at the end.

        Returns:
            ([22050] float32, the start used in seconds).
        """
        first = int(round(min(max(start, 0.0), self.latest_start()) * SAMPLE_RATE))
        if self.rate == SAMPLE_RATE:
            chunk = self.samples[first : first + CHUNK_SAMPLES]
        else:
            g = math.gcd(self.rate, SAMPLE_RATE)
            up, down = SAMPLE_RATE // g, self.rate // g
            # In input samples; the filter reaches 64 / 0.94 zero crossings of the lower
            # rate each side: 69 samples up to 44.1 kHz, 0.0016 s x rate above.
            margin = self.rate // 10 + 512
            # The segment starts on a multiple of `down`, so its outputs fall on the
            # whole file's 44.1 kHz grid: output k is the file's output offset + k.
            begin = max(0, (first * down // up - margin) // down * down)
            end = min(len(self.samples), (first + CHUNK_SAMPLES) * down // up + margin)
            resampled = audio.resample(self.samples[begin:end], self.rate, SAMPLE_RATE)
            offset = first - begin * up // down
            chunk = np.asarray(resampled)[offset : offset + CHUNK_SAMPLES]
        chunk = np.pad(chunk, (0, CHUNK_SAMPLES - len(chunk))).astype(np.float32)
        return chunk, first / SAMPLE_RATE


def source_rate(data: bytes, kind: str, path: str, name: str) -> tuple[int, float]:
    """(rate in Hz, duration in s) from the header alone, before decoding.

    Raises:
        UploadError: the header is truncated or not one the decoder reads.
    """
    if kind == "wav":
        try:
            info = audio.parse_wav_header(data, name)
        except ValueError as e:
            raise UploadError(str(e)) from None
        frame = info.channels * info.bits // 8
        return info.sample_rate, info.data_bytes / frame / info.sample_rate
    import tensorflow as tf
    import tensorflow_io as tfio

    try:
        # Reads the header and the frame index only; decoding comes later.
        stream = tfio.audio.AudioIOTensor(path)
        rate, samples = int(stream.rate.numpy()), int(stream.shape[0])
    except (tf.errors.OpError, ValueError) as e:
        detail = clean_decoder_message(getattr(e, "message", str(e)).replace(path, name))
        raise UploadError(
            f"{name}: cannot read this {kind.upper()} file (damaged?): {detail}"
        ) from None
    if rate < 1:
        raise UploadError(f"{name}: its {kind.upper()} header gives a sample rate of {rate} Hz")
    return rate, samples / rate


def read_sound(data: bytes, filename: str | None) -> SoundClip:
    """Checks and decodes an uploaded sound (module docstring).

    Returns:
        The sound at its own rate, mono, float32 in [-1, 1].

    Raises:
        UploadError: naming the file, for every refusal.
    """
    name = display_name(filename, "the sound")
    if not data:
        raise UploadError(f"{name} is empty (0 bytes): upload {SOUND_FORMATS}")
    picture = picture_format(data)
    if picture:
        raise UploadError(
            f"{name} is a picture ({picture}), not a sound: upload {SOUND_FORMATS} here, "
            "or give the picture to Picture -> sound"
        )
    kind = audio.sniff_audio_format(data)
    if kind is None:
        other = next((k for m, k in OTHER_SOUND_MAGIC.items() if data.startswith(m)), None)
        what = f"an {other} file" if other else "not a sound the page reads"
        raise UploadError(f"{name} is {what} (unrecognised header): upload {SOUND_FORMATS}")
    with tempfile.TemporaryDirectory(prefix="avgan-demo-") as folder:
        # tensorflow-io decodes FLAC and MP3 from a file, not from bytes.
        path = os.path.join(folder, f"upload.{kind}")
        with open(path, "wb") as f:
            f.write(data)
        rate, seconds = source_rate(data, kind, path, name)
        if seconds > MAX_SECONDS:
            raise UploadError(
                f"{name} lasts {seconds / 60:.1f} min; the page takes at most "
                f"{MAX_SECONDS / 60:.0f} min: cut the part you want first"
            )
        try:
            samples = audio.load_audio(path, sample_rate=rate)
        except ValueError as e:
            detail = clean_decoder_message(str(e).replace(path, name))
            raise UploadError(f"{detail} (a truncated or damaged file?)") from None
    samples = np.asarray(samples, np.float32)
    if not np.all(np.isfinite(samples)):
        raise UploadError(f"{name} holds NaN or infinite samples: export it again as PCM")
    return SoundClip(samples, rate)


def read_picture(data: bytes, filename: str | None) -> np.ndarray:
    """Checks and decodes an uploaded picture (module docstring).

    Returns:
        [height, width, 3] uint8 RGB (grayscale replicated, alpha dropped).

    Raises:
        UploadError: naming the file, for every refusal.
    """
    name = display_name(filename, "the picture")
    if not data:
        raise UploadError(f"{name} is empty (0 bytes): upload {PICTURE_FORMATS}")
    sound = audio.sniff_audio_format(data)
    if sound:
        raise UploadError(
            f"{name} is a sound ({sound.upper()}), not a picture: upload {PICTURE_FORMATS} "
            "here, or give the sound to Sound -> picture"
        )
    kind = picture_format(data)
    if kind not in ("PNG", "JPEG"):
        what = f"a {kind} picture" if kind else "not a picture the page reads"
        raise UploadError(f"{name} is {what}: upload {PICTURE_FORMATS}")
    try:
        with Image.open(io.BytesIO(data)) as header:  # reads the header only
            width, height = header.size
    except (OSError, ValueError, Image.DecompressionBombError):
        raise UploadError(f"{name}: cannot read this {kind}'s header (damaged?)") from None
    if width * height > MAX_PIXELS:
        raise UploadError(
            f"{name} is {width}x{height} pixels; the page takes at most "
            f"{MAX_PIXELS / 1e6:.1f} megapixels: make it smaller first"
        )
    try:
        pixels = audio.decode_image(data, name)
    except ValueError as e:
        detail = clean_decoder_message(str(e))
        raise UploadError(f"{detail} (a truncated or damaged {kind}?)") from None
    return np.asarray(pixels, np.uint8)


class SoundCache:
    """The last few decoded sounds, keyed by the SHA-256 of their bytes (thread-safe).

    The page sends the file again whenever the visitor moves the slider; the digest
    finds the decoded sound without decoding again. Holding the bytes is proof enough:
    nothing is looked up by a name or an id a page could guess.
    """

    def __init__(self, size: int = 2):
        self.size = size
        self._clips: collections.OrderedDict[bytes, SoundClip] = collections.OrderedDict()
        self._lock = threading.Lock()

    def read(self, data: bytes, filename: str | None) -> SoundClip:
        """`read_sound(data, filename)`, from the cache when the same bytes came before."""
        key = hashlib.sha256(data).digest()
        with self._lock:
            if key in self._clips:
                self._clips.move_to_end(key)
                return self._clips[key]
        clip = read_sound(data, filename)  # outside the lock: decoding takes seconds
        with self._lock:
            self._clips[key] = clip
            while len(self._clips) > self.size:
                self._clips.popitem(last=False)
        return clip
