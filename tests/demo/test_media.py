"""avgan.demo.media: WAV and PNG round trips, the log-mel picture's scale, the overview."""

import io

import numpy as np
from PIL import Image

from avgan.data.pictures import SPECTROGRAM_PALETTE
from avgan.demo import media

from .conftest import read_wav


def test_wav_round_trips_to_16_bit_and_clips():
    x = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 1.7, -3.0, 1e-5], np.float32)
    samples, rate = read_wav(media.wav(x))
    assert rate == 44100
    np.testing.assert_array_equal(samples, np.round(np.clip(x, -1, 1) * 32767) / 32767)
    assert read_wav(media.wav(np.zeros(22050), 22050))[0].shape == (22050,)


def test_png_keeps_the_exact_pixels():
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(media.png(pixels)))), pixels)


def test_the_log_mel_picture_spans_80_db_below_its_loudest_bin():
    db = np.full((128, 44), -200.0, np.float32)
    db[3, 5] = -10.0  # loudest: brightest colour
    db[100, 0] = -50.0  # 40 dB below: half way
    picture = media.log_mel_picture(db)
    assert picture.shape == (128, 44, 3) and picture.dtype == np.uint8
    np.testing.assert_array_equal(
        picture[127 - 3, 5], SPECTROGRAM_PALETTE[-1]
    )  # bin 0 at the bottom
    np.testing.assert_array_equal(picture[0, 0], SPECTROGRAM_PALETTE[0])  # 190 dB below: black
    middle = (SPECTROGRAM_PALETTE[1] + SPECTROGRAM_PALETTE[2]) / 2
    np.testing.assert_allclose(picture[127 - 100, 0], middle, atol=1)


def test_the_overview_is_the_peak_of_each_column():
    samples = np.zeros(1200, np.float32)
    samples[10] = -0.9
    samples[1199] = 0.25
    peaks = media.overview(samples, columns=600)
    assert len(peaks) == 600 and peaks[5] == 0.9 and peaks[599] == 0.25
    assert sum(p > 0 for p in peaks) == 2
    assert media.overview(np.array([0.1, -2.0], np.float32)) == [0.1, 1.0]  # fewer than columns
    assert media.overview(np.zeros(0, np.float32)) == []


def test_data_urls():
    assert media.data_url(b"RIFF", "audio/wav") == "data:audio/wav;base64,UklGRg=="
