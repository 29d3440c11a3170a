"""Fréchet distance between Gaussians fitted to two sets of embeddings (FID-style).

    d^2 = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))

(Dowson and Landau 1982; Heusel et al. 2017 with Inception features). avgan measures
it in each classifier's 128-d encoding space (`SoundClassifier.encode`,
`ImageClassifier.encode`), between real and generated samples (docs/design.md §6).

As tensorflow/gan's `frechet_classifier_distance_from_activations`: float64
throughout, covariances with N - 1, and the trace of the matrix square root taken
through a symmetric eigendecomposition, Tr((S_a S_b)^(1/2)) = Tr((A S_b A)^(1/2)) with
A = S_a^(1/2); A S_b A is symmetric positive semi-definite, so its square root is
real and its tiny negative eigenvalues (rounding) are clipped at 0. tests/evaluation
check it against `scipy.linalg.sqrtm(S_a @ S_b)`.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def _symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric PSD matrix, [D, D] float64; negative eigenvalues -> 0."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def trace_sqrt_product(sigma_a: np.ndarray, sigma_b: np.ndarray) -> float:
    """Tr((S_a S_b)^(1/2)) of two covariance matrices [D, D], in float64."""
    sqrt_a = _symmetric_sqrt(np.asarray(sigma_a, np.float64))
    product = sqrt_a @ np.asarray(sigma_b, np.float64) @ sqrt_a
    product = (product + product.T) / 2.0  # symmetric up to rounding; make it exactly so
    return float(np.sqrt(np.clip(np.linalg.eigvalsh(product), 0.0, None)).sum())


def gaussian_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean [D] and covariance [D, D] (normalised by N - 1) of features [N, D], float64.

    Raises:
        ValueError: features not 2-d, or fewer than 2 rows.
    """
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"features must be [N >= 2, D], got shape {features.shape}")
    d = features.shape[1]
    return features.mean(axis=0), np.cov(features, rowvar=False, ddof=1).reshape(d, d)


def frechet_distance_from_stats(
    mu_a: np.ndarray, sigma_a: np.ndarray, mu_b: np.ndarray, sigma_b: np.ndarray
) -> float:
    """Fréchet distance between N(mu_a, sigma_a) and N(mu_b, sigma_b).

    Args:
        mu_a, mu_b: [D] means.
        sigma_a, sigma_b: [D, D] covariances.

    Returns:
        The squared distance ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) as a
        float (>= 0 up to rounding), the quantity FID reports.

    Raises:
        ValueError: shapes that do not agree.
    """
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    sigma_a, sigma_b = np.asarray(sigma_a, np.float64), np.asarray(sigma_b, np.float64)
    d = mu_a.shape[0]
    if {mu_a.shape, mu_b.shape} != {(d,)} or {sigma_a.shape, sigma_b.shape} != {(d, d)}:
        raise ValueError(
            f"shapes do not agree: mu {mu_a.shape} {mu_b.shape}, "
            f"sigma {sigma_a.shape} {sigma_b.shape}"
        )
    mean_term = float(np.sum((mu_a - mu_b) ** 2))
    trace_term = float(np.trace(sigma_a) + np.trace(sigma_b))
    return mean_term + trace_term - 2.0 * trace_sqrt_product(sigma_a, sigma_b)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of embeddings.

    Args:
        features_a: [N_a, D] embeddings (e.g. of real pictures).
        features_b: [N_b, D] embeddings (e.g. of generated pictures).

    Returns:
        The distance as a float, computed in float64.
    """
    features_a, features_b = np.asarray(features_a), np.asarray(features_b)
    if features_a.ndim != 2 or features_b.ndim != 2 or features_a.shape[1] != features_b.shape[1]:
        raise ValueError(
            f"features must be [N, D] with the same D, got {features_a.shape} and "
            f"{features_b.shape}"
        )
    return frechet_distance_from_stats(
        *gaussian_statistics(features_a), *gaussian_statistics(features_b)
    )


def embed(encoder, inputs, batch_size: int = 64, key: str | None = None) -> np.ndarray:
    """Runs `encoder.encode(x, training=False)` over inputs; the encodings as float64.

    Args:
        encoder: a model with `encode`, e.g. `SoundClassifier` or `ImageClassifier`.
        inputs: an array or tensor [N, ...] (batched here), or a `tf.data.Dataset` of
            batches whose elements are the input, a tuple whose first item is the input
            (`(x, label)`), or a dict holding it under `key`.
        batch_size: batch size for array inputs.
        key: the input's key in dict elements (e.g. 'image').

    Returns:
        [N, encoding_dim] float64 (128-d for the paper's encoders).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if isinstance(inputs, tf.data.Dataset):
        batches = inputs
    else:
        batches = tf.data.Dataset.from_tensor_slices(inputs).batch(batch_size)
    encodings = []
    for batch in batches:
        if isinstance(batch, dict):
            if key is None or key not in batch:
                raise ValueError(f"dict elements need key= one of {sorted(batch)}, got {key!r}")
            batch = batch[key]
        elif isinstance(batch, (tuple, list)):
            batch = batch[0]
        encodings.append(np.asarray(encoder.encode(batch, training=False), np.float64))
    if not encodings:
        raise ValueError("no inputs to embed")
    return np.concatenate(encodings)
