"""Audio and image input: decode, mix to mono, resample to 44.1 kHz, cut 0.5 s chunks.

Every loader returns float32 in [-1, 1]; every failure is a `ValueError` that names
the file and the problem, raised before any bytes reach a decoder kernel, so a bad
file in a data set can be reported and skipped.

Decoding goes through tensorflow-io (`tfio.audio.decode_wav`, `AudioIOTensor` for
FLAC and MP3), except where tfio is wrong: it reads every 32-bit WAV as float (a
32-bit integer WAV comes out as NaN) and refuses 64-bit float, so those two are
decoded with `tf.io.decode_raw` after our own header parse.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import struct

import numpy as np
import tensorflow as tf
import tensorflow_io as tfio

# Re-exported: `audio.SAMPLE_RATE` etc. are the data's units for every caller.
from avgan.data.constants import CHUNK_SAMPLES as CHUNK_SAMPLES
from avgan.data.constants import CHUNK_SECONDS, IMAGE_SIZE, SAMPLE_RATE

_WAVE_FORMAT_PCM = 1
_WAVE_FORMAT_IEEE_FLOAT = 3
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE


@dataclasses.dataclass(frozen=True)
class WavInfo:
    """What a WAV header says: sample format and where the samples are."""

    format_tag: int  # _WAVE_FORMAT_PCM or _WAVE_FORMAT_IEEE_FLOAT
    channels: int
    sample_rate: int
    bits: int
    data_offset: int
    data_bytes: int


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            contents = f.read()
    except OSError as e:
        raise ValueError(f"{path}: cannot read file ({e.strerror})") from e
    if not contents:
        raise ValueError(f"{path}: file is empty")
    return contents


def sniff_audio_format(contents: bytes) -> str | None:
    """Returns 'wav', 'flac' or 'mp3' from a file's first bytes, or None."""
    if contents[:4] == b"RIFF" and contents[8:12] == b"WAVE":
        return "wav"
    if contents[:4] == b"fLaC":
        return "flac"
    if contents[:3] == b"ID3":
        return "mp3"
    # An MPEG audio frame starts with 11 sync bits; layer bits 01 mean Layer III.
    if len(contents) >= 2 and contents[0] == 0xFF and (contents[1] & 0xE6) == 0xE2:
        return "mp3"
    return None


def parse_wav_header(contents: bytes, name: str = "<bytes>") -> WavInfo:
    """Walks a RIFF/WAVE file's chunks and returns its `fmt ` and `data` description.

    Raises:
        ValueError: naming `name`: not a WAV, an unsupported sample format, a missing
            chunk, or a data chunk longer than the file (a truncated file).
    """
    if len(contents) < 12 or contents[:4] != b"RIFF" or contents[8:12] != b"WAVE":
        raise ValueError(f"{name}: not a RIFF/WAVE file")
    fmt = None
    pos = 12
    while pos + 8 <= len(contents):
        chunk_id = contents[pos : pos + 4]
        (size,) = struct.unpack("<I", contents[pos + 4 : pos + 8])
        body = pos + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(contents):
                raise ValueError(f"{name}: WAV 'fmt ' chunk is truncated")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", contents[body : body + 16])
            if tag == _WAVE_FORMAT_EXTENSIBLE and size >= 40:
                # The real format code is the first two bytes of the SubFormat GUID.
                (tag,) = struct.unpack("<H", contents[body + 24 : body + 26])
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise ValueError(f"{name}: WAV 'data' chunk comes before its 'fmt ' chunk")
            tag, channels, rate, bits = fmt
            available = len(contents) - body
            if size > available:
                raise ValueError(
                    f"{name}: truncated WAV: header declares {size} bytes of samples, "
                    f"file holds {available}"
                )
            supported = (tag == _WAVE_FORMAT_PCM and bits in (8, 16, 24, 32)) or (
                tag == _WAVE_FORMAT_IEEE_FLOAT and bits in (32, 64)
            )
            if not supported:
                raise ValueError(
                    f"{name}: unsupported WAV sample format (format tag {tag}, {bits} bits); "
                    "supported: 8/16/24/32-bit integer PCM, 32/64-bit float"
                )
            if channels < 1 or rate < 1:
                raise ValueError(f"{name}: WAV header has {channels} channels at {rate} Hz")
            return WavInfo(tag, channels, rate, bits, body, size)
        pos = body + size + (size & 1)  # chunks are padded to an even length
    raise ValueError(f"{name}: WAV has no {'data' if fmt else 'fmt '} chunk (truncated?)")


def _decode_wav(contents: bytes, name: str) -> tuple[tf.Tensor, int]:
    """Returns ([samples, channels] float32 in [-1, 1], sample rate)."""
    info = parse_wav_header(contents, name)
    frame_bytes = info.channels * info.bits // 8
    if info.data_bytes < frame_bytes:
        raise ValueError(f"{name}: WAV holds no samples")
    if (info.format_tag == _WAVE_FORMAT_PCM and info.bits == 32) or info.bits == 64:
        # tfio decodes these wrongly or not at all (module docstring).
        n = info.data_bytes // frame_bytes * frame_bytes
        raw = contents[info.data_offset : info.data_offset + n]
        if info.bits == 64:
            samples = tf.cast(tf.io.decode_raw(raw, tf.float64), tf.float32)
        else:
            samples = tf.cast(tf.io.decode_raw(raw, tf.int32), tf.float32) / 2.0**31
        return tf.reshape(samples, [-1, info.channels]), info.sample_rate
    dtype = {8: tf.uint8, 16: tf.int16, 24: tf.int32, 32: tf.float32}[info.bits]
    try:
        samples = tfio.audio.decode_wav(contents, dtype=dtype)
    except tf.errors.OpError as e:
        raise ValueError(f"{name}: cannot decode WAV: {e.message}") from e
    return _to_unit_float(samples), info.sample_rate


def _to_unit_float(samples: tf.Tensor) -> tf.Tensor:
    """Integer samples as tfio returns them -> float32 in [-1, 1]."""
    if samples.dtype == tf.uint8:  # 8-bit PCM is offset binary
        return (tf.cast(samples, tf.float32) - 128.0) / 128.0
    if samples.dtype == tf.int16:
        return tf.cast(samples, tf.float32) / 32768.0
    if samples.dtype == tf.int32:  # tfio left-justifies 24-bit samples in int32
        return tf.cast(samples, tf.float32) / 2.0**31
    return tf.cast(samples, tf.float32)


def _decode_compressed(path: str, kind: str) -> tuple[tf.Tensor, int]:
    try:
        audio = tfio.audio.AudioIOTensor(path)
        samples = audio.to_tensor()
        rate = int(audio.rate.numpy())
    except tf.errors.OpError as e:
        raise ValueError(f"{path}: cannot decode {kind.upper()}: {e.message}") from e
    if samples.shape[0] == 0:
        raise ValueError(f"{path}: {kind.upper()} holds no samples")
    return _to_unit_float(samples), rate


def load_audio(path: str | os.PathLike, sample_rate: int = SAMPLE_RATE) -> tf.Tensor:
    """Loads a WAV, FLAC or MP3 file as mono float32 at `sample_rate`.

    Args:
        path: the file. WAV may be 8/16/24/32-bit integer or 32/64-bit float PCM.
        sample_rate: output rate in Hz; other rates are resampled in-graph.

    Returns:
        waveform: [samples] float32 in [-1, 1]; channels are averaged.

    Raises:
        ValueError: naming the file: empty, unreadable, not audio, truncated, or
            holding no samples.
    """
    path = os.fspath(path)
    contents = _read_bytes(path)
    kind = sniff_audio_format(contents)
    if kind is None:
        raise ValueError(f"{path}: not a WAV, FLAC or MP3 file (unrecognised header)")
    if kind == "wav":
        samples, rate = _decode_wav(contents, path)
    else:
        samples, rate = _decode_compressed(path, kind)
    waveform = to_mono(samples)
    if rate != sample_rate:
        waveform = resample(waveform, rate, sample_rate)
    return waveform


def to_mono(samples: tf.Tensor) -> tf.Tensor:
    """[samples, channels] -> [samples], the mean of the channels."""
    return tf.reduce_mean(samples, axis=-1)


@functools.lru_cache(maxsize=16)
def _resampling_matrix(rate_in: int, rate_out: int, zeros: int, rolloff: float, beta: float):
    """Polyphase windowed-sinc weights as one dense matrix.

    Output sample n sits at input time n * down / up. Within a block of `up` outputs
    the input offsets repeat, so block b is `frame_b @ matrix`, where frame_b holds the
    `down + 2 * half` inputs around block b.

    Returns:
        (matrix [down + 2 * half, up] float32, up, down, half)
    """
    g = math.gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    cutoff = min(1.0, up / down) * rolloff  # in units of the input Nyquist
    half = int(math.ceil(zeros / cutoff))  # taps each side of the output time
    if (down + 2 * half) * up > 64_000_000:
        raise ValueError(
            f"cannot resample {rate_in} Hz -> {rate_out} Hz: the rates share too small a "
            "common factor for a polyphase filter; convert the file to a common rate first"
        )
    phase = np.arange(up)
    t = phase * down / up  # each output's position, in input samples, from the block start
    taps = np.arange(-half + 1, down + half + 1)  # input offsets from the block start
    x = taps[:, None] - t[None, :]  # [taps, up] distance of each input from each output
    inside = np.abs(x) < half
    ratio = np.where(inside, x / half, 0.0)
    window = np.where(inside, np.i0(beta * np.sqrt(1.0 - ratio**2)) / np.i0(beta), 0.0)
    matrix = cutoff * np.sinc(cutoff * x) * window
    return matrix.astype(np.float32), up, down, half


def resample(
    waveform: tf.Tensor,
    rate_in: int,
    rate_out: int,
    *,
    zeros: int = 64,
    rolloff: float = 0.94,
    beta: float = 8.6,
) -> tf.Tensor:
    """Band-limited resampling in-graph, without delay: a Kaiser-windowed sinc filter.

    We do not use `tfio.audio.resample`: measured here, its output lags by 33 samples
    at 48 -> 44.1 kHz. This filter is centred, so output sample n is the input at time
    n * rate_in / rate_out; its stopband is ~86 dB down (Kaiser beta 8.6) and the
    passband reaches `rolloff` of the lower Nyquist frequency.

    Args:
        waveform: [..., samples] float32.
        rate_in, rate_out: rates in Hz.
        zeros: sinc zero crossings on each side of the filter; longer is sharper.

    Returns:
        [..., ceil(samples * rate_out / rate_in)] float32.
    """
    if rate_in <= 0 or rate_out <= 0:
        raise ValueError(f"sample rates must be positive, got {rate_in} -> {rate_out}")
    waveform = tf.convert_to_tensor(waveform, tf.float32)
    if rate_in == rate_out:
        return waveform
    matrix, up, down, half = _resampling_matrix(rate_in, rate_out, zeros, rolloff, beta)
    # In int64: n_in * up passes 2^31 from ~305 s at 48 kHz (up = 147 for 44.1 kHz).
    n_in = tf.shape(waveform, out_type=tf.int64)[-1]
    n_out64 = (n_in * up + down - 1) // down
    n_blocks64 = (n_out64 + up - 1) // up
    # Pad so every block b has its frame: inputs b*down - half + 1 ... b*down + down + half.
    pad_right = tf.cast(n_blocks64 * down + half + 1 - n_in, tf.int32)
    n_out, n_blocks = tf.cast(n_out64, tf.int32), tf.cast(n_blocks64, tf.int32)
    paddings = [[0, 0]] * (waveform.shape.rank - 1) + [[half - 1, tf.maximum(pad_right, 0)]]
    padded = tf.pad(waveform, paddings)
    frames = tf.signal.frame(padded, down + 2 * half, down)[..., :n_blocks, :]
    blocks = tf.linalg.matmul(frames, matrix)  # [..., n_blocks, up]
    out_shape = tf.concat([tf.shape(waveform)[:-1], [n_blocks * up]], 0)
    return tf.reshape(blocks, out_shape)[..., :n_out]


def chunk_waveform(
    waveform: tf.Tensor, sample_rate: int = SAMPLE_RATE, seconds: float = CHUNK_SECONDS
) -> tf.Tensor:
    """Cuts a waveform into consecutive chunks; a remainder shorter than a chunk is dropped.

    Args:
        waveform: [samples] float32.

    Returns:
        [chunks, round(seconds * sample_rate)] float32 (0.5 s at 44.1 kHz: 22050).

    Raises:
        ValueError: the waveform is empty or not 1-D.
    """
    waveform = tf.convert_to_tensor(waveform, tf.float32)
    if waveform.shape.rank != 1:
        raise ValueError(f"waveform must be 1-D [samples], got shape {waveform.shape}")
    if waveform.shape[0] == 0:
        raise ValueError("waveform is empty (zero samples): nothing to cut into chunks")
    size = int(round(seconds * sample_rate))
    n = waveform.shape[0] // size
    return tf.reshape(waveform[: n * size], [n, size])


def dbfs(chunks: tf.Tensor) -> tf.Tensor:
    """Loudness in dBFS, 20 * log10(rms), of float waveforms in [-1, 1].

    A full-scale sine is -3.01 dBFS; silence is -inf.

    Args:
        chunks: [..., samples] float32.

    Returns:
        [...] float32.

    Raises:
        ValueError: the last axis has zero samples.
    """
    chunks = tf.convert_to_tensor(chunks, tf.float32)
    if chunks.shape[-1] == 0:
        raise ValueError("cannot compute dBFS of a zero-length waveform")
    rms = tf.sqrt(tf.reduce_mean(tf.square(chunks), axis=-1))
    return 20.0 * tf.math.log(rms) / math.log(10.0)


def load_image(path: str | os.PathLike) -> tf.Tensor:
    """Loads a JPEG or PNG as RGB.

    Returns:
        [height, width, 3] uint8; grayscale is replicated to three channels and an
        alpha channel is dropped.

    Raises:
        ValueError: naming the file: empty, unreadable or not a JPEG/PNG image.
    """
    path = os.fspath(path)
    return decode_image(_read_bytes(path), name=path)


def decode_image(contents: bytes, name: str = "<bytes>") -> tf.Tensor:
    """Decodes JPEG or PNG bytes to [height, width, 3] uint8 (see `load_image`)."""
    is_jpeg = contents[:3] == b"\xff\xd8\xff"
    is_png = contents[:8] == b"\x89PNG\r\n\x1a\n"
    if not (is_jpeg or is_png):
        raise ValueError(f"{name}: not a JPEG or PNG image (unrecognised header)")
    try:
        # channels=3 makes libjpeg/libpng expand grayscale and strip alpha.
        image = tf.io.decode_image(contents, channels=3, expand_animations=False)
    except tf.errors.OpError as e:
        raise ValueError(f"{name}: cannot decode image: {e.message}") from e
    return tf.cast(image, tf.uint8)


def resize_image(image: tf.Tensor, size: int = IMAGE_SIZE) -> tf.Tensor:
    """Resizes to size x size (aspect not kept, as Sub-URMP's frames are), antialiased.

    Args:
        image: [..., height, width, 3] uint8.

    Returns:
        [..., size, size, 3] uint8.
    """
    resized = tf.image.resize(tf.cast(image, tf.float32), [size, size], antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)
