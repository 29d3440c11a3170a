"""Pose fidelity: target layout, correlations with known answers, a regressor that learns."""

import numpy as np
import pytest
from PIL import Image

from avgan.data.layout import Pair
from avgan.evaluation import pose


def make_pair(stem: str, image: str = "", **values) -> Pair:
    fields = {"playing": 1, "hand": 0.0, "string": 0, "bow": 0.0, "fingering": 0}
    fields.update(values)
    return Pair(
        stem, "train", "violin", stem, 0, image, "", 60, {k: float(v) for k, v in fields.items()}
    )


def test_pose_targets_layout():
    pairs = [
        make_pair("a_0", hand=0.25, bow=0.75, string=3, playing=1, fingering=0b1000101),
        make_pair("a_1", hand=0.0, bow=0.0, string=0, playing=0, fingering=0),
        make_pair("a_2", hand=1.0, bow=0.5, string=1.0, playing=1, fingering=6),
    ]
    expected = [
        [0.25, 0.75, 1.0, 1, 1, 0, 1, 0, 0, 0, 1],
        [0.0, 0.0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0],
        [1.0, 0.5, 1 / 3, 1, 0, 1, 1, 0, 0, 0, 0],
    ]
    targets = pose.pose_targets(pairs)
    assert targets.dtype == np.float32
    np.testing.assert_allclose(targets, expected, rtol=1e-6)
    assert pose.POSE_VECTOR[:4] == ("hand", "bow", "string", "playing")
    assert len(pose.POSE_VECTOR) == 11
    with pytest.raises(ValueError, match="'b_0' has no pose"):
        pose.pose_targets([Pair("b_0", "train", "violin", "b", 0, "b.png", "b.wav")])


def random_poses(rng, n):
    poses = np.zeros((n, 11))
    poses[:, 0], poses[:, 1] = rng.random(n), rng.random(n)
    poses[:, 2] = rng.integers(0, 4, n) / 3
    poses[:, 3] = rng.random(n) < 0.8
    poses[:, 4:7] = rng.random((n, 3)) < 0.5  # valves; bits 3-6 stay 0: skipped
    return poses


def test_pose_fidelity_known_answers():
    rng = np.random.default_rng(0)
    poses = random_poses(rng, 400)
    # "Generated" pictures that encode their pose exactly, read by a perfect regressor.
    images = np.repeat(poses[:, None, None, :], 2, axis=1).astype(np.float32)

    def perfect(batch):
        return batch[:, 0, 0, :]

    result = pose.pose_fidelity(perfect, images, poses)
    kept = ("hand", "bow", "string", "playing", "fingering0", "fingering1", "fingering2")
    assert tuple(result["correlation"]) == kept
    assert all(r == pytest.approx(1.0, abs=1e-12) for r in result["correlation"].values())
    assert result["skipped"] == {f"fingering{i}": "constant truth" for i in range(3, 7)}
    assert result["mean"] == pytest.approx(1.0)
    # Poses of other sounds: no relation. |r| ~ 1/sqrt(400) = 0.05.
    shuffled = pose.pose_fidelity(perfect, images, poses[rng.permutation(400)])
    assert all(abs(r) < 0.2 for r in shuffled["correlation"].values())
    # An affine, noisy reading: r = 1 / sqrt(1 + (sigma / std)^2) for hand (std 1/sqrt(12)).

    def noisy(batch):
        out = batch[:, 0, 0, :].copy()
        out[:, 0] = 0.5 * out[:, 0] + 0.2 + rng.normal(0, 0.5 / np.sqrt(12), len(out))
        out[:, 1] = 0.3  # constant prediction
        return out

    result = pose.regressor_accuracy(noisy, images, poses)
    assert result["correlation"]["hand"] == pytest.approx(1 / np.sqrt(2), abs=0.06)
    assert result["skipped"]["bow"] == "constant prediction"
    assert all(np.isfinite(list(result["correlation"].values())))


def bar_picture(hand: float, bow: float, rng) -> np.ndarray:
    """A vertical bar at x = hand and a horizontal one at y = bow, on a noisy background."""
    image = rng.integers(0, 60, (64, 64, 3)).astype(np.uint8)
    x, y = 6 + int(round(hand * 50)), 6 + int(round(bow * 50))
    image[:, x - 2 : x + 2] = (230, 200, 40)
    image[y - 2 : y + 2, :] = (40, 200, 230)
    return image


def test_regressor_learns_a_drawn_pose(tmp_path):
    rng = np.random.default_rng(0)
    pairs = []
    for i in range(224):
        hand, bow = rng.random(), rng.random()
        path = str(tmp_path / f"v_{i}.png")
        Image.fromarray(bar_picture(hand, bow, rng)).save(path)
        pairs.append(make_pair(f"v_{i}", path, hand=round(hand, 4), bow=round(bow, 4)))
    train, held_out = pairs[:160], pairs[160:]
    # Measured: r = 0.96-0.97 for hand and bow after 4 epochs (seeds 0 and 1).
    model = pose.train_pose_regressor(train, epochs=4, batch_size=16, seed=0, scale=0.25)
    images = pose.load_pictures(held_out)
    assert images.shape == (64, 64, 64, 3) and images.dtype == np.uint8
    result = pose.regressor_accuracy(model, images, pose.pose_targets(held_out))
    assert set(result["correlation"]) == {"hand", "bow"}
    assert result["correlation"]["hand"] > 0.8 and result["correlation"]["bow"] > 0.8
    # Generated pictures come as floats in [-1, 1]: the same reading.
    as_floats = images.astype(np.float32) / 127.5 - 1.0
    floats = pose.pose_fidelity(model, as_floats, pose.pose_targets(held_out))
    assert floats["correlation"]["hand"] == pytest.approx(result["correlation"]["hand"], abs=1e-5)


def test_drawn_pictures_carry_their_poses():
    pictures, poses = pose.drawn_pictures("trumpet", 64, seed=3)
    assert pictures.shape == (64, 64, 64, 3) and pictures.dtype == np.uint8
    assert poses.shape == (64, 11) and poses.dtype == np.float32
    again = pose.drawn_pictures("trumpet", 64, seed=3)
    np.testing.assert_array_equal(again[0], pictures)
    np.testing.assert_array_equal(again[1], poses)
    assert not np.array_equal(pose.drawn_pictures("trumpet", 64, seed=4)[0], pictures)
    # Every picture is its own scene.
    assert len({picture.tobytes() for picture in pictures}) == 64
    # A trumpet: playing or resting, three valves (bits 0-2), no hand, bow or string.
    playing = poses[:, 3]
    assert set(np.unique(playing)) == {0.0, 1.0}
    assert not poses[:, :3].any() and not poses[:, 7:].any()
    assert poses[playing == 1, 4:7].any() and not poses[playing == 0, 4:].any()
    # A cello: the string index in quarters, hand and bow in [0, 1]; rests on request.
    _, cello = pose.drawn_pictures("cello", 64, seed=0, rest_fraction=0.0)
    assert cello[:, 3].all() and not cello[:, 4:].any()
    np.testing.assert_allclose(np.unique(cello[:, 2] * 3) % 1, 0.0, atol=1e-6)
    assert 0 <= cello[:, :2].min() and cello[:, :2].max() <= 1 and cello[:, 1].std() > 0.2
    _, rests = pose.drawn_pictures("cello", 8, rest_fraction=1.0)
    assert not rests.any()
    with pytest.raises(ValueError, match="unknown instrument 'lute'"):
        pose.drawn_pictures("lute", 1)
