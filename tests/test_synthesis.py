"""Log-mel -> waveform: librosa parity of each step, and the round trip on real-ish sound."""

import librosa
import numpy as np
import pytest
import tensorflow as tf

from avgan import synthesis
from avgan.data import features
from tests.conftest import require_fluidsynth

SR = features.SAMPLE_RATE
CHUNK = SR // 2


def harmonic_note(f0: float = 220.0, seconds: float = 0.5) -> np.ndarray:
    """Six decaying harmonics with 5.5 Hz vibrato and a 20 ms attack, [22050] float32."""
    t = np.arange(int(seconds * SR)) / SR
    frequency = f0 * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))
    phase = 2 * np.pi * np.cumsum(frequency) / SR
    y = sum(0.6**k * np.sin((k + 1) * phase) for k in range(6))
    y = y * np.exp(-3 * t) * np.minimum(1, t / 0.02)
    return (0.3 * y / np.abs(y).max()).astype(np.float32)


@pytest.fixture(scope="module")
def violin_note(tmp_path_factory) -> np.ndarray:
    """The first 0.5 s of middle C on FluidSynth's violin, [22050] float32."""
    require_fluidsynth()
    from avgan.data.audio import load_audio
    from avgan.data.synthetic.render import Note, render_notes

    path = str(tmp_path_factory.mktemp("synthesis") / "violin.wav")
    return load_audio(render_notes([Note(60, 0.0, 0.5)], 40, path)).numpy()[:CHUNK]


def log_mel(waveform: np.ndarray) -> np.ndarray:
    return features.log_mel_spectrogram(np.asarray(waveform)[None]).numpy()[0]


def round_trip_error(reference_db: np.ndarray, waveform: np.ndarray, within: float = 60.0):
    """Mean |dB difference| of the waveform's log-mel over cells within 60 dB of the peak."""
    cells = reference_db >= reference_db.max() - within
    return float(np.abs(log_mel(waveform) - reference_db)[cells].mean())


def test_lengths_line_up_and_graph_matches_eager():
    log_mel_db = tf.random.stateless_uniform([2, 128, 44], [1, 2], -80.0, 0.0)
    graph = tf.function(
        lambda x: synthesis.log_mel_to_audio(x, n_iter=2, nnls_iterations=5),
        input_signature=[tf.TensorSpec([None, 128, 44], tf.float32)],  # as a serving signature
    )
    waveform = graph(log_mel_db)
    assert waveform.shape == (2, CHUNK) and waveform.dtype == tf.float32
    eager = synthesis.log_mel_to_audio(log_mel_db, n_iter=2, nnls_iterations=5)
    np.testing.assert_allclose(waveform.numpy(), eager.numpy(), atol=1e-6)
    assert features.log_mel_spectrogram(waveform).shape == (2, 128, 44)
    assert synthesis.default_length(44) == 22050
    assert synthesis.default_length(34) == 33 * 512  # not a 0.5 s chunk: librosa's length
    with pytest.raises(ValueError, match="gives 45 frames"):
        synthesis.griffin_lim(tf.ones([1025, 44]), 1, length=22528)


def test_griffin_lim_matches_librosa():
    # Zero-phase start (init=None) makes both deterministic; float32 rounding is all
    # that separates them, amplified a little by each iteration.
    magnitude = np.abs(librosa.stft(harmonic_note(), pad_mode="constant")).astype(np.float32)
    for n_iter, tolerance in ((0, 1e-6), (32, 2e-3)):
        ours = synthesis.griffin_lim(magnitude, n_iter, length=CHUNK, init=None).numpy()
        reference = librosa.griffinlim(
            magnitude, n_iter=n_iter, hop_length=512, length=CHUNK, init=None
        )
        np.testing.assert_allclose(ours, reference, atol=tolerance * np.abs(reference).max())


def test_istft_edges_are_exact():
    # The exact window normalisation reconstructs the first and last 1024 samples too.
    y = harmonic_note()
    spectrum = librosa.stft(y, pad_mode="constant").T.astype(np.complex64)
    np.testing.assert_allclose(synthesis._istft(spectrum, 2048, 512, CHUNK), y, atol=1e-6)


def test_mel_to_linear_solves_nnls():
    mel_power = librosa.db_to_power(log_mel(harmonic_note()))
    filters = features.mel_filterbank()

    def relative_residual(magnitude, target=mel_power):
        residual = filters @ magnitude.astype(np.float64) ** 2 - target
        return np.linalg.norm(residual, axis=0) / np.linalg.norm(target, axis=0)

    clipped = synthesis.mel_to_linear(mel_power, iterations=0).numpy()
    pinv = np.maximum(np.linalg.pinv(filters.astype(np.float64)) @ mel_power, 0)
    np.testing.assert_allclose(clipped**2, pinv, rtol=1e-4, atol=1e-6 * pinv.max())
    solved = synthesis.mel_to_linear(mel_power).numpy()
    assert solved.shape == (1025, 44) and solved.min() >= 0
    # Measured: clipped pseudo-inverse 0.3-5.4% of each frame (median 3.8%); 200 FISTA
    # steps < 0.02%.
    assert np.median(relative_residual(clipped)) > 0.03
    assert relative_residual(solved).max() < 1e-3
    # Leading batch axes are independent problems.
    batch = np.stack([mel_power, 2 * mel_power])[None]
    batched = synthesis.mel_to_linear(batch).numpy()
    np.testing.assert_allclose(batched[0, 0], solved, rtol=1e-4, atol=1e-6 * solved.max())
    assert relative_residual(batched[0, 1], 2 * mel_power).max() < 1e-3


def _check_round_trip(y: np.ndarray, bound: float) -> tuple[float, float]:
    reference_db = log_mel(y)
    ours = synthesis.log_mel_to_audio(reference_db).numpy()
    assert ours.shape == (CHUNK,)
    theirs = librosa.feature.inverse.mel_to_audio(
        librosa.db_to_power(reference_db), sr=SR, n_fft=2048, hop_length=512, n_iter=32
    )
    ours_error = round_trip_error(reference_db, ours)
    librosa_error = round_trip_error(reference_db, theirs)
    assert ours_error < bound
    assert ours_error < librosa_error + 0.25  # librosa's start is random: a small margin
    return ours_error, librosa_error


def test_round_trip_harmonic_note():
    # Measured: ours 1.49 dB; librosa's mel_to_audio 2.4-2.6 dB (random phases).
    _check_round_trip(harmonic_note(), bound=2.0)


def test_round_trip_fluidsynth_violin(violin_note):
    # Measured: ours 1.45 dB; librosa 5.65 dB (its NNLS stops at the clipped
    # pseudo-inverse; see mel_to_linear).
    ours, theirs = _check_round_trip(violin_note, bound=2.0)
    assert theirs - ours > 2.0
