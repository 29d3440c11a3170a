"""GAN training into a model directory: outputs, resume at the saved step, non-finite stop."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from avgan import config as config_lib
from avgan import run_dir
from avgan.data import layout, pipeline
from avgan.export import serving
from avgan.training import callbacks as cb
from avgan.training import classifiers, gan, strategy
from tests.data.layout_fixture import write_layout, write_pitches


def _config(epochs: int) -> config_lib.Config:
    return config_lib.preset("tiny").replace(train=dict(epochs=epochs, batch_size=8))


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A fixture layout and tiny trained encoders (1 epoch each)."""
    root = tmp_path_factory.mktemp("gan")
    write_layout(root / "data", recordings=3, chunks=4)
    index = layout.read_layout(root / "data", progress=False)
    sound = str(root / "sound")
    image = str(root / "image")
    classifiers.train_sound_classifier(_config(1), index, sound, verbose=0)
    classifiers.train_image_classifier(_config(1), index, image, verbose=0)
    return index, os.path.join(sound, "encoder.keras"), os.path.join(image, "encoder.keras")


def _run(setup, epochs: int, mode: str = "s2i", **gan_fields) -> config_lib.Config:
    """The tiny config of a GAN run on the fixture's encoders."""
    _, sound, image = setup
    fields = {
        "audio_summaries": mode == "i2s",
        "sound_encoder": sound,
        "image_encoder": image,
        "checkpoint_every": 2,
        "eval_every": 1,
        **gan_fields,
    }
    return _config(epochs).replace(mode=mode, gan=fields)


def _train_command(setup, model_dir, *flags: str) -> list[str]:
    """`python -m avgan.train` for tiny S2I-C on the fixture layout and encoders."""
    index, sound, image = setup
    return [
        sys.executable,
        "-m",
        "avgan.train",
        "--mode=s2i",
        "--preset=tiny",
        f"--data={index.root}",
        f"--model_dir={model_dir}",
        f"--sound_encoder={sound}",
        f"--image_encoder={image}",
        *flags,
    ]


def _summary_tags(log_dir: str) -> set[str]:
    """The tags of every summary written under `log_dir`."""
    tags = set()
    for path in tf.io.gfile.glob(os.path.join(log_dir, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            tags.update(value.tag for value in event.summary.value)
    return tags


def _check_generate(index, model_dir: str, mode: str, tmp_path) -> None:
    """python -m avgan.generate on a trained run: S2I sound -> picture, I2S picture -> sound."""
    pair = index.split("validation")[0]
    out = tmp_path / ("out.png" if mode == "s2i" else "out.wav")
    given = ["--sound", pair.sound] if mode == "s2i" else ["--image", pair.image]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "avgan.generate",
            f"--model_dir={model_dir}",
            *given,
            f"--out={out}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    if mode == "s2i":
        from PIL import Image

        with Image.open(out) as picture:
            assert picture.size == (64, 64)
    else:
        from avgan.data import audio

        waveform = audio.load_audio(out)
        assert waveform.shape == (22050,) and np.isfinite(waveform.numpy()).all()


# I2S's run is under -m slow: the resume logic is the direction's, and I2S's own outputs
# (audio summaries, generate) are checked by test_i2s_evaluation_... on its run.
@pytest.mark.parametrize("mode", ["s2i", pytest.param("i2s", marks=pytest.mark.slow)])
def test_a_run_writes_its_outputs_and_resumes_at_the_saved_step(setup, tmp_path, mode):
    index = setup[0]
    model_dir = str(tmp_path / mode)
    metrics = gan.train_gan(_run(setup, 1, mode=mode), index, model_dir, verbose=0)
    steps_per_epoch = 24 // 8
    assert metrics["steps"] == steps_per_epoch
    assert 0.0 <= metrics["generated_accuracy"]["test"] <= 1.0
    assert metrics["curve"][0]["epoch"] == 1 and "validation" in metrics["curve"][0]
    for name in ("samples_test.png", "metrics.json", "config.json", "logs", "checkpoints"):
        assert os.path.exists(os.path.join(model_dir, name)), name
    assert tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints")).endswith(
        f"ckpt-{steps_per_epoch}"
    )
    # The epoch-end summaries reach TensorBoard (Keras' own callback had switched
    # recording off there): the Fig. 9 curve, sample pictures and, for I2S, audio.
    expected = {"eval": {"generated_accuracy/validation", "generated_accuracy/train"}}
    if mode == "s2i":
        expected["samples"] = {"samples/validation", "samples/train"}
    else:
        expected["samples"] = {"spectrograms/validation/generated", "audio/validation"}
    for folder, tags in expected.items():
        assert tags <= _summary_tags(os.path.join(model_dir, "logs", folder)), folder

    # Rerun with the same epochs: the finished run is returned, not trained again.
    again = gan.train_gan(_run(setup, 1, mode=mode), index, model_dir, verbose=0)
    assert again == metrics
    # More epochs in the same directory extend the finished run from its saved step,
    # and its Fig. 9 curve keeps the earlier points.
    extended = gan.train_gan(_run(setup, 2, mode=mode), index, model_dir, verbose=0)
    assert extended["steps"] == 2 * steps_per_epoch
    assert [row["epoch"] for row in extended["curve"]] == [1, 2]
    assert extended["seconds_total"] >= extended["seconds_this_run"] > 0
    # A run killed after a checkpoint (no metrics.json yet) resumes at that epoch end:
    # exactly its epochs' steps, the curve and the seconds of the first leg kept.
    os.remove(os.path.join(model_dir, "metrics.json"))
    with open(os.path.join(model_dir, "progress.json")) as f:
        progress = json.load(f)
    assert progress["step"] == 2 * steps_per_epoch and progress["curve"] == extended["curve"]
    resumed = gan.train_gan(_run(setup, 3, mode=mode), index, model_dir, verbose=0)
    assert resumed["steps"] == 3 * steps_per_epoch
    assert [(row["epoch"], row["step"]) for row in resumed["curve"]] == [
        (e, e * steps_per_epoch) for e in (1, 2, 3)
    ]
    assert resumed["curve"][:2] == extended["curve"]
    assert resumed["seconds_total"] == pytest.approx(
        progress["seconds"] + resumed["seconds_this_run"], abs=0.15
    )
    assert progress["seconds"] >= extended["seconds_this_run"]
    # Fewer epochs than the finished run: its metrics, and its config left as it was.
    assert gan.train_gan(_run(setup, 1, mode=mode), index, model_dir, verbose=0) == (resumed)
    with open(os.path.join(model_dir, "config.json")) as f:
        assert json.load(f)["train"]["epochs"] == 3

    _check_generate(index, model_dir, mode, tmp_path)


def test_s2i_n_and_pose_mode_train(setup, tmp_path):
    index = setup[0]
    n = gan.train_gan(_run(setup, 1, variant="n"), index, str(tmp_path / "n"), verbose=0)
    assert n["variant"] == "n" and np.isfinite(n["generated_accuracy"]["train"])
    # One pose model shared by two instruments: their 16 pairs, in MODEL_DIR itself.
    shared_dir = str(tmp_path / "shared")
    (shared,) = gan.train_gans(
        _run(setup, 1, mode="s2i_pose", instruments=("flute", "trumpet"), pose_models="shared"),
        index,
        shared_dir,
        verbose=0,
    )
    assert shared["instruments"] == ["flute", "trumpet"] and shared["steps"] == 16 // 8
    assert os.listdir(os.path.join(shared_dir, "checkpoints"))


def test_a_pose_model_without_note_labels_conditions_on_the_sound_classifier(setup, tmp_path):
    """Pose models condition on the pitch-aware classifier, which needs pitch metadata;
    the fixture layout has none, so the run trains the instrument classifier instead."""
    index = setup[0]
    assert index.pairs[0].pitch is None
    config = _run(setup, 1, mode="s2i_pose", instruments=("flute",), sound_encoder="")
    (metrics,) = gan.train_gans(config, index, str(tmp_path / "pose"), verbose=0)
    model_dir = str(tmp_path / "pose" / "flute")  # one model per instrument, each in its dir
    trained = run_dir.trained_encoder_dir(model_dir, "sound_classifier")
    assert os.path.isfile(os.path.join(trained, "encoder.keras"))
    assert metrics["steps"] == 1 and metrics["instruments"] == ["flute"]  # 8 pairs, batch 8


def test_another_variant_in_the_same_dir_is_refused(setup, tmp_path):
    index = setup[0]
    model_dir = str(tmp_path / "c")
    run_dir.claim(model_dir, "s2i", variant="c")
    with pytest.raises(run_dir.ModelDirError, match="variant=c"):
        gan.train_gan(_run(setup, 1, variant="n"), index, model_dir, verbose=0)
    augmented = str(tmp_path / "augmented")
    run_dir.claim(augmented, "s2i", variant="c", augment="translation,cutout")
    with pytest.raises(run_dir.ModelDirError, match="augment=translation,cutout"):
        gan.train_gan(_run(setup, 1), index, augmented, verbose=0)  # no augmentation


def test_upsampling_reaches_the_run_and_a_rerun_with_another_is_refused(setup, tmp_path):
    index = setup[0]
    model_dir = str(tmp_path / "resize")
    cmd = _train_command(setup, model_dir, "--epochs=1", "--upsampling=resize")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(os.path.join(model_dir, "config.json")) as f:
        assert json.load(f)["model"]["upsampling"] == "resize"
    with open(os.path.join(model_dir, "metrics.json")) as f:
        assert json.load(f)["steps"] == 3
    assert run_dir.restore(model_dir).sampler.generator.upsampling == "resize"
    with pytest.raises(run_dir.ModelDirError, match="upsampling=resize"):
        gan.train_gan(_run(setup, 2), index, model_dir, verbose=0)  # deconv


def test_aux_weight_trains_a_head_that_evaluation_leaves_out(setup, tmp_path):
    index = setup[0]
    model_dir = str(tmp_path / "acgan")
    metrics = gan.train_gan(_run(setup, 1, aux_weight=0.5), index, model_dir, verbose=0)
    assert metrics["steps"] == 3
    with open(os.path.join(model_dir, "config.json")) as f:
        assert json.load(f)["gan"]["aux_weight"] == 0.5
    assert not os.path.exists(os.path.join(model_dir, "run.json"))  # one config file
    # The head, one dense layer over the data's instruments, is checkpointed with D:
    # its kernel and the D optimizer's two Adam moments for it.
    latest = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    shapes = [v for _, v in tf.train.list_variables(latest)]
    assert shapes.count([4 * 4 * 8 * _config(1).model.width, len(index.instruments)]) == 3
    # Evaluation rebuilds the generators alone (no discriminator) and restores them:
    # reading the checkpoint again changes none of its weights.
    restored = run_dir.restore(model_dir)
    assert restored.config.gan.aux_weight == 0.5 and restored.checkpoint == latest
    generator = restored.sampler.generator
    before = [w.numpy() for w in generator.weights]
    tf.train.Checkpoint(generator=generator).read(latest).assert_existing_objects_matched()
    for old, new in zip(before, generator.weights, strict=True):
        np.testing.assert_array_equal(old, new.numpy())
    with pytest.raises(run_dir.ModelDirError, match="aux_weight=0.5"):
        gan.train_gan(_run(setup, 2), index, model_dir, verbose=0)  # no head
    with pytest.raises(
        ValueError,
        match="gan.aux_weight=1.0: names the instrument, and a pose model of one instrument",
    ):
        _run(setup, 1, mode="s2i_pose", instruments=("flute",), aux_weight=1.0)
    # A head that names the pitch needs pitch metadata: refused before anything is written.
    pitch_dir = tmp_path / "pitch"
    with pytest.raises(config_lib.ConfigError, match="gan.aux_target='pitch': .* no pitch"):
        gan.train_gan(
            _run(setup, 1, aux_weight=1.0, aux_target="pitch"), index, str(pitch_dir), verbose=0
        )
    assert not pitch_dir.exists()
    # So do near-pitch wrong pairs.
    with pytest.raises(config_lib.ConfigError, match="gan.near_pitch=2: .* no pitch"):
        pose = _run(setup, 1, mode="s2i_pose", instruments=("flute",), near_pitch=2)
        gan.train_gan(pose, index, str(pitch_dir), verbose=0)
    with pytest.raises(config_lib.ConfigError, match="gan.same_recording=True: .* no pitch"):
        pose = _run(setup, 1, mode="s2i_pose", instruments=("flute",), same_recording=True)
        gan.train_gan(pose, index, str(pitch_dir), verbose=0)
    assert not pitch_dir.exists()


def test_a_pose_model_trains_a_head_that_names_the_pitch(setup, tmp_path):
    """--aux_target=pitch on data with pitch metadata: the run trains and checkpoints a
    head with a class per MIDI pitch (its terms: test_aux_classifier.py); its wrong
    pairs play another note (--near_pitch, --same_recording; which ones:
    test_pipeline.py)."""
    _, sound, image = setup
    write_pitches(tmp_path / "data", write_layout(tmp_path / "data", recordings=3, chunks=4))
    index = layout.read_layout(tmp_path / "data", progress=False)
    config = _run(
        setup,
        1,
        mode="s2i_pose",
        instruments=("flute",),
        aux_weight=1.0,
        aux_target="pitch",
        near_pitch=2,
        same_recording=True,
        scene_weight=2.0,
    )
    model_dir = str(tmp_path / "pose")
    metrics = gan.train_gan(config, index, model_dir, verbose=0)
    assert metrics["steps"] == 1
    saved = run_dir.read_config(model_dir).gan
    assert (saved.near_pitch, saved.same_recording, saved.scene_weight) == (2, True, 2.0)
    latest = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    shapes = [v for _, v in tf.train.list_variables(latest)]
    # The head's kernel and its two Adam moments.
    assert shapes.count([4 * 4 * 8 * _config(1).model.width, classifiers.PITCH_CLASSES]) == 3


def test_a_pose_model_conditioned_on_the_note_posterior(setup, tmp_path):
    """--condition=pitch_posterior: the generator sees the pitch-aware classifier's note
    posterior (128 values summing to 1), in training and when the run is restored (which
    generates what the trained GAN does); refused, before anything is written, with an
    encoder that has no pitch head and on data without pitches."""
    _, plain_encoder, image = setup
    write_pitches(tmp_path / "data", write_layout(tmp_path / "data", recordings=3, chunks=4))
    index = layout.read_layout(tmp_path / "data", progress=False)
    pitch_dir = str(tmp_path / "pitch_classifier")
    classifiers.TRAINERS["pitch_sound_classifier"](_config(1), index, pitch_dir, verbose=0)
    pitch_encoder = os.path.join(pitch_dir, "encoder.keras")
    fields = dict(mode="s2i_pose", instruments=("flute",), condition="pitch_posterior")
    config = _run(setup, 1, **fields).replace(gan=dict(sound_encoder=pitch_encoder))
    model_dir = str(tmp_path / "pose")
    metrics = gan.train_gan(config, index, model_dir, verbose=0)
    assert metrics["steps"] == 1
    restored = run_dir.restore(model_dir)
    sounds = next(iter(pipeline.paired_dataset(index, "validation", 4, shuffle=False)))["sound"]
    encoding = restored.sampler.encode(sounds).numpy()
    assert encoding.shape == (4, classifiers.PITCH_CLASSES)
    np.testing.assert_allclose(encoding.sum(axis=1), 1.0, atol=1e-5)
    trained, _ = gan.restore_gan(config, pitch_encoder, model_dir)
    z = np.random.default_rng(0).standard_normal((4, config.model.z_dim)).astype(np.float32)
    np.testing.assert_allclose(
        restored.sampler.generate(sounds, z=z).numpy(),
        trained.generate(sounds, z=z).numpy(),
        atol=1e-5,
    )
    # The SavedModel computes the posterior in its graph: the same pictures.
    served = tf.saved_model.load(serving.export_saved_model(restored, str(tmp_path / "export")))
    out = served.signatures["s2i_z"](waveform=sounds, z=tf.constant(z))["image_float"]
    np.testing.assert_allclose(out.numpy(), trained.generate(sounds, z=z).numpy(), atol=1e-5)
    refused_dir = tmp_path / "refused"
    plain = config.replace(gan=dict(sound_encoder=plain_encoder))
    with pytest.raises(
        config_lib.ConfigError, match="gan.condition='pitch_posterior': .*no pitch head"
    ):
        gan.train_gan(plain, index, str(refused_dir), verbose=0)
    with pytest.raises(
        config_lib.ConfigError, match="gan.condition='pitch_posterior': .* no pitch"
    ):
        gan.train_gan(_run(setup, 1, **fields), setup[0], str(refused_dir), verbose=0)
    assert not refused_dir.exists()


def test_a_non_finite_loss_stops_training_and_is_not_checkpointed(tmp_path):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    checkpoint = tf.train.Checkpoint(model=model)
    manager = tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=3)
    guard = cb.StopOnNonFinite()
    saved = []
    saver = cb.CheckpointEvery(manager, every=1, guard=guard, before_save=saved.append)
    for callback in (guard, saver):
        callback.set_model(model)
    saver.on_train_begin()
    model.optimizer.iterations.assign(4)
    guard.on_train_batch_end(0, {"d_loss": 0.5, "g_loss": 1.0})
    saver.on_epoch_end(0)
    assert manager.latest_checkpoint.endswith("ckpt-4") and saved == [4]
    model.optimizer.iterations.assign(5)
    guard.on_train_batch_end(0, {"d_loss": float("nan"), "g_loss": 1.0})
    saver.on_epoch_end(1)
    saver.on_train_end()
    assert guard.failed_step == 5 and model.stop_training
    assert manager.latest_checkpoint.endswith("ckpt-4") and saved == [4]  # the last good one


def test_checkpoints_fall_on_the_first_epoch_end_past_the_interval(tmp_path):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    manager = tf.train.CheckpointManager(
        tf.train.Checkpoint(model=model), str(tmp_path), max_to_keep=None
    )
    saved = []
    saver = cb.CheckpointEvery(
        manager, every=5, guard=cb.StopOnNonFinite(), before_save=saved.append
    )
    saver.set_model(model)
    model.optimizer.iterations.assign(3)  # resumed at the end of epoch 1 (3 steps each)
    saver.on_train_begin()
    for epoch in range(1, 5):
        for _ in range(3):
            model.optimizer.iterations.assign_add(1)
            saver.on_train_batch_end(0)  # never mid-epoch
        saver.on_epoch_end(epoch)
    model.optimizer.iterations.assign_add(2)  # a last, shorter stretch
    saver.on_train_end()
    assert saved == [9, 15, 17]
    assert [int(p.rsplit("-", 1)[1]) for p in manager.checkpoints] == saved


def test_strategy_choice():
    assert isinstance(strategy.make_strategy("one_device"), tf.distribute.OneDeviceStrategy)
    assert strategy.make_strategy("mirrored").num_replicas_in_sync == 2  # the two logical CPUs
    with pytest.raises(ValueError, match="TF_CONFIG"):
        os.environ.pop("TF_CONFIG", None)
        strategy.make_strategy("multi_worker")
    with pytest.raises(ValueError, match="one of auto, mirrored"):
        strategy.make_strategy("tpu")


def test_an_unknown_augmentation_is_refused_by_name(tmp_path):
    cmd = [sys.executable, "-m", "avgan.train", "--mode=s2i", "--augment=translation,flip"]
    refused = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert refused.returncode != 0
    assert "--augment (gan.augment)='translation,flip': unknown augmentation flip" in (
        refused.stderr
    )
    assert not os.path.exists(tmp_path / "runs")  # refused before any work


@pytest.mark.slow  # three TF start-ups and GAN steps: ~1 minute idle
def test_killed_entry_point_resumes_at_the_saved_step(setup, tmp_path):
    model_dir = tmp_path / "killed"
    cmd = _train_command(
        setup,
        model_dir,
        "--epochs=30",
        "--checkpoint_every=3",
        "--eval_every=100",
        "--augment=translation,cutout",  # its draws resume from the checkpoint too
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    checkpoints = model_dir / "checkpoints"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if tf.train.latest_checkpoint(str(checkpoints)):
            break
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = tf.train.latest_checkpoint(str(checkpoints))
    assert saved, proc.stdout.read()[-3000:]
    step = int(saved.rsplit("-", 1)[1])
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert f"resuming from step {step}" in rerun.stdout
    with open(model_dir / "metrics.json") as f:
        metrics = json.load(f)
    assert metrics["steps"] == 30 * 3  # resumed at an epoch end: no step too many
    assert metrics["seconds_total"] > metrics["seconds_this_run"]  # the killed leg's too
    with open(model_dir / "config.json") as f:
        assert json.load(f)["gan"]["augment"] == "translation,cutout"


def test_evaluate_dir_writes_the_metrics(setup, tmp_path):
    from avgan.evaluation.run import evaluate_dir

    index = setup[0]
    config = _run(setup, 1).replace(data=dict(root=index.root))
    model_dir = str(tmp_path / "evaluated")
    gan.train_gan(config, index, model_dir, verbose=0)
    result = evaluate_dir(model_dir, draws=3, pose_epochs=1)
    with open(os.path.join(model_dir, "evaluation.json")) as f:
        assert json.load(f) == result
    assert result["test_conditions"] == 12
    assert 0.0 <= result["accuracy"]["test"] <= 1.0
    # With an EMA generator, the trained generator's accuracy is reported beside it.
    assert 0.0 <= result["accuracy"]["test_without_ema"] <= 1.0
    assert result["frechet_distance"] >= 0.0 and result["diversity"] >= 0.0
    # Real pictures of different pairs differ: the reference spread is positive.
    assert result["diversity_real"] > 0.0
    # Roughness of the real test pictures, recomputed from the data set itself.
    from avgan.data import pipeline
    from avgan.evaluation.roughness import roughness

    ds = pipeline.paired_dataset(index, "validation", 64, shuffle=False, drop_remainder=False)
    pictures = np.concatenate([b["image"].numpy() for b in ds])
    assert result["roughness_real"] == pytest.approx(roughness(pictures), rel=1e-6)
    assert result["roughness"] > 0.0
    assert "spectral_flatness" not in result  # pictures have no spectrum


def test_i2s_evaluation_reports_spectral_flatness_beside_the_real(setup, tmp_path):
    from avgan.data import pipeline
    from avgan.evaluation import flatness
    from avgan.evaluation.run import evaluate_dir
    from avgan.models.i2s import spectrogram_target, to_log_mel_44

    index = setup[0]
    config = _run(setup, 1, mode="i2s").replace(data=dict(root=index.root))
    model_dir = str(tmp_path / "i2s")
    gan.train_gan(config, index, model_dir, verbose=0)
    result = evaluate_dir(model_dir, draws=2, pose_epochs=1)
    # I2S's own outputs: spectrograms and their audio in TensorBoard, and a sound from
    # a picture by python -m avgan.generate.
    samples = _summary_tags(os.path.join(model_dir, "logs", "samples"))
    assert {"spectrograms/validation/generated", "audio/validation"} <= samples
    _check_generate(index, model_dir, "i2s", tmp_path)
    ds = pipeline.paired_dataset(index, "validation", 64, shuffle=False, drop_remainder=False)
    real = np.concatenate([to_log_mel_44(spectrogram_target(b["sound"])) for b in ds])
    assert result["spectral_flatness_real"] == pytest.approx(
        flatness.log_mel_flatness(real), rel=1e-6
    )
    # One step from noise: far flatter than the real notes' harmonic spectra.
    assert result["spectral_flatness"] > 10 * result["spectral_flatness_real"]
