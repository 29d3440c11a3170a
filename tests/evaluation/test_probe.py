"""The linear probe recovers a known linear relation and finds none where there is none."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from avgan.evaluation import probe


def _embeddings(rng, recordings=10, chunks=40, dim=24):
    """Chunks of recordings: [N, dim] embeddings and each chunk's recording."""
    x = rng.normal(size=(recordings * chunks, dim))
    groups = np.repeat([f"cello{i:02d}" for i in range(recordings)], chunks)
    return x, groups


def test_probe_recovers_a_known_linear_relation():
    rng = np.random.default_rng(0)
    x, groups = _embeddings(rng)
    test_x, _ = _embeddings(rng, recordings=4)
    weights = rng.normal(size=(x.shape[1], 3))
    noise = 0.5

    def targets(x):
        y = x @ weights
        return np.stack(
            [
                y[:, 0] + noise * rng.normal(size=len(x)),  # linear + noise
                rng.normal(size=len(x)),  # unrelated to the embedding
                np.full(len(x), 0.25),  # constant
            ],
            axis=1,
        )

    names = ("linear", "unrelated", "constant")
    result = probe.probe_pose(x, targets(x), groups, test_x, targets(test_x), names)

    # The ceiling of a linear read-out with this noise: r = std(signal) / std(total).
    signal = np.linalg.norm(weights[:, 0])
    expected = signal / np.sqrt(signal**2 + noise**2)
    assert result["correlation"]["linear"] == pytest.approx(expected, abs=0.02)
    assert abs(result["correlation"]["unrelated"]) < 0.15
    assert result["skipped"] == {"constant": "constant truth"}
    # The unrelated target gets a penalty of the order of N (weights shrunk towards 0),
    # the linear one a weak one.
    assert result["alpha"]["unrelated"] >= 1000.0
    assert result["alpha"]["linear"] <= 10.0
    assert set(result["alpha"]) == {"linear", "unrelated"}


def test_fitted_weights_match_scikit_learn_ridge_at_the_chosen_penalty():
    rng = np.random.default_rng(1)
    x, groups = _embeddings(rng, dim=8)
    x = x * rng.uniform(0.1, 10, size=8) + 3.0  # unstandardised, as encodings are
    y = (x @ rng.normal(size=(8, 1))) + rng.normal(size=(len(x), 1))
    fitted = probe.fit_probe(x, y, groups)
    alpha = fitted.alphas[0]
    standard = (x - x.mean(0)) / x.std(0)
    reference = Ridge(alpha=alpha).fit(standard, y[:, 0])
    np.testing.assert_allclose(fitted.predict(x)[:, 0], reference.predict(standard), rtol=1e-9)


def test_grouped_folds_keep_a_recording_together():
    """Neighbouring chunks of a recording are near copies: a probe that memorised them
    would choose almost no penalty under ungrouped folds. Here each recording has its own
    random target value shared by all its chunks and embeddings that identify the
    recording: nothing carries over to new recordings, and the grouped search knows it."""
    rng = np.random.default_rng(2)
    recordings, chunks = 12, 30
    ids = rng.normal(size=(recordings, 16))
    x = np.repeat(ids, chunks, axis=0) + 0.01 * rng.normal(size=(recordings * chunks, 16))
    y = np.repeat(rng.normal(size=(recordings, 1)), chunks, axis=0)
    groups = np.repeat(np.arange(recordings), chunks)
    assert probe.fit_probe(x, y, groups).alphas[0] == max(probe.ALPHAS)


def test_bad_shapes_and_one_recording_are_refused():
    x = np.zeros((10, 4))
    with pytest.raises(ValueError, match=r"x \[N, D\], y \[N, P\]"):
        probe.fit_probe(x, np.zeros((9, 2)), np.zeros(10))
    with pytest.raises(ValueError, match="at least 2 training recordings"):
        probe.fit_probe(x, np.ones((10, 1)), np.zeros(10))
