"""Fréchet distance: float64 against scipy's sqrtm, known answers, and the embedding helper."""

import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf

from avgan.evaluation import frechet
from avgan.models.encoders import ImageClassifier


class Identity:
    """An 'encoder' whose encoding is its input: the distance is then on the raw data."""

    def encode(self, x, training=False):
        assert training is False
        return tf.identity(x)


def correlated_gaussian(rng, n, d, shift=0.0):
    mixing = rng.normal(size=(d, d)) / np.sqrt(d)
    return rng.normal(size=(n, d)) @ mixing + rng.normal(size=d) + shift


def scipy_frechet(a, b):
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(s_a @ s_b).real
    return np.sum((mu_a - mu_b) ** 2) + np.trace(s_a + s_b - 2 * root)


def test_identity_embedding_matches_scipy_sqrtm():
    rng = np.random.default_rng(0)
    a, b = correlated_gaussian(rng, 400, 16), correlated_gaussian(rng, 300, 16)
    # Through embed() with an identity encoder, as tensorflow/gan's test does, and with the
    # inputs in float32 batches of a dataset of (x, label) tuples: the result is float64.
    dataset = tf.data.Dataset.from_tensor_slices((a.astype(np.float32), np.zeros(400))).batch(64)
    embedded_a = frechet.embed(Identity(), dataset)
    embedded_b = frechet.embed(Identity(), b, batch_size=7)
    assert embedded_a.dtype == np.float64 and embedded_a.shape == (400, 16)
    np.testing.assert_array_equal(embedded_b, b)
    expected = scipy_frechet(a.astype(np.float32).astype(np.float64), b)
    assert frechet.frechet_distance(embedded_a, embedded_b) == pytest.approx(expected, rel=1e-6)


def test_known_answers():
    rng = np.random.default_rng(1)
    a = correlated_gaussian(rng, 200, 8)
    assert abs(frechet.frechet_distance(a, a)) < 1e-9  # equal sets
    v = rng.normal(size=8)
    # Shifting every point by v moves the mean by v and leaves the covariance.
    b = correlated_gaussian(rng, 250, 8)
    shifted = frechet.frechet_distance(a, b + v) - frechet.frechet_distance(a, b)
    base_shift = frechet.frechet_distance(a, a + v)
    assert base_shift == pytest.approx(np.sum(v**2), rel=1e-9)
    assert frechet.frechet_distance(a, b) == pytest.approx(frechet.frechet_distance(b, a), 1e-9)
    # Across a and b the shift adds ||v||^2 + 2 v.(mu_b - mu_a).
    cross = np.sum(v**2) + 2 * v @ (b.mean(0) - a.mean(0))
    assert shifted == pytest.approx(cross, rel=1e-9)


def test_from_stats_golden_values():
    # 1-d: (m_a - m_b)^2 + (s_a - s_b)^2 for standard deviations s.
    d = frechet.frechet_distance_from_stats(np.array([1.0]), [[4.0]], np.array([3.0]), [[9.0]])
    assert d == pytest.approx(4.0 + 1.0, abs=1e-12)
    # Diagonal covariances: the sum over axes of the 1-d distances.
    value = frechet.frechet_distance_from_stats(
        np.zeros(2), np.diag([1.0, 4.0]), np.ones(2), np.diag([9.0, 16.0])
    )
    assert value == pytest.approx(2.0 + (1 - 3) ** 2 + (2 - 4) ** 2, abs=1e-12)
    with pytest.raises(ValueError, match="shapes do not agree"):
        frechet.frechet_distance_from_stats(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match=r"\[N >= 2, D\]"):
        frechet.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))


def test_embed_runs_the_encoders_inference_path():
    model = ImageClassifier(3, scale=0.125)
    images = np.random.default_rng(2).integers(0, 256, (5, 64, 64, 3), dtype=np.uint8)
    encodings = frechet.embed(model, images, batch_size=2)
    assert encodings.shape == (5, 128) and encodings.dtype == np.float64
    whole = model.encode(images, training=False).numpy()
    np.testing.assert_allclose(encodings, whole, rtol=1e-5, atol=1e-6)
    dataset = tf.data.Dataset.from_tensor_slices({"image": images}).batch(4)
    np.testing.assert_allclose(frechet.embed(model, dataset, key="image"), encodings, atol=1e-6)
    with pytest.raises(ValueError, match="key="):
        frechet.embed(model, dataset)
