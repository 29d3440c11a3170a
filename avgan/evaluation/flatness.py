"""Spectral flatness of (generated) log-mel spectrograms: do they have harmonic lines?

A note's spectrum is a few harmonic peaks over a floor: its power is concentrated in a
few mel bands, and its flatness, the geometric mean of a frame's power over its
arithmetic mean (Wiener entropy), is low. Noise spreads power evenly: flatness near 1.
The real test spectrograms' flatness is the reference for the generated ones; a
generator that draws noise textures instead of harmonics scores well above it. Not in
the paper.
"""

from __future__ import annotations

import numpy as np

AMIN = 1e-10  # librosa.feature.spectral_flatness's floor on the power


def spectral_flatness(power: np.ndarray, amin: float = AMIN) -> np.ndarray:
    """Per-frame flatness of power spectra, as `librosa.feature.spectral_flatness(S=...,
    power=1.0)` computes it: exp(mean(log p)) / mean(p) over the frequency axis.

    Args:
        power: [..., bins, frames] non-negative power (linear, not dB).

    Returns:
        [..., frames] float64 in (0, 1].
    """
    power = np.maximum(np.asarray(power, np.float64), amin)
    geometric = np.exp(np.mean(np.log(power), axis=-2))
    return geometric / np.mean(power, axis=-2)


def log_mel_flatness(log_mel_db: np.ndarray) -> float:
    """Mean spectral flatness of log-mel spectrograms in dB.

    Args:
        log_mel_db: [batch, mels, frames] dB (e.g. `avgan.models.i2s.to_log_mel_44`).

    Returns:
        The mean over examples and frames.
    """
    power = np.power(10.0, np.asarray(log_mel_db, np.float64) / 10.0)
    return float(np.mean(spectral_flatness(power)))
