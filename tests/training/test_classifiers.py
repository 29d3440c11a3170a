"""Training the encoders into a model directory: results, files, resume, refusals."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from avgan import config as config_lib
from avgan import run_dir
from avgan.data import layout, pipeline
from avgan.training import classifiers
from tests.data.layout_fixture import write_layout, write_pitches

TINY = config_lib.preset("tiny")


def _config(epochs: int, **model) -> config_lib.Config:
    return TINY.replace(train=dict(epochs=epochs, batch_size=8), model=model)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """3 instruments (sines at 200/400/600 Hz, flat colours) x 3 recordings x 4 chunks,
    with pitch metadata: chunk 3 of every recording is a rest."""
    root = tmp_path_factory.mktemp("layout")
    write_pitches(root, write_layout(root, recordings=3, chunks=4))
    return layout.read_layout(root, progress=False)


def test_sound_classifier_learns_saves_and_is_not_retrained(index, tmp_path):
    model_dir = str(tmp_path / "sc")
    metrics = classifiers.train_sound_classifier(_config(8), index, model_dir, verbose=0)
    # Three sines an octave apart are separable: far above chance (1/3).
    assert metrics["accuracy"] > 0.6 and metrics["test_examples"] == 12
    for name in ("config.json", "avgan_mode.json", "encoder.keras", "metrics.json", "logs"):
        assert os.path.exists(os.path.join(model_dir, name)), name
    with open(os.path.join(model_dir, "config.json")) as f:
        assert json.load(f)["train"]["epochs"] == 8
    encoder = keras.models.load_model(os.path.join(model_dir, "encoder.keras"))
    assert encoder.encode(np.zeros((2, 22050), np.float32)).shape == (2, 128)
    mtime = os.stat(os.path.join(model_dir, "encoder.keras")).st_mtime_ns
    again = classifiers.train_sound_classifier(_config(8), index, model_dir, verbose=0)
    assert again == metrics
    assert os.stat(os.path.join(model_dir, "encoder.keras")).st_mtime_ns == mtime


def test_a_model_dir_of_another_run_is_refused(index, tmp_path):
    model_dir = str(tmp_path / "taken")
    run_dir.claim(model_dir, "sound_classifier", representation="lms")
    with pytest.raises(run_dir.ModelDirError, match="mode=sound_classifier"):
        classifiers.train_image_classifier(_config(1), index, model_dir, verbose=0)
    with pytest.raises(run_dir.ModelDirError, match="representation=lms"):
        run_dir.claim(model_dir, "sound_classifier", representation="cqt")


def test_pitch_head_is_scored_on_pitched_chunks_only(index, tmp_path):
    metrics = classifiers.train_sound_classifier(
        _config(2), index, str(tmp_path / "pitch"), pitch=True, verbose=0
    )
    assert metrics["pitched_examples"] == 9  # 12 validation chunks, 3 of them rests
    assert 0.0 <= metrics["pitch_accuracy"] <= 1.0


# Keras 3.15's texts of the warnings that read like failures (EXPECTED_WARNINGS).
KERAS_NOISE = (
    "Your input ran out of data; interrupting training. Make sure that your dataset or "
    "generator can generate at least `steps_per_epoch * epochs` batches.",
    "`shuffle=True` was passed, but will be ignored since the data `x` was provided as a "
    "tf.data.Dataset. The Dataset is expected to already be shuffled (via "
    "`.shuffle(buffer_size)`).",
    "`build()` was called on layer 'image_classifier', however the layer does not have a "
    "`build()` method implemented and it looks like it has unbuilt state.",
)


def test_only_the_expected_keras_warnings_are_hidden(recwarn):
    import warnings

    with classifiers.expected_warnings_hidden():
        for message in KERAS_NOISE:
            warnings.warn(message, UserWarning, stacklevel=1)
        warnings.warn("Your input is something else", UserWarning, stacklevel=1)
        warnings.warn(KERAS_NOISE[0], DeprecationWarning, stacklevel=1)  # another category: shown
    warnings.warn(KERAS_NOISE[0], UserWarning, stacklevel=1)  # outside the block: shown
    assert [str(w.message)[:28] for w in recwarn] == [
        "Your input is something else",
        KERAS_NOISE[0][:28],
        KERAS_NOISE[0][:28],
    ]


def test_image_classifier_fits_and_reports_held_out_accuracy(index, tmp_path, recwarn):
    model_dir = str(tmp_path / "ic")
    metrics = classifiers.train_image_classifier(_config(20), index, model_dir, verbose=0)
    # Training printed none of Keras's warnings that read like failures.
    shown = [str(w.message) for w in recwarn]
    assert not [m for m in shown if m.startswith(tuple(k[:20] for k in KERAS_NOISE))], shown
    assert 0.0 <= metrics["accuracy"] <= 1.0 and metrics["mode"] == "image_classifier"
    # It learned the training pictures (their red channel encodes the instrument); the
    # fixture's held-out recordings have colours never seen, so only fitting is asserted.
    model = keras.models.load_model(os.path.join(model_dir, "encoder.keras"))
    images, labels = next(iter(pipeline.image_dataset(index, "train", 64, shuffle=False)))
    predicted = np.argmax(model(images, training=False).numpy(), axis=-1)
    assert np.mean(predicted == labels.numpy()) > 0.5  # chance: 1/3
    # The file kept is the last epoch's (not the one that scored best on the held-out
    # split it is then judged on): each epoch has its own step on the cosine schedule.
    rate = TINY.train.classifier_learning_rate
    last = rate * 0.5 * (1 + np.cos(np.pi * 19 / 20))
    assert classifiers.cosine_epochs(rate, 20)(19) == pytest.approx(last)
    assert classifiers.cosine_epochs(rate, 20)(0) == pytest.approx(rate)
    kept_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    assert kept_rate == pytest.approx(last, rel=1e-5)
    assert model.pooling == "global"


def test_autoencoder_trains_four_stacks_and_resumes(index, tmp_path):
    model_dir = str(tmp_path / "ae")
    metrics = classifiers.train_sound_autoencoder(_config(1), index, model_dir, verbose=0)
    assert len(metrics["mse"]) == 4 and all(np.isfinite(metrics["mse"]))
    model = keras.models.load_model(os.path.join(model_dir, "encoder.keras"))
    first_stacks = [v.numpy().copy() for k in range(3) for v in model.stack_variables(k)]
    # As if killed before the last stack: rerunning trains only stack 4.
    os.remove(os.path.join(model_dir, "metrics.json"))
    with open(os.path.join(model_dir, "state.json"), "w") as f:
        json.dump({"stack": 3, "epoch": 0, "seconds": 0.0}, f)
    classifiers.train_sound_autoencoder(_config(1), index, model_dir, verbose=0)
    resumed = keras.models.load_model(os.path.join(model_dir, "encoder.keras"))
    again = [v.numpy() for k in range(3) for v in resumed.stack_variables(k)]
    for a, b in zip(first_stacks, again, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow  # two TF start-ups and a training run: ~30 s idle, minutes when loaded
def test_killed_training_resumes_at_the_next_epoch(index, tmp_path):
    model_dir = tmp_path / "killed"
    cmd = [sys.executable, "-m", "avgan.train", "--mode=image_classifier", "--preset=tiny",
           f"--data={index.root}", f"--model_dir={model_dir}", "--epochs=5"]  # fmt: skip
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            text=True)  # fmt: skip
    backup = model_dir / "backup" / "training_metadata.json"
    deadline = time.time() + 120
    while not backup.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert backup.exists(), proc.stdout.read()[-2000:]
    with open(backup) as f:
        done = json.load(f)["epoch"] + 1
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert f"Epoch {done + 1}/5" in rerun.stdout and "Epoch 1/5" not in rerun.stdout
