"""Spectral flatness: librosa's figure, low for harmonic spectra, high for noise."""

import librosa
import numpy as np

from avgan.evaluation import flatness


def test_matches_librosa_on_a_real_spectrogram():
    sr = 22050
    t = np.arange(sr // 2) / sr
    tone = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 6))
    noise = np.random.default_rng(0).standard_normal(sr // 2)
    for signal in (tone, 0.1 * noise, tone + 0.05 * noise):
        power = np.abs(librosa.stft(signal.astype(np.float32), n_fft=1024)) ** 2
        expected = librosa.feature.spectral_flatness(S=power, power=1.0)[0]
        np.testing.assert_allclose(flatness.spectral_flatness(power), expected, rtol=1e-5)


def test_harmonics_are_flatter_than_nothing_and_noise_is_near_one():
    bins, frames = 128, 44
    harmonic = np.full((1, bins, frames), -80.0)  # dB: a floor 80 dB down...
    harmonic[:, 10::20, :] = 0.0  # ...with a line every 20 mel bands: 6 of 128
    flat = np.zeros((1, bins, frames))  # the same power in every band
    assert flatness.log_mel_flatness(flat) == 1.0
    # Geometric mean: 10^(-8 * 122/128); arithmetic: (6 + 122e-8) / 128.
    expected = 10 ** (-8 * 122 / 128) / ((6 + 122e-8) / 128)
    assert np.isclose(flatness.log_mel_flatness(harmonic), expected, rtol=1e-9, atol=0)
    assert flatness.log_mel_flatness(harmonic) < 1e-5
