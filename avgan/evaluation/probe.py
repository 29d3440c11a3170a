"""Linear probe: how much of the pose a conditioning embedding carries (issue #24).

A generator conditioned on a sound's embedding can draw only what the embedding tells
it. A ridge regression from the embedding to each pose parameter, fitted on training
recordings and scored on held-out ones (Pearson r, as pose fidelity is), measures what
the embedding carries in a form a network reads easily: it is the ceiling to quote next
to a pose model's fidelity, and the way to choose the encoder a pose model conditions on.

The regularisation strength of each parameter is chosen by cross-validation over
training *recordings* (grouped folds): neighbouring 0.5 s chunks of one recording are
near copies, and folds that split them would pick too weak a penalty.

scikit-learn (a dependency of librosa) does the fitting: `Ridge` on standardised
embeddings, `GridSearchCV` over `ALPHAS` with `GroupKFold`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from avgan.evaluation.pose import POSE_VECTOR, pose_correlations

# Ridge penalties tried for each parameter, on standardised embeddings.
ALPHAS = tuple(float(10.0**k) for k in range(-2, 6))
MAX_FOLDS = 5


@dataclasses.dataclass(frozen=True)
class LinearProbe:
    """Per-parameter ridge regressions, embedding [N, D] -> targets [N, P].

    Attributes:
        models: one fitted scikit-learn pipeline (scaler + ridge) per target, or None
            for a target that is constant in training (its prediction is that value).
        constants: each target's training mean (the prediction of a constant target).
        alphas: the penalty chosen for each target (nan for a constant one).
    """

    models: tuple
    constants: np.ndarray
    alphas: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        """[N, D] embeddings -> [N, P] predicted targets."""
        x = np.asarray(x, np.float64)
        columns = [
            np.full(len(x), c) if model is None else model.predict(x)
            for model, c in zip(self.models, self.constants, strict=True)
        ]
        return np.stack(columns, axis=1)


def fit_probe(
    x: np.ndarray, y: np.ndarray, groups: Sequence, alphas: Sequence[float] = ALPHAS
) -> LinearProbe:
    """Fits one ridge regression per column of `y`, its penalty chosen by grouped
    cross-validation (mean squared error; folds never split a group).

    Args:
        x: [N, D] embeddings of the training chunks.
        y: [N, P] targets (pose vectors).
        groups: [N] the recording of each chunk.
        alphas: penalties to choose from.

    Raises:
        ValueError: shapes that disagree, or fewer than 2 recordings.
    """
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    groups = np.asarray(groups)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(groups) != len(x):
        raise ValueError(
            f"need x [N, D], y [N, P] and groups [N] with one N, got {x.shape}, {y.shape} "
            f"and {groups.shape}"
        )
    folds = min(MAX_FOLDS, len(np.unique(groups)))
    if folds < 2:
        raise ValueError("need chunks from at least 2 training recordings to choose a penalty")
    models, chosen = [], []
    for column in y.T:
        if np.ptp(column) == 0:
            models.append(None)
            chosen.append(np.nan)
            continue
        search = GridSearchCV(
            make_pipeline(StandardScaler(), Ridge()),
            {"ridge__alpha": list(alphas)},
            cv=GroupKFold(folds),
            scoring="neg_mean_squared_error",
        )
        search.fit(x, column, groups=groups)
        models.append(search.best_estimator_)
        chosen.append(search.best_params_["ridge__alpha"])
    return LinearProbe(tuple(models), y.mean(axis=0), np.asarray(chosen))


def probe_pose(
    train_x: np.ndarray,
    train_poses: np.ndarray,
    train_recordings: Sequence[str],
    test_x: np.ndarray,
    test_poses: np.ndarray,
    names: Sequence[str] = POSE_VECTOR,
) -> dict:
    """The probe's pose fidelity on held-out chunks: fitted on the training chunks'
    embeddings and poses, scored by Pearson r on the test chunks'.

    Args:
        train_x, test_x: [N, D] embeddings.
        train_poses, test_poses: [N, P] pose vectors (`pose.pose_targets`), P = len(names).
        train_recordings: [N_train] each training chunk's recording (the CV groups).

    Returns:
        `pose.pose_correlations`' dict ({'correlation': {name: r}, 'skipped': {name:
        reason}, 'mean': r}) plus 'alpha': {name: the chosen penalty} for the
        parameters that vary in training.
    """
    probe = fit_probe(train_x, train_poses, train_recordings)
    result = pose_correlations(probe.predict(test_x), test_poses, names)
    result["alpha"] = {
        name: float(a) for name, a in zip(names, probe.alphas, strict=True) if np.isfinite(a)
    }
    return result
