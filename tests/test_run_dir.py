"""A model dir: claiming, the config (and run.json of older dirs), encoders, restoring."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from avgan import config as config_lib
from avgan import run_dir
from tests.export.conftest import make_run

# run.json as train_gan wrote it before config.json held the GAN settings.
LEGACY_RUN = {
    "mode": "s2i",
    "variant": "c",
    "instruments": [],
    "sound_encoder": "",
    "image_encoder": "",
    "strategy": "auto",
    "mixed_precision": False,
    "jit_compile": False,
    "checkpoint_every": 200,
    "eval_every": 4,
    "ema": True,
    "audio_summaries": True,
    "augment": "translation,cutout",
    "aux_weight": 1.0,
}


def _write(folder, name, value):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w") as f:
        json.dump(value, f)


def _make_legacy(model_dir: str, run: dict) -> None:
    """Rewrites a dir's config.json as it was before the gan and runtime sections (the
    preset's sections only) and puts the GAN settings into run.json."""
    with open(os.path.join(model_dir, "config.json")) as f:
        values = json.load(f)
    old = {k: values[k] for k in ("preset", "model", "train", "data")}
    _write(model_dir, "config.json", old)
    _write(model_dir, "run.json", run)


def test_a_legacy_dir_reads_as_one_config(tmp_path):
    model_dir = str(tmp_path / "old")
    _write(model_dir, "config.json", {"preset": "cpu", "model": {"width": 32}, "train": {}})
    _write(model_dir, "run.json", LEGACY_RUN)
    config = run_dir.read_config(model_dir)
    assert config.mode == "s2i" and config.preset == "cpu" and config.model.width == 32
    assert config.gan.augment == "translation,cutout" and config.gan.aux_weight == 1.0
    assert config.gan.eval_every == 4 and config.runtime.strategy == "auto"
    # A dir written now holds everything in config.json; a stale run.json is ignored.
    new = str(tmp_path / "new")
    os.makedirs(new)
    run_dir.save_config(new, config.replace(gan=dict(aux_weight=0.5)))
    _write(new, "run.json", LEGACY_RUN)
    assert run_dir.read_config(new).gan.aux_weight == 0.5
    _write(new, "config.json", {"mode": "s2i", "gan": {"aux_weight": "lots"}})
    with pytest.raises(run_dir.ModelDirError, match="config.json: gan.aux_weight='lots'"):
        run_dir.read_config(new)


def test_the_archived_runs_still_read(tmp_path):
    """results/runs holds run dirs (JSON only) written before the one config."""
    root = os.path.join(os.path.dirname(__file__), "..", "results", "runs")
    folders = [os.path.join(root, d) for d in sorted(os.listdir(root))]
    dirs = run_dir.gan_run_dirs([d for d in folders if run_dir.is_gan_run(d)])
    assert len(dirs) >= 5
    configs = {os.path.basename(d): run_dir.read_config(d) for d in dirs}
    assert configs["s2i-c-acgan"].gan.aux_weight == 1.0
    assert configs["i2s-acgan"].mode == "i2s"


def test_gan_run_dirs_expand_a_pose_parent(tmp_path):
    for name in ("cello", "violin"):
        _write(tmp_path / "pose" / name, "config.json", {"mode": "s2i_pose"})
    _write(tmp_path / "encoder", "config.json", {"mode": "image_classifier"})
    found = run_dir.gan_run_dirs([str(tmp_path / "pose")])
    assert [os.path.basename(d) for d in found] == ["cello", "violin"]
    # A run of another mode is named as what it is, not as missing.
    encoder = str(tmp_path / "encoder")
    with pytest.raises(run_dir.ModelDirError) as error:
        run_dir.gan_run_dirs([encoder])
    assert str(error.value) == (
        f"--model_dir {encoder}: an encoder run (mode 'image_classifier'), "
        "not a GAN run (s2i, s2i_pose, i2s)"
    )
    with pytest.raises(run_dir.ModelDirError, match="no GAN run \\(config.json\\) there"):
        run_dir.gan_run_dirs([str(tmp_path)])
    # A shared pose model is a run itself, not a parent.
    _write(tmp_path / "shared", "config.json", {"mode": "s2i_pose"})
    assert run_dir.gan_run_dirs([str(tmp_path / "shared")]) == [str(tmp_path / "shared")]


def test_pose_results_of_one_model_per_instrument_and_of_a_shared_one(tmp_path):
    fidelity = {"fidelity": {"mean": 0.5}}
    each = {"instruments": ["cello"], "pose": fidelity}
    shared = {"instruments": [], "pose_by_instrument": {"cello": fidelity, "violin": {}}}
    assert run_dir.pose_results(each) == {"cello": fidelity}
    assert run_dir.pose_results(shared) == shared["pose_by_instrument"]
    assert run_dir.pose_results({"accuracy": {}}) == {}
    assert run_dir.scale_file("violin") == "scale_violin.png"
    # A model dir is not continued as the other kind of pose model.
    config = config_lib.preset("tiny").replace(mode="s2i_pose", gan=dict(instruments=("cello",)))
    model_dir = str(tmp_path / "pose")
    run_dir.claim(model_dir, "s2i_pose", **run_dir.gan_identity(config))
    shared_config = config.replace(gan=dict(pose_models="shared"))
    with pytest.raises(run_dir.ModelDirError, match="this run is .*pose_models=shared"):
        run_dir.claim(model_dir, "s2i_pose", **run_dir.gan_identity(shared_config))
    # Nor continued with an auxiliary head that names something else.
    pitch = config.replace(gan=dict(aux_weight=1.0, aux_target="pitch"))
    assert run_dir.gan_identity(pitch)["aux_target"] == "pitch"
    assert "aux_target" not in run_dir.gan_identity(shared_config.replace(gan=dict(aux_weight=1.0)))
    # Nor with other wrong pairs.
    assert run_dir.gan_identity(config.replace(gan=dict(near_pitch=3)))["near_pitch"] == "3"
    assert "near_pitch" not in run_dir.gan_identity(config)
    same = config.replace(gan=dict(same_recording=True))
    assert run_dir.gan_identity(same)["same_recording"] == "true"
    assert "same_recording" not in run_dir.gan_identity(config)
    assert run_dir.gan_identity(config.replace(gan=dict(scene_weight=2.0)))["scene_weight"] == "2"
    assert "scene_weight" not in run_dir.gan_identity(config)
    # Nor on another condition.
    posterior = config.replace(gan=dict(condition="pitch_posterior"))
    assert run_dir.gan_identity(posterior)["condition"] == "pitch_posterior"
    assert "condition" not in run_dir.gan_identity(config)


def test_a_relative_encoder_path_is_found_from_any_working_directory(tmp_path, monkeypatch):
    """Trained in PROJECT as `avgan-train --model_dir runs/q/s2i-c
    --sound_encoder runs/q/sound_classifier/encoder.keras` (what the quickstart does),
    then exported from elsewhere with an absolute --model_dir: the recorded relative
    path is found against the folders above the run."""
    project = tmp_path / "project"
    model_dir = str(project / "runs" / "q" / "s2i-c")
    encoder = project / "runs" / "q" / "sound_classifier"
    _write(str(encoder), "encoder.keras", {})
    relative = "runs/q/sound_classifier/encoder.keras"
    _write(model_dir, "metrics.json", {"encoders": {"condition": relative}})
    config = config_lib.preset("tiny").replace(mode="s2i", gan=dict(sound_encoder=relative))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert run_dir.locate_encoder(model_dir, config, "condition") == str(encoder / "encoder.keras")
    # Missing everywhere: the message names the first paths tried and counts the rest.
    with pytest.raises(run_dir.ModelDirError) as error:
        run_dir.locate_encoder(
            model_dir, config.replace(gan=dict(image_encoder="runs/q/none.keras")), "evaluator"
        )
    message = str(error.value)
    assert message.startswith(f"no evaluator encoder for {model_dir}; tried: runs/q/none.keras, ")
    assert "more (the same paths against each folder above it)" in message


def test_encoders_are_found_where_the_run_said(tmp_path):
    model_dir = str(tmp_path / "run")
    config = config_lib.preset("tiny").replace(mode="s2i", gan=dict(variant="a"))
    trained = run_dir.trained_encoder_dir(model_dir, "sound_autoencoder")
    _write(trained, "encoder.keras", {})
    assert run_dir.locate_encoder(model_dir, config, "condition") == os.path.join(
        trained, "encoder.keras"
    )
    given = str(tmp_path / "given.keras")
    _write(tmp_path, "given.keras", {})
    assert (
        run_dir.locate_encoder(
            model_dir, config.replace(gan=dict(sound_encoder=given)), "condition"
        )
        == given
    )
    recorded = str(tmp_path / "recorded")
    _write(recorded, "encoder.keras", {})
    _write(model_dir, "metrics.json", {"encoders": {"condition": recorded}})
    assert run_dir.locate_encoder(model_dir, config, "condition").startswith(recorded)
    with pytest.raises(run_dir.ModelDirError, match="no evaluator encoder .* tried: ") as error:
        run_dir.locate_encoder(model_dir, config, "evaluator")
    # Each path once, in order: MODEL_DIR joined to an absolute path is that path (it
    # was listed twice).
    trained = run_dir.trained_encoder_dir(model_dir, "image_classifier")
    assert str(error.value).split("tried: ")[1] == trained
    named = config.replace(gan=dict(image_encoder=str(tmp_path / "none.keras")))
    with pytest.raises(run_dir.ModelDirError) as error:
        run_dir.locate_encoder(model_dir, named, "evaluator")
    assert str(error.value).split("tried: ")[1] == f"{tmp_path / 'none.keras'}, {trained}"
    assert run_dir.encoder_kinds(config.replace(mode="i2s", gan=dict(variant="c"))) == {
        "condition": "image_classifier",
        "evaluator": "sound_classifier",
    }
    assert run_dir.encoder_kinds(config.replace(mode="s2i_pose")) == {
        "condition": "pitch_sound_classifier",  # the encoding that carries the pose
        "evaluator": "image_classifier",
    }


def test_a_legacy_run_restores_to_the_same_generator(tmp_path):
    model_dir = str(tmp_path / "run")
    gan = make_run(model_dir, "s2i")
    now = run_dir.restore(model_dir)
    _make_legacy(model_dir, {**LEGACY_RUN, "augment": "", "aux_weight": 0.0})
    before = run_dir.restore(model_dir)
    assert before.config == now.config.replace(gan=dict(eval_every=4))
    sound = tf.random.stateless_normal([2, 22050], [0, 1]) * 0.1
    z = tf.random.stateless_normal([2, now.config.model.z_dim], [0, 2])
    expected = gan.generate(sound, z=z).numpy()
    for restored in (now, before):
        assert restored.uses_ema
        np.testing.assert_array_equal(restored.sampler.generate(sound, z=z).numpy(), expected)
    objects = run_dir.checkpoint_objects(gan)
    assert set(objects) == {
        "generator",
        "ema_generator",
        "discriminator",
        "d_optimizer",
        "g_optimizer",
        "noise_seed",
        "augment_seed",
    }
    keys = {name.split("/")[0] for name, _ in tf.train.list_variables(now.checkpoint)}
    assert set(objects) <= keys  # the layout the trainer writes is the one defined here


def test_restoring_an_encoder_run_says_what_it_is(tmp_path):
    model_dir = str(tmp_path / "encoder")
    run_dir.save_config(model_dir, config_lib.preset("tiny").replace(mode="image_classifier"))
    with pytest.raises(run_dir.ModelDirError) as error:
        run_dir.restore(model_dir)
    assert str(error.value) == (
        f"{model_dir} is an encoder run (mode 'image_classifier'), not a GAN run "
        "(s2i, s2i_pose, i2s)"
    )
