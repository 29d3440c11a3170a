"""The scale of Fig. 10: its sounds have the pitches asked for, its poses climb the neck,
and follow_scale gives every note the same noise and reads the pictures in order."""

import os

import librosa
import numpy as np
import pytest

from avgan.data.constants import CHUNK_SAMPLES, SAMPLE_RATE
from avgan.evaluation import scale
from avgan.evaluation.pose import POSE_VECTOR
from tests.conftest import require_fluidsynth


@pytest.mark.parametrize(
    "instrument, pitches", [("cello", [36, 43, 50, 57, 64]), ("violin", [55, 62, 69, 76, 83])]
)
def test_scale_sounds_have_the_pitches_asked_for(instrument, pitches):
    require_fluidsynth()
    sounds = scale.scale_sounds(instrument, pitches)
    assert sounds.shape == (len(pitches), CHUNK_SAMPLES) and sounds.dtype == np.float32
    for pitch, sound in zip(pitches, sounds, strict=True):
        # A pitch tracker (YIN) over the note's steady part, after its attack.
        f0 = librosa.yin(sound[4096:], fmin=50, fmax=2000, sr=SAMPLE_RATE, frame_length=4096)
        heard = librosa.hz_to_midi(np.median(f0))
        assert heard == pytest.approx(pitch, abs=0.5), (instrument, pitch, heard)


def test_scale_poses_climb_the_neck_and_cross_strings():
    pitches = scale.scale_pitches("cello")
    assert pitches[0] == 36 and pitches[-1] == 69 and np.all(np.diff(pitches) == 1)
    poses = scale.scale_poses("cello", pitches)
    hand, string = poses[:, POSE_VECTOR.index("hand")], poses[:, POSE_VECTOR.index("string")]
    np.testing.assert_allclose(hand[:8], [0, 1, 2, 3, 4, 5, 6, 0] / np.float32(12), atol=1e-4)
    np.testing.assert_allclose(string[:8] * 3, [0] * 7 + [1])
    assert np.all(poses[:, POSE_VECTOR.index("playing")] == 1)
    np.testing.assert_array_equal(poses[:4, POSE_VECTOR.index("bow")], [0, 1, 0, 1])  # down, up


def test_follow_scale_fixes_the_noise_and_keeps_the_order():
    require_fluidsynth()
    pitches = [36, 40, 44, 48, 52]
    calls = {}

    def generate(sounds, z):
        calls["sounds"], calls["z"] = sounds, z
        # Each picture says which note it was drawn for: its first pixel is the note's index.
        pictures = np.zeros((len(sounds), 64, 64, 3), np.float32)
        pictures[:, 0, 0, 0] = np.arange(len(sounds))
        return pictures

    expected = scale.scale_poses("cello", pitches)

    def oracle(pictures):  # reads the pose of the note each picture was drawn for
        return expected[np.asarray(pictures)[:, 0, 0, 0].astype(int)]

    pictures, result = scale.follow_scale(generate, oracle, "cello", z_dim=7, pitches=pitches)

    assert calls["sounds"].shape == (5, CHUNK_SAMPLES)
    assert calls["z"].shape == (5, 7) and np.all(calls["z"] == calls["z"][0])
    assert pictures.shape == (5, 64, 64, 3)
    assert result["pitches"] == pitches
    np.testing.assert_allclose(result["read"]["hand"], expected[:, 0], atol=1e-6)
    np.testing.assert_allclose(result["expected"]["string"], expected[:, 2])
    assert result["correlation"]["correlation"]["hand"] == pytest.approx(1.0)
    assert result["correlation"]["skipped"]["playing"] == "constant truth"


def test_frame_spread_is_the_mean_per_pixel_standard_deviation():
    """0 for a repeated picture; a moving square and a changing wall against numpy's std
    by hand; uint8 and [-1, 1] floats on one scale; real recordings averaged apart."""
    still = np.repeat(np.random.default_rng(0).integers(0, 256, (1, 64, 64, 3)), 4, axis=0)
    assert scale.frame_spread(still.astype(np.uint8)) == 0.0
    # An 8x8 white square moves over a black room: per pixel std of {0, 1} values.
    moving = np.zeros((4, 64, 64, 3), np.uint8)
    for i in range(4):
        moving[i, 8:16, 8 * i : 8 * i + 8] = 255
    one_in_four = np.std([1.0, 0.0, 0.0, 0.0])  # 4 squares of 64 pixels, each lit once
    assert scale.frame_spread(moving) == pytest.approx(one_in_four * (4 * 64 * 3) / (64 * 64 * 3))
    # The wall changes colour from picture to picture: every pixel moves.
    walls = np.stack([np.full((64, 64, 3), v, np.float32) for v in (-1.0, 1.0)])
    assert scale.frame_spread(walls) == pytest.approx(0.5)  # {0, 1}: std 0.5
    assert scale.frame_spread(walls) == scale.frame_spread(((walls + 1) * 127.5).astype(np.uint8))
    # One recording still, one moving: the mean of 0 and the moving figure.
    both = np.concatenate([still.astype(np.uint8), moving])
    recordings = ["a"] * 4 + ["b"] * 4
    assert scale.recording_spread(both, recordings) == pytest.approx(scale.frame_spread(moving) / 2)
    with pytest.raises(ValueError, match="at least 2 pictures"):
        scale.frame_spread(moving[:1])


def test_a_scale_of_one_note_is_refused():
    with pytest.raises(ValueError, match="at least 2 notes"):
        scale.follow_scale(None, None, "cello", z_dim=4, pitches=[40])


def _untrained_pose_run(model_dir: str, data: str, **gan_fields) -> None:
    """A pose run of tiny, untrained networks in MODEL_DIR (config, encoders,
    checkpoint), as `evaluate_dir` finds a trained one."""
    from avgan import config as config_lib
    from avgan import run_dir
    from avgan.models.encoders import ImageClassifier, SoundClassifier
    from avgan.training import gan

    config = config_lib.preset("tiny").replace(
        mode="s2i_pose", data=dict(root=data), gan=gan_fields
    )
    scale_ = config.model.encoder_scale
    sound, image = SoundClassifier(1, scale=scale_), ImageClassifier(1, scale=scale_)
    sound(np.zeros((1, CHUNK_SAMPLES), np.float32))
    image(np.zeros((1, 64, 64, 3), np.uint8))
    paths = {}
    for name, encoder in (("sound_encoder", sound), ("image_encoder", image)):
        paths[name] = os.path.join(model_dir, "encoders", name, "encoder.keras")
        os.makedirs(os.path.dirname(paths[name]))
        encoder.save(paths[name])
    config = config.replace(gan=paths)
    run_dir.save_config(model_dir, config)
    networks = gan.build_gan(config, sound)
    run_dir.checkpoint_manager(model_dir, run_dir.checkpoint_objects(networks)).save()


def test_a_shared_pose_model_is_evaluated_per_instrument_with_its_scale(cellos, tmp_path):
    """`evaluate_dir` on a pose model for all the data's instruments
    (--pose_models=shared; here the one instrument, cello): its pose is measured per
    instrument, and the scale of the instrument's whole range is generated, read by the
    same regressor and written as one row."""
    from PIL import Image

    from avgan import run_dir
    from avgan.evaluation.run import evaluate_dir

    model_dir = str(tmp_path / "shared")
    _untrained_pose_run(model_dir, cellos, pose_models="shared")

    result = evaluate_dir(model_dir, draws=2, pose_epochs=1, pose_pictures=16)

    assert "pose" not in result and list(result["pose_by_instrument"]) == ["cello"]
    assert run_dir.pose_results(result) == result["pose_by_instrument"]
    pose = result["pose_by_instrument"]["cello"]
    assert set(pose["fidelity"]["correlation"]) >= {"hand", "string"}
    pitches = list(range(36, 70))
    assert pose["scale"]["pitches"] == pitches
    assert len(pose["scale"]["read"]["hand"]) == len(pitches)
    np.testing.assert_allclose(
        pose["scale"]["expected"]["string"], scale.scale_poses("cello", pitches)[:, 2]
    )
    with Image.open(os.path.join(model_dir, run_dir.scale_file("cello"))) as row:
        assert row.size == (64 * len(pitches), 64)
        pictures = np.asarray(row).reshape(64, len(pitches), 64, 3).transpose(1, 0, 2, 3)
    # How much the scale's pictures differ, beside one real recording's (rounding to
    # uint8 in the PNG moves the figure by well under a level).
    assert pose["scale"]["spread"] == pytest.approx(scale.frame_spread(pictures), abs=2e-3)
    assert 0 < pose["scale"]["real_spread"] < 0.5
