"""Log-mel spectrogram -> waveform: mel inversion then Griffin-Lim, in TensorFlow.

The I2S generator outputs log-mel spectrograms (dB, `[..., 128, 44]` for 0.5 s); this
module turns them into audio that can be played, exported and rated, inside the
graph (`tf.function`, SavedModel), with no librosa call. It follows
`librosa.feature.inverse.mel_to_audio` step by step:

1. dB -> mel power: 10 ** (dB / 10) (the inverse of `features.power_to_db` above its
   `top_db` floor, which is lost).
2. Mel power -> linear-frequency power by non-negative least squares against the
   same Slaney filterbank `features.mel_spectrogram` uses (`mel_to_linear`), then the
   square root for the magnitude.
3. Magnitude -> waveform by fast Griffin-Lim (`griffin_lim`; Perraudin, Balazs and
   Søndergaard 2013, librosa's `momentum=0.99`), with librosa's STFT conventions:
   frames centred by padding n_fft // 2 zeros, periodic Hann window, inverse STFT
   normalised by the exact sum of squared windows (so the first and last frames,
   which overlap fewer others, come out right too).

Lengths line up with `features.log_mel_spectrogram`: a 0.5 s log-mel of 44 frames
gives 22050 samples, whose log-mel has 44 frames again.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import tensorflow as tf

from avgan.data import features

N_ITER = 32
MOMENTUM = 0.99
NNLS_ITERATIONS = 200


def default_length(
    frames: int, hop_length: int = features.HOP_LENGTH, sample_rate: int = features.SAMPLE_RATE
) -> int:
    """Samples of the waveform `log_mel_to_audio` makes from `frames` frames by default.

    A 0.5 s chunk (sample_rate // 2 samples: 22050 at 44.1 kHz) when `frames` is its
    frame count (44 at the defaults), the paper's unit; otherwise librosa's choice,
    (frames - 1) * hop_length. Either way a centred STFT of the result has `frames`
    frames.
    """
    chunk = sample_rate // 2
    if frames == features.num_frames(chunk, hop_length):
        return chunk
    return (frames - 1) * hop_length


def _pseudo_inverse(filters: np.ndarray) -> np.ndarray:
    return np.linalg.pinv(filters.astype(np.float64)).astype(np.float32)


def mel_to_linear(
    mel_power: tf.Tensor,
    sample_rate: int = features.SAMPLE_RATE,
    n_fft: int = features.N_FFT,
    power: float = 2.0,
    iterations: int = NNLS_ITERATIONS,
) -> tf.Tensor:
    """Mel spectrum -> linear-frequency magnitude, as `librosa.feature.inverse.mel_to_stft`.

    Solves min ||M x - m||^2 subject to x >= 0 for each frame, M the Slaney filterbank
    [n_mels, n_fft // 2 + 1] and m the mel power, by projected gradient descent with
    Nesterov momentum (FISTA with the non-negativity projection, step 1 / ||M||^2),
    started from the pseudo-inverse clipped at 0.

    Why this NNLS rather than the clipped pseudo-inverse: with 128 equations and 1025
    unknowns a mel frame of real audio is reached exactly by some x >= 0 (scipy's
    active-set `nnls` leaves no residual), but clipping the pseudo-inverse's negative
    bins leaves a relative residual of up to 11% per frame (median 4% on a harmonic
    tone, 11% on a violin note) and the round trip log-mel -> audio -> log-mel
    5-6 dB off on a harmonic tone and FluidSynth violin, trumpet and flute notes.
    200 steps bring the residual under 0.1% and the round trip to 1.0-1.5 dB (see
    tests/test_synthesis.py). librosa's `nnls` (L-BFGS-B) stops at its starting
    point, the clipped pseudo-inverse, on the FluidSynth notes (its tolerance is
    absolute and their mel powers are small), so `mel_to_audio` stays 5-6 dB off
    there; it does move on the louder harmonic tone (2.4-2.6 dB). Multiplicative (Lee-Seung)
    updates stay 0.5-1.6 dB off in the mel domain after 500 steps, FISTA 0.005-0.07.

    Args:
        mel_power: [..., n_mels, frames] float32 mel spectrum (power, like
            `features.mel_spectrogram(power=2)`).
        power: the exponent the mel spectrum was made with; the result is
            x ** (1 / power), a magnitude.
        iterations: projected-gradient steps; 0 gives the clipped pseudo-inverse.

    Returns:
        [..., n_fft // 2 + 1, frames] float32 magnitude.
    """
    mel_power = tf.convert_to_tensor(mel_power, tf.float32)
    n_mels, frames = mel_power.shape[-2], mel_power.shape[-1]
    filters = features.mel_filterbank(sample_rate, n_fft, n_mels)
    m = tf.constant(filters)  # [mels, bins]
    # Step 1 / L, L the largest eigenvalue of M^T M (the gradient's Lipschitz constant).
    step = 1.0 / float(np.linalg.norm(filters.astype(np.float64), 2) ** 2)
    # Every frame is its own problem: solve them as the columns of one [mels, N] matrix,
    # so each step is one large matmul rather than a batch of small ones.
    batch_shape = tf.shape(mel_power)[:-2]
    columns = tf.reshape(tf.linalg.matrix_transpose(mel_power), [-1, n_mels])
    columns = tf.transpose(columns)  # [mels, N]
    x = tf.nn.relu(tf.linalg.matmul(tf.constant(_pseudo_inverse(filters)), columns))
    if iterations > 0:
        momentum = tf.constant(_fista_momentum(iterations))

        def body(i, x, y):
            # M^T (M y - m) through the [mels, bins] matrix: 4x fewer operations than M^T M.
            residual = tf.linalg.matmul(m, y) - columns
            x_next = tf.nn.relu(y - step * tf.linalg.matmul(m, residual, transpose_a=True))
            return i + 1, x_next, x_next + momentum[i] * (x_next - x)

        _, x, _ = tf.while_loop(lambda i, x, y: i < iterations, body, (0, x, x))
    bins = filters.shape[1]
    x = tf.reshape(tf.transpose(x), tf.concat([batch_shape, [-1, bins]], 0))
    x = tf.linalg.matrix_transpose(x)  # [..., bins, frames]
    if frames is not None:
        x = tf.ensure_shape(x, mel_power.shape[:-2] + [bins, frames])
    if power == 2.0:
        return tf.sqrt(x)
    return tf.pow(x, 1.0 / power)


@functools.lru_cache(maxsize=16)
def _fista_momentum(iterations: int) -> np.ndarray:
    """FISTA's extrapolation weights (t_k - 1) / t_{k+1}, t_1 = 1, [iterations] float32."""
    t, weights = 1.0, []
    for _ in range(iterations):
        t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        weights.append((t - 1.0) / t_next)
        t = t_next
    return np.array(weights, np.float32)


@functools.lru_cache(maxsize=16)
def _window_envelope(frames: int, n_fft: int, hop_length: int) -> np.ndarray:
    """1 / (sum of squared windows) over the padded signal, 1 where that sum is ~0."""
    window = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)) ** 2  # periodic Hann
    envelope = np.zeros(n_fft + hop_length * (frames - 1))
    for t in range(frames):
        envelope[t * hop_length : t * hop_length + n_fft] += window
    tiny = np.finfo(np.float32).tiny
    return np.where(envelope > tiny, 1.0 / np.maximum(envelope, tiny), 1.0).astype(np.float32)


def _istft(spectrum: tf.Tensor, n_fft: int, hop_length: int, length: int) -> tf.Tensor:
    """Inverse of `_stft`, as `librosa.istft(center=True, length=length)`.

    [..., frames, bins] complex64 -> [..., length] float32.
    """
    frames = spectrum.shape[-2]
    # inverse_stft with the analysis window overlap-adds the windowed frames; dividing by
    # the exact sum of squared windows (not inverse_stft_window_fn's steady-state value)
    # keeps the edge frames right.
    signal = tf.signal.inverse_stft(
        spectrum,
        frame_length=n_fft,
        frame_step=hop_length,
        fft_length=n_fft,
        window_fn=features.HANN,
    )
    signal = signal * tf.constant(_window_envelope(frames, n_fft, hop_length))
    pad = n_fft // 2
    available = n_fft + hop_length * (frames - 1) - pad
    signal = signal[..., pad : pad + min(length, available)]
    if length > available:
        paddings = [[0, 0]] * (signal.shape.rank - 1) + [[0, length - available]]
        signal = tf.pad(signal, paddings)
    return signal


def griffin_lim(
    magnitude: tf.Tensor,
    n_iter: int = N_ITER,
    n_fft: int = features.N_FFT,
    hop_length: int = features.HOP_LENGTH,
    length: int | None = None,
    momentum: float = MOMENTUM,
    init: str | None = "random",
    seed: int = 0,
) -> tf.Tensor:
    """Fast Griffin-Lim phase reconstruction, as `librosa.griffinlim`.

    Each iteration: inverse STFT with the current phases, STFT again, and take the
    new phases from the rebuilt spectrum extrapolated by `momentum` (Perraudin et al.
    2013; momentum 0 is the original Griffin-Lim).

    Args:
        magnitude: [..., n_fft // 2 + 1, frames] float32 STFT magnitude.
        n_iter: iterations.
        length: output samples, such that a centred STFT of them has `frames` frames;
            None: (frames - 1) * hop_length, as librosa.
        init: 'random' (uniform phases drawn from `seed`, deterministic) or None
            (zero phase), as librosa's `init`.

    Returns:
        [..., length] float32 waveform.

    Raises:
        ValueError: `length` does not give `frames` frames, or `init` is unknown.
    """
    magnitude = tf.convert_to_tensor(magnitude, tf.float32)
    frames = magnitude.shape[-1]
    if frames is None:
        raise ValueError("griffin_lim needs a static number of frames")
    if length is None:
        length = (frames - 1) * hop_length
    if features.num_frames(length, hop_length) != frames:
        raise ValueError(
            f"length {length} gives {features.num_frames(length, hop_length)} frames at hop "
            f"{hop_length}, the magnitude has {frames}; use a length in "
            f"[{(frames - 1) * hop_length}, {frames * hop_length - 1}]"
        )
    target = tf.cast(tf.linalg.matrix_transpose(magnitude), tf.complex64)  # [..., frames, bins]
    if init == "random":
        phase = tf.random.stateless_uniform(
            tf.shape(target), [seed, 0], 0.0, 2.0 * math.pi, dtype=tf.float32
        )
        angles = tf.exp(tf.complex(tf.zeros_like(phase), phase))
    elif init is None:
        angles = tf.ones_like(target)
    else:
        raise ValueError(f"init must be 'random' or None, got {init!r}")

    eps = 1e-16  # librosa's default
    extrapolation = tf.constant(momentum / (1.0 + momentum), tf.complex64)

    def body(i, spectrum, previous):
        rebuilt = features.centred_stft(
            _istft(spectrum, n_fft, hop_length, length), n_fft, hop_length
        )
        # previous is 0 on the first pass: librosa extrapolates from the second on.
        estimate = rebuilt - extrapolation * previous
        phase = estimate / tf.cast(tf.abs(estimate) + eps, tf.complex64)
        return i + 1, phase * target, rebuilt

    spectrum = angles * target
    if n_iter > 0:
        _, spectrum, _ = tf.while_loop(
            lambda i, s, p: i < n_iter, body, (0, spectrum, tf.zeros_like(spectrum))
        )
    return _istft(spectrum, n_fft, hop_length, length)


def log_mel_to_audio(
    log_mel_db: tf.Tensor,
    n_iter: int = N_ITER,
    sample_rate: int = features.SAMPLE_RATE,
    n_fft: int = features.N_FFT,
    hop_length: int = features.HOP_LENGTH,
    length: int | None = None,
    seed: int = 0,
    nnls_iterations: int = NNLS_ITERATIONS,
) -> tf.Tensor:
    """Log-mel spectrogram (dB) -> waveform, the inverse of `features.log_mel_spectrogram`.

    Args:
        log_mel_db: [..., n_mels, frames] float32 in dB (128 x 44 for 0.5 s).
        n_iter: Griffin-Lim iterations.
        length: output samples; None: `default_length(frames)` (22050 for 44 frames).
        seed: Griffin-Lim's initial phases.
        nnls_iterations: `mel_to_linear`'s projected-gradient steps.

    Returns:
        [..., length] float32 waveform.
    """
    log_mel_db = tf.convert_to_tensor(log_mel_db, tf.float32)
    frames = log_mel_db.shape[-1]
    if frames is None:
        raise ValueError("log_mel_to_audio needs a static number of frames")
    if length is None:
        length = default_length(frames, hop_length, sample_rate)
    mel_power = tf.pow(10.0, log_mel_db / 10.0)
    magnitude = mel_to_linear(mel_power, sample_rate, n_fft, iterations=nnls_iterations)
    return griffin_lim(magnitude, n_iter, n_fft, hop_length, length, seed=seed)
