"""Pose fidelity of pose-oriented S2I: does the generated picture show the right pose?

The synthetic ensemble records the pose behind every picture (the stopping hand
along the neck, the bow's contact point, the string, playing or resting, the
fingering), so pose-oriented generation can be measured, not only looked at
(docs/design.md §6). A small CNN, `PoseRegressor`, learns picture -> pose on real
pictures; it then reads the pose off pictures generated from held-out sounds, and
each pose parameter's Pearson correlation with the ground-truth pose of the
conditioning sound is that parameter's fidelity. The same correlations on real
held-out pictures (`regressor_accuracy`) are the ceiling a generator can reach under
this regressor.

The pose vector (`POSE_VECTOR`, 11 values in [0, 1]): hand, bow, string / 3,
playing, and the fingering mask's bits 0..6 (brass valves 1-3 in bits 0-2; woodwind
tone holes in bits 0-5 and the octave key in bit 6).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from avgan.data.layout import Pair
from avgan.data.pipeline import load_picture
from avgan.models.layers import PixelScaling

FINGERING_BITS = 7
POSE_VECTOR = ("hand", "bow", "string", "playing") + tuple(
    f"fingering{i}" for i in range(FINGERING_BITS)
)
_STRINGS = 3.0  # string index 0..3 -> [0, 1]


def pose_vector(pose: dict) -> list[float]:
    """A recorded pose (metadata.csv's columns, or `Pose.as_dict()`) as 11 values in
    POSE_VECTOR order."""
    fingering = int(round(pose["fingering"]))
    bits = [float((fingering >> i) & 1) for i in range(FINGERING_BITS)]
    return [
        pose["hand"],
        pose["bow"],
        pose["string"] / _STRINGS,
        float(pose["playing"] != 0),
    ] + bits


def pose_targets(pairs: Sequence[Pair]) -> np.ndarray:
    """The pose vectors of pairs, [N, 11] float32 in POSE_VECTOR order.

    Raises:
        ValueError: naming the first pair without pose metadata.
    """
    rows = []
    for pair in pairs:
        if pair.pose is None:
            raise ValueError(f"{pair.image}: pair {pair.stem!r} has no pose metadata")
        rows.append(pose_vector(pair.pose))
    return np.asarray(rows, np.float32).reshape(len(rows), len(POSE_VECTOR))


def drawn_pictures(
    instrument_name: str, count: int, seed: int = 0, rest_fraction: float = 0.125
) -> tuple[np.ndarray, np.ndarray]:
    """Fresh pictures of `instrument_name` with their poses, from the synthetic
    ensemble's renderer, to train a pose regressor on many more pictures than a data
    set holds (a `small` build has ~115 training pictures per instrument, too few for
    a regressor to read poses: on real held-out pictures it reached a mean r of 0.16).

    Every picture has its own random player, room, camera shake and pose: a rest with
    probability `rest_fraction`, else a pitch drawn uniformly from the instrument's
    range at a random point of a note (so the bow position and direction vary too).
    The players and rooms are drawn fresh, not from the data set's pools, so the
    regressor never sees a data set's picture.

    Returns:
        (pictures [count, 64, 64, 3] uint8, poses [count, 11] float32 in POSE_VECTOR
        order).

    Raises:
        ValueError: an unknown instrument name.
    """
    from avgan.data.synthetic import draw, instruments

    inst = instruments.instrument(instrument_name)
    rng = np.random.default_rng([seed, 7919])
    pictures = np.empty([count, 64, 64, 3], np.uint8)
    poses = np.empty([count, len(POSE_VECTOR)], np.float32)
    for k in range(count):
        player, room = draw.random_player(rng, inst.name), draw.random_room(rng)
        pitch = None if rng.random() < rest_fraction else int(rng.integers(inst.low, inst.high + 1))
        pose = instruments.pose_for(inst, pitch, float(rng.random()), int(rng.integers(2)))
        jitter = tuple(float(v) for v in rng.uniform(-1.5, 1.5, size=2))
        pictures[k] = draw.draw_frame(inst.name, player, room, pose, jitter)
        poses[k] = pose_vector(pose.as_dict())
    return pictures, poses


def load_pictures(pairs: Sequence[Pair]) -> np.ndarray:
    """The pairs' pictures, [N, 64, 64, 3] uint8, loaded as the training pipeline does."""
    paths = tf.data.Dataset.from_tensor_slices([p.image for p in pairs])
    images = paths.map(load_picture, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return np.concatenate([batch.numpy() for batch in images.batch(256)])


@keras.saving.register_keras_serializable(package="avgan")
class PoseRegressor(keras.Model):
    """Picture -> pose vector.

    Input: [batch, 64, 64, 3] uint8, or float32 in [-1, 1] (a generator's output).
    Output: [batch, 11] float32 in (0, 1), POSE_VECTOR order (sigmoid: every target,
        continuous or a bit, lies in [0, 1]).

    Four stride-2 4x4 convolutions (64 -> 4) and two dense layers. The last map is
    flattened, not pooled: where a hand or a bow is in the picture is the pose.

    Args:
        scale: filter-count multiplier (1.0: 32-64-128-128 filters).
        hidden: units of the dense layer.
    """

    def __init__(self, scale: float = 1.0, hidden: int = 128, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.hidden = scale, hidden
        self.pixels = PixelScaling()
        self.convs = []
        for i, base in enumerate((32, 64, 128, 128)):
            self.convs += [
                keras.layers.Conv2D(
                    max(4, int(round(base * scale))),
                    4,
                    strides=2,
                    padding="same",
                    name=f"conv{i + 1}",
                ),
                keras.layers.LeakyReLU(0.2),
            ]
        self.flatten = keras.layers.Flatten()
        self.fc = keras.layers.Dense(hidden, activation="relu", name="fc")
        self.pose = keras.layers.Dense(len(POSE_VECTOR), activation="sigmoid", name="pose")

    def call(self, image, training: bool = False):
        x = self.pixels(image)
        for layer in self.convs:
            x = layer(x)
        return self.pose(self.fc(self.flatten(x)))

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "hidden": self.hidden}


def train_pose_regressor(
    pairs: Sequence[Pair],
    epochs: int = 10,
    batch_size: int = 32,
    seed: int = 0,
    *,
    scale: float = 1.0,
    learning_rate: float = 1e-3,
    images: np.ndarray | None = None,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
    verbose: int = 0,
) -> PoseRegressor:
    """Trains a PoseRegressor on real pictures and their recorded poses.

    Binary cross-entropy on every output (minimised at the target for continuous
    targets in [0, 1] too), Adam.

    Args:
        pairs: training pairs with pose metadata (e.g. one instrument's train split).
        seed: weights and shuffling.
        images: the pairs' pictures [N, 64, 64, 3] uint8 if already loaded; else they
            are read from `pair.image`.
        extra: more (pictures [M, 64, 64, 3] uint8, poses [M, 11]) to train on, e.g.
            from `drawn_pictures`.

    Returns:
        The trained regressor.
    """
    targets = pose_targets(pairs)
    if images is None:
        images = load_pictures(pairs)
    if extra is not None:
        images = np.concatenate([images, extra[0]])
        targets = np.concatenate([targets, np.asarray(extra[1], np.float32)])
    if len(images) != len(targets):
        raise ValueError(f"{len(images)} images for {len(targets)} pairs")
    keras.utils.set_random_seed(seed)
    model = PoseRegressor(scale=scale)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss=keras.losses.BinaryCrossentropy()
    )
    dataset = (
        tf.data.Dataset.from_tensor_slices((images, targets))
        .shuffle(len(targets), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    model.fit(dataset, epochs=epochs, verbose=verbose, shuffle=False)  # shuffled above
    return model


def predict_poses(regressor: Callable, images, batch_size: int = 64) -> np.ndarray:
    """Runs `regressor` (a Keras model in inference mode, or any callable) in batches.

    Returns:
        [N, 11] float64 pose vectors.
    """
    images = np.asarray(images)
    outputs = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        if isinstance(regressor, keras.Model):
            outputs.append(np.asarray(regressor(batch, training=False)))
        else:
            outputs.append(np.asarray(regressor(batch)))
    return np.concatenate(outputs).astype(np.float64)


def pose_correlations(
    predicted: np.ndarray, true_poses: np.ndarray, names: Sequence[str] = POSE_VECTOR
) -> dict:
    """Per-parameter Pearson correlation of predicted and true pose vectors [N, P]
    (P = len(names), by default the 11 of POSE_VECTOR).

    A parameter whose truth or prediction is constant has no correlation (it would
    be NaN); it is left out and listed in 'skipped' with the reason.

    Returns:
        {'correlation': {name: r}, 'skipped': {name: reason}, 'mean': mean r over the
        parameters kept}. Every value is finite.

    Raises:
        ValueError: shapes that differ, fewer than 2 rows, or every parameter skipped.
    """
    predicted = np.asarray(predicted, np.float64)
    true_poses = np.asarray(true_poses, np.float64)
    if predicted.shape != true_poses.shape or predicted.shape[1:] != (len(names),):
        raise ValueError(
            f"predicted {predicted.shape} and true {true_poses.shape} must both be "
            f"[N, {len(names)}]"
        )
    if len(predicted) < 2:
        raise ValueError("need at least 2 pictures for a correlation")
    correlation, skipped = {}, {}
    for k, name in enumerate(names):
        x, y = predicted[:, k] - predicted[:, k].mean(), true_poses[:, k] - true_poses[:, k].mean()
        if not np.any(y):
            skipped[name] = "constant truth"
        elif np.sqrt(np.mean(x**2)) < 1e-9:
            skipped[name] = "constant prediction"
        else:
            r = float(np.sum(x * y) / np.sqrt(np.sum(x**2) * np.sum(y**2)))
            correlation[name] = min(1.0, max(-1.0, r))
    if not correlation:
        raise ValueError(f"no pose parameter varies: {skipped}")
    return {
        "correlation": correlation,
        "skipped": skipped,
        "mean": float(np.mean(list(correlation.values()))),
    }


def pose_fidelity(regressor: Callable, generated_images, true_poses: np.ndarray) -> dict:
    """Pose fidelity of generated pictures: regressed pose vs the conditioning sound's.

    Args:
        regressor: a trained PoseRegressor (or any callable images -> [N, 11]).
        generated_images: [N, 64, 64, 3] pictures generated from N sounds, uint8 or
            float in [-1, 1].
        true_poses: [N, 11] ground-truth pose vectors of those sounds (`pose_targets`).

    Returns:
        `pose_correlations`' dict: per-parameter Pearson r, skipped parameters, mean r.
    """
    return pose_correlations(predict_poses(regressor, generated_images), true_poses)


def regressor_accuracy(regressor: Callable, real_images, true_poses: np.ndarray) -> dict:
    """The same correlations on real held-out pictures: the ceiling for `pose_fidelity`."""
    return pose_correlations(predict_poses(regressor, real_images), true_poses)
