"""avgan.data.audio: decoding every supported format, resampling, chunks, dBFS, images."""

import math
import os

import librosa
import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from avgan.data import audio

SR = audio.SAMPLE_RATE


def _stereo_test_signal(sample_rate: int, seconds: float = 0.6) -> np.ndarray:
    """[samples, 2]: a chord on the left, a different chord on the right, peak < 0.9."""
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    left = 0.4 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 1320 * t)
    right = 0.5 * np.sin(2 * np.pi * 660 * t) + 0.2 * np.sin(2 * np.pi * 2000 * t)
    return np.stack([left, right], axis=1)


# (container, subtype, tolerance): tolerance is one quantisation step of the format.
WAV_FORMATS = [
    ("WAV", "PCM_U8", 1 / 128),
    ("WAV", "PCM_16", 1 / 32768),
    ("WAV", "PCM_24", 2**-23),
    ("WAV", "PCM_32", 1e-7),  # float32 output resolves ~6e-8 near 0.5
    ("WAV", "FLOAT", 1e-7),
    ("WAV", "DOUBLE", 1e-7),
    ("FLAC", "PCM_16", 1 / 32768),
    ("FLAC", "PCM_24", 2**-23),
]


@pytest.mark.parametrize("container,subtype,tol", WAV_FORMATS)
def test_lossless_formats_decode_to_the_mono_mix(tmp_path, container, subtype, tol):
    signal = _stereo_test_signal(SR)
    path = tmp_path / f"clip_{subtype}.{container.lower()}"
    sf.write(path, signal, SR, format=container, subtype=subtype)
    # The reference is what libsndfile reads back, mixed down: isolates our decoding.
    expected = sf.read(path, dtype="float64")[0].mean(axis=1)

    waveform = audio.load_audio(path)

    assert waveform.dtype == tf.float32
    assert waveform.shape == (len(expected),)
    np.testing.assert_allclose(waveform.numpy(), expected, atol=tol)


def test_mp3_decodes_like_libsndfile(tmp_path):
    signal = _stereo_test_signal(SR)
    path = tmp_path / "clip.mp3"
    sf.write(path, signal, SR, format="MP3")
    expected = sf.read(path, dtype="float32")[0].mean(axis=1)

    waveform = audio.load_audio(path).numpy()

    # Two MP3 decoders (tfio's and libsndfile's mpg123) agree in length and to within
    # rounding of the synthesis filterbank.
    assert abs(len(waveform) - len(expected)) <= 1152  # one MPEG frame
    n = min(len(waveform), len(expected))
    np.testing.assert_allclose(waveform[:n], expected[:n], atol=2e-3)


def test_other_rates_are_resampled_to_44100_like_librosa(tmp_path):
    rate = 48000
    signal = _stereo_test_signal(rate, seconds=1.0)
    path = tmp_path / "clip48k.wav"
    sf.write(path, signal, rate, subtype="FLOAT")
    mono = signal.mean(axis=1).astype(np.float32)
    expected = librosa.resample(mono, orig_sr=rate, target_sr=SR, res_type="soxr_vhq")

    waveform = audio.load_audio(path).numpy()

    assert len(waveform) == math.ceil(len(mono) * SR / rate) == len(expected)
    inner = slice(500, -500)  # both resamplers treat the edges differently
    error = waveform[inner] - expected[inner]
    assert np.sqrt(np.mean(error**2)) / np.sqrt(np.mean(expected[inner] ** 2)) < 1e-3


@pytest.mark.parametrize("rate_in", [48000, 22050, 16000, 96000])
def test_resampling_has_no_delay(rate_in):
    # A band-limited click at input time 0.1 s must peak at output time 0.1 s.
    n = rate_in // 5
    click = np.zeros(n, np.float32)
    click[rate_in // 10] = 1.0
    out = audio.resample(click, rate_in, SR).numpy()
    assert abs(int(np.argmax(out)) - SR // 10) <= 1


def test_resample_keeps_leading_dimensions_and_dc():
    x = np.ones([2, 3, 4800], np.float32)
    out = audio.resample(x, 48000, SR).numpy()
    assert out.shape == (2, 3, 4410)
    np.testing.assert_allclose(out[..., 200:-200], 1.0, atol=1e-3)


def test_a_recording_longer_than_305_s_at_48_khz_is_resampled_whole():
    """samples * 147 passes 2^31 past 14.6 M input samples (305 s at 48 kHz): the sizes
    are computed in int64, so the length is right and the end is resampled like the
    start (a click near the end peaks where its time says)."""
    n = 310 * 48000
    x = np.zeros(n, np.float32)
    x[n - 48000] = 1.0  # 1 s before the end
    out = audio.resample(x, 48000, SR).numpy()
    assert out.shape == (310 * SR,)
    assert abs(int(np.argmax(out)) - 309 * SR) <= 1
    assert out.max() == pytest.approx(audio.resample(x[-96000:], 48000, SR).numpy().max())


def test_chunks_are_half_a_second_and_drop_the_remainder():
    waveform = np.arange(int(1.3 * SR), dtype=np.float32)
    chunks = audio.chunk_waveform(waveform).numpy()
    assert chunks.shape == (2, 22050)
    np.testing.assert_array_equal(chunks[1], waveform[22050:44100])


def test_dbfs_of_known_signals():
    t = np.arange(22050) / SR
    full_sine = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    values = audio.dbfs(np.stack([full_sine, 0.5 * full_sine, np.full(22050, 0.1, np.float32)]))
    np.testing.assert_allclose(values.numpy(), [-3.0103, -3.0103 - 6.0206, -20.0], atol=1e-3)
    assert audio.dbfs(np.zeros(100, np.float32)).numpy() == -np.inf


# --- bad input -------------------------------------------------------------------------


def _wav_bytes(tmp_path) -> bytes:
    path = tmp_path / "good.wav"
    sf.write(path, _stereo_test_signal(SR), SR, subtype="PCM_16")
    return path.read_bytes()


@pytest.mark.parametrize(
    "make,problem",
    [
        (lambda good: b"", "empty"),
        (lambda good: os.urandom(4096), "not a WAV, FLAC or MP3"),
        (lambda good: b"ID3" + bytes(range(256)) * 8, "cannot decode MP3"),
        (lambda good: b"fLaC" + bytes(200), "cannot decode FLAC"),
        (lambda good: good[: len(good) // 2], "truncated WAV"),
        (lambda good: good[:30], "truncated"),
        (lambda good: good[:40] + bytes(4), "no samples"),  # data chunk of size 0
    ],
    ids=[
        "empty",
        "random-bytes",
        "garbage-mp3",
        "garbage-flac",
        "truncated",
        "header-cut",
        "no-samples",
    ],
)
def test_bad_audio_raises_value_error_naming_file_and_problem(tmp_path, make, problem):
    path = tmp_path / "bad_input.wav"
    path.write_bytes(make(_wav_bytes(tmp_path)))
    with pytest.raises(ValueError, match=problem) as info:
        audio.load_audio(path)
    assert str(path) in str(info.value)


def test_missing_file_raises_value_error_naming_it(tmp_path):
    with pytest.raises(ValueError, match="cannot read file") as info:
        audio.load_audio(tmp_path / "nowhere.wav")
    assert "nowhere.wav" in str(info.value)


def test_zero_length_waveform_is_refused():
    with pytest.raises(ValueError, match="zero samples"):
        audio.chunk_waveform(np.zeros(0, np.float32))
    with pytest.raises(ValueError, match="zero-length"):
        audio.dbfs(np.zeros((3, 0), np.float32))


# --- images ----------------------------------------------------------------------------


def _pixels(height: int, width: int, channels: int) -> np.ndarray:
    rng = np.random.default_rng(channels)
    return rng.integers(0, 256, size=(height, width, channels), dtype=np.uint8)


def test_png_rgb_round_trips_exactly(tmp_path):
    pixels = _pixels(20, 30, 3)
    path = tmp_path / "rgb.png"
    path.write_bytes(tf.io.encode_png(pixels).numpy())
    np.testing.assert_array_equal(audio.load_image(path).numpy(), pixels)


def test_grayscale_becomes_three_equal_channels(tmp_path):
    gray = _pixels(20, 30, 1)
    path = tmp_path / "gray.png"
    path.write_bytes(tf.io.encode_png(gray).numpy())
    image = audio.load_image(path).numpy()
    assert image.shape == (20, 30, 3)
    for c in range(3):
        np.testing.assert_array_equal(image[..., c], gray[..., 0])


def test_rgba_drops_alpha(tmp_path):
    rgba = _pixels(20, 30, 4)
    path = tmp_path / "rgba.png"
    path.write_bytes(tf.io.encode_png(rgba).numpy())
    np.testing.assert_array_equal(audio.load_image(path).numpy(), rgba[..., :3])


def test_jpeg_decodes_close_to_the_original(tmp_path):
    # Smooth content so JPEG's loss is small and the check is about decoding.
    y, x = np.mgrid[0:48, 0:64]
    pixels = np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.uint8)
    path = tmp_path / "smooth.jpg"
    path.write_bytes(tf.io.encode_jpeg(pixels, quality=95).numpy())
    image = audio.load_image(path).numpy().astype(int)
    assert image.shape == (48, 64, 3)
    assert np.abs(image - pixels).mean() < 2.0


def test_resize_to_64_keeps_flat_colours_and_averages_blocks():
    flat = np.full((128, 96, 3), [10, 200, 90], np.uint8)
    np.testing.assert_array_equal(audio.resize_image(flat).numpy(), flat[:64, :64])
    # 2x2 blocks of 0 and 255 on a 128x128 grid average to ~128 when halved.
    checker = (np.indices((128, 128)).sum(axis=0) % 2 * 255).astype(np.uint8)
    small = audio.resize_image(np.repeat(checker[..., None], 3, axis=-1)).numpy()
    assert small.shape == (64, 64, 3) and small.dtype == np.uint8
    assert np.abs(small[1:-1, 1:-1].astype(int) - 128).max() <= 1  # edges see padding


@pytest.mark.parametrize(
    "contents,problem",
    [
        (b"", "empty"),
        (b"GIF89a" + bytes(100), "not a JPEG or PNG"),
        (b"\x89PNG\r\n\x1a\n" + bytes(40), "cannot decode image"),
    ],
    ids=["empty", "gif", "truncated-png"],
)
def test_bad_images_raise_value_error_naming_the_file(tmp_path, contents, problem):
    path = tmp_path / "bad_image.png"
    path.write_bytes(contents)
    with pytest.raises(ValueError, match=problem) as info:
        audio.load_image(path)
    assert str(path) in str(info.value)
