"""The five sound representations of the paper's Table 1, as pure tf.signal functions.

STFT magnitude, constant-Q transform (CQT), MFCC, mel spectrum (MS) and log-mel
spectrum (LMS). Each takes a batch of waveforms, `[..., samples]` float32 in
[-1, 1], and returns `[..., bins, frames]` like librosa, so tests compare them with
librosa 0.11 directly. Defaults are the paper's: 44.1 kHz, FFT 2048, hop 512,
128 mels; a 0.5 s chunk (22050 samples) gives 44 frames.

Parity with librosa comes from three choices: frames are centred by zero padding
(librosa's `center=True, pad_mode="constant"`), the window is the periodic Hann
window, and the mel filters are librosa's Slaney filters used as a constant
(`tf.signal.linear_to_mel_weight_matrix` is HTK-style and differs).
"""

from __future__ import annotations

import functools
import math

import librosa
import numpy as np
import tensorflow as tf

from avgan.config import REPRESENTATIONS
from avgan.data.constants import SAMPLE_RATE

N_FFT = 2048
HOP_LENGTH = 512
N_MELS = 128
N_MFCC = 20
CQT_FMIN = 32.703195662574764  # C1, librosa's default
CQT_BINS = 84
CQT_BINS_PER_OCTAVE = 12


def num_frames(samples: int, hop_length: int = HOP_LENGTH) -> int:
    """Frames of a centred STFT of `samples` samples: 1 + samples // hop."""
    return 1 + samples // hop_length


def _rectangular_window(length: int, dtype: tf.DType = tf.float32) -> tf.Tensor:
    return tf.ones([length], dtype)


HANN = functools.partial(tf.signal.hann_window, periodic=True)  # scipy's 'hann', as librosa


def centred_stft(waveform: tf.Tensor, n_fft: int, hop_length: int, window_fn=HANN) -> tf.Tensor:
    """Complex STFT with librosa's centring: [..., samples] -> [..., frames, n_fft // 2 + 1].

    Frame t is centred on sample t * hop_length; the signal is padded with n_fft // 2
    zeros at each end, so there are 1 + samples // hop_length frames.
    """
    waveform = tf.convert_to_tensor(waveform, tf.float32)
    pad = n_fft // 2
    paddings = [[0, 0]] * (waveform.shape.rank - 1) + [[pad, pad]]
    padded = tf.pad(waveform, paddings)
    return tf.signal.stft(
        padded,
        frame_length=n_fft,
        frame_step=hop_length,
        fft_length=n_fft,
        window_fn=window_fn,
        pad_end=False,
    )


def stft_magnitude(
    waveform: tf.Tensor, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH
) -> tf.Tensor:
    """|STFT|, as `np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length))`.

    Args:
        waveform: [..., samples] float32.

    Returns:
        [..., n_fft // 2 + 1, frames] float32 (1025 x 44 for 0.5 s at the defaults).
    """
    spectrum = tf.abs(centred_stft(waveform, n_fft, hop_length))
    return tf.linalg.matrix_transpose(spectrum)


@functools.lru_cache(maxsize=16)
def mel_filterbank(
    sample_rate: int = SAMPLE_RATE,
    n_fft: int = N_FFT,
    n_mels: int = N_MELS,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> np.ndarray:
    """librosa's Slaney-normalised mel filters, [n_mels, n_fft // 2 + 1] float32.

    Computed once per setting on the host and used as a graph constant, so the graph
    never calls librosa.
    """
    return librosa.filters.mel(
        sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=np.float32
    )


def mel_spectrogram(
    waveform: tf.Tensor,
    sample_rate: int = SAMPLE_RATE,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
    n_mels: int = N_MELS,
    power: float = 2.0,
) -> tf.Tensor:
    """Mel spectrum (MS), as `librosa.feature.melspectrogram` with the same arguments.

    Args:
        waveform: [..., samples] float32.
        power: 2 for power, 1 for magnitude.

    Returns:
        [..., n_mels, frames] float32.
    """
    stft = centred_stft(waveform, n_fft, hop_length)  # [..., frames, bins]
    if power == 2.0:
        # re^2 + im^2 skips abs's square root; tf.pow would cost 30% of the whole op.
        spectrum = tf.square(tf.math.real(stft)) + tf.square(tf.math.imag(stft))
    elif power == 1.0:
        spectrum = tf.abs(stft)
    else:
        spectrum = tf.pow(tf.abs(stft), power)
    filters = tf.constant(mel_filterbank(sample_rate, n_fft, n_mels).T)  # [bins, mels]
    return tf.linalg.matrix_transpose(tf.linalg.matmul(spectrum, filters))


def power_to_db(spectrum: tf.Tensor, amin: float = 1e-10, top_db: float | None = 80.0) -> tf.Tensor:
    """10 * log10(spectrum), floored at `top_db` below each example's maximum.

    As `librosa.power_to_db(S, ref=1.0, amin=amin, top_db=top_db)` applied to one
    example at a time: the maximum is taken over the last two axes.

    Args:
        spectrum: [..., bins, frames] float32 power.

    Returns:
        [..., bins, frames] float32 in dB.
    """
    db = 10.0 * tf.math.log(tf.maximum(spectrum, amin)) / math.log(10.0)
    if top_db is not None:
        peak = tf.reduce_max(db, axis=[-2, -1], keepdims=True)
        db = tf.maximum(db, peak - top_db)
    return db


def log_mel_spectrogram(
    waveform: tf.Tensor,
    sample_rate: int = SAMPLE_RATE,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
    n_mels: int = N_MELS,
    top_db: float | None = 80.0,
) -> tf.Tensor:
    """Log-mel spectrum (LMS) in dB, the paper's chosen sound representation.

    As `librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sample_rate, ...))`.

    Args:
        waveform: [..., samples] float32.

    Returns:
        [..., n_mels, frames] float32 (128 x 44 for 0.5 s at the defaults).
    """
    spectrum = mel_spectrogram(waveform, sample_rate, n_fft, hop_length, n_mels)
    return power_to_db(spectrum, top_db=top_db)


def mfcc(
    waveform: tf.Tensor,
    sample_rate: int = SAMPLE_RATE,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
    n_mels: int = N_MELS,
    n_mfcc: int = N_MFCC,
) -> tf.Tensor:
    """MFCC, as `librosa.feature.mfcc` (orthonormal DCT-II of the log-mel spectrum).

    `tf.signal.mfccs_from_log_mel_spectrograms` is not used: its scaling of the DCT
    is not orthonormal for coefficient 0, so it would not match librosa.

    Args:
        waveform: [..., samples] float32.

    Returns:
        [..., n_mfcc, frames] float32.
    """
    log_mel = log_mel_spectrogram(waveform, sample_rate, n_fft, hop_length, n_mels)
    # tf.signal.dct works on the last axis, so transform with mels last.
    cepstrum = tf.signal.dct(tf.linalg.matrix_transpose(log_mel), type=2, norm="ortho")
    return tf.linalg.matrix_transpose(cepstrum[..., :n_mfcc])


@functools.lru_cache(maxsize=8)
def constant_q_basis(
    sample_rate: int = SAMPLE_RATE,
    hop_length: int = HOP_LENGTH,
    fmin: float = CQT_FMIN,
    n_bins: int = CQT_BINS,
    bins_per_octave: int = CQT_BINS_PER_OCTAVE,
) -> tuple[np.ndarray, int]:
    """Spectra of librosa's constant-Q filters, for inner products through one FFT.

    Each filter is librosa's Hann-windowed complex wavelet for its centre frequency
    (`librosa.filters.wavelet`, equal-temperament bandwidths, L1 norm), zero-padded
    to an FFT long enough for the lowest (longest) filter. The `1 / sqrt(length)`
    scaling of `librosa.cqt(scale=True)` is folded in.

    Returns:
        (basis [used_bins, n_bins] complex64, n_fft): the filters over FFT bins
        0 .. used_bins - 1 of an n_fft-point FFT.
    """
    freqs = librosa.cqt_frequencies(n_bins=n_bins, fmin=fmin, bins_per_octave=bins_per_octave)
    # Relative bandwidth of geometrically spaced bins (librosa's equal-temperament alpha).
    ratio = 2.0 ** (2.0 / bins_per_octave)
    alpha = np.full(n_bins, (ratio - 1.0) / (ratio + 1.0))
    filters, lengths = librosa.filters.wavelet(
        freqs=freqs,
        sr=sample_rate,
        window="hann",
        filter_scale=1,
        norm=1,
        pad_fft=True,
        alpha=alpha,
    )
    n_fft = max(filters.shape[1], int(2.0 ** (1 + np.ceil(np.log2(hop_length)))))
    # The real FFT keeps only non-negative frequencies; the wavelets are analytic (their
    # energy is all at positive frequencies), so nothing is lost.
    filters = filters * (np.sqrt(lengths)[:, None] / float(n_fft))
    spectra = np.fft.fft(filters, n=n_fft, axis=1)[:, : n_fft // 2 + 1]
    # Every filter is band-limited to a little above its centre frequency, so FFT bins
    # above the highest filter's band contribute < 1e-5 of its peak: drop them (5x less
    # work at the defaults).
    significant = np.abs(spectra) > 1e-5 * np.abs(spectra).max(axis=1, keepdims=True)
    n_used = int(np.nonzero(significant.any(axis=0))[0].max()) + 1
    return spectra[:, :n_used].T.astype(np.complex64), n_fft


def cqt(
    waveform: tf.Tensor,
    sample_rate: int = SAMPLE_RATE,
    hop_length: int = HOP_LENGTH,
    fmin: float = CQT_FMIN,
    n_bins: int = CQT_BINS,
    bins_per_octave: int = CQT_BINS_PER_OCTAVE,
) -> tf.Tensor:
    """Constant-Q magnitude, computed directly: one long STFT times a filterbank.

    Each output is |<frame, wavelet>|, the inner product of the signal around frame t
    with librosa's constant-Q wavelet for bin k, taken in the frequency domain: a
    rectangular-window STFT as long as the lowest filter (32768 samples at C1 and
    44.1 kHz) times the filters' spectra. These are the inner products `librosa.cqt`
    computes too (`tuning=0.0`, `scale=True`); librosa gets them octave by octave
    from a recursively downsampled signal to save time, which is the only source of
    difference (measured on instrument notes: 2% of the total magnitude, correlation
    0.9999). This is
    not librosa's `pseudo_cqt`, which multiplies magnitudes and so smears energy
    across neighbouring bins (correlation with `librosa.cqt` 0.88-0.97 here).

    Args:
        waveform: [..., samples] float32.

    Returns:
        [..., n_bins, frames] float32 (84 x 44 for 0.5 s at the defaults).
    """
    basis, n_fft = constant_q_basis(sample_rate, hop_length, fmin, n_bins, bins_per_octave)
    spectrum = centred_stft(waveform, n_fft, hop_length, _rectangular_window)
    spectrum = spectrum[..., : basis.shape[0]]
    response = tf.abs(tf.linalg.matmul(spectrum, tf.constant(basis)))  # [..., frames, bins]
    return tf.linalg.matrix_transpose(response)


_FUNCTIONS = {
    "stft": stft_magnitude,
    "cqt": cqt,
    "mfcc": mfcc,
    "ms": mel_spectrogram,
    "lms": log_mel_spectrogram,
}
if tuple(_FUNCTIONS) != REPRESENTATIONS:  # the config lists what this module computes
    raise ImportError(f"features computes {tuple(_FUNCTIONS)}, the config lists {REPRESENTATIONS}")


def representation_fn(name: str):
    """The feature function for a Table 1 representation name (see `REPRESENTATIONS`).

    Raises:
        ValueError: listing the valid names.
    """
    try:
        return _FUNCTIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown representation {name!r}; valid: {', '.join(REPRESENTATIONS)}"
        ) from None
