"""Issue #22: a GAN run's state on disk stays finite and consistent through overflows,
kills and resumes (tiny preset on the fixture layout and encoders of test_gan)."""

import json
import os
import shutil
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from avgan import run_dir
from avgan.training import callbacks as cb
from avgan.training import gan
from tests.training.test_gan import _run, _train_command, setup  # noqa: F401 (fixture)

STEPS_PER_EPOCH = 3  # 24 training pairs of the fixture layout, batch 8


def _non_finite_tensors(model_dir: str) -> dict[str, list[str]]:
    """Checkpoint prefix -> the names of its float tensors holding a NaN or inf, for
    every checkpoint under MODEL_DIR/checkpoints."""
    folder = os.path.join(model_dir, run_dir.CHECKPOINT_DIR)
    state = tf.train.get_checkpoint_state(folder)
    found = {}
    for prefix in state.all_model_checkpoint_paths if state else []:
        reader = tf.train.load_checkpoint(prefix)
        found[prefix] = [
            name
            for name, _ in tf.train.list_variables(prefix)
            if np.issubdtype(np.asarray(reader.get_tensor(name)).dtype, np.floating)
            and not np.isfinite(reader.get_tensor(name)).all()
        ]
    return found


@pytest.fixture(scope="module")
def finished(setup, tmp_path_factory):  # noqa: F811
    """A finished one-epoch S2I-C run (3 steps, a checkpoint at step 3, one curve point);
    tests work on copies of it."""
    model_dir = str(tmp_path_factory.mktemp("finished") / "run")
    metrics = gan.train_gan(_run(setup, 1), setup[0], model_dir, verbose=0)
    assert metrics["steps"] == STEPS_PER_EPOCH
    return model_dir, metrics


def _copy(finished, tmp_path) -> str:
    model_dir = str(tmp_path / "run")
    shutil.copytree(finished[0], model_dir)
    return model_dir


# Finding 3: non-finite state ------------------------------------------------------------


def test_an_overflowing_update_is_never_checkpointed(setup, tmp_path):  # noqa: F811
    """aux_weight 1e25: step 1's losses are finite (about 1e25), but its gradients
    square to inf in Adam's second moments. No checkpoint of that state is written,
    and the error says that there is none yet."""
    config = _run(setup, 2, aux_weight=1e25, checkpoint_every=1).replace(
        train=dict(batch_size=16)  # one step per epoch: a checkpoint after step 1
    )
    model_dir = str(tmp_path / "overflow")
    with pytest.raises(cb.NonFiniteLossError) as error:
        gan.train_gan(config, setup[0], model_dir, verbose=0)
    message = str(error.value)
    assert "step 1" in message and "no checkpoint yet" in message, message
    assert "_velocity" in message  # Adam's second moments, named
    assert "None" not in message and "\n" not in message
    assert all(not bad for bad in _non_finite_tensors(model_dir).values())
    assert not tf.train.latest_checkpoint(os.path.join(model_dir, run_dir.CHECKPOINT_DIR))


def test_a_poisoned_state_after_a_good_checkpoint_names_that_checkpoint(tmp_path):
    """The guard checks every variable the checkpoint holds, optimizer slots included:
    an inf in one Adam moment after a good checkpoint at step 4 keeps step 5 off disk."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)  # builds the slots
    manager = tf.train.CheckpointManager(
        tf.train.Checkpoint(model=model, optimizer=model.optimizer), str(tmp_path), 3
    )
    guard = cb.StopOnNonFinite(state=model.variables + model.optimizer.variables)
    saver = cb.CheckpointEvery(manager, every=1, guard=guard)
    for callback in (guard, saver):
        callback.set_model(model)
    saver.on_train_begin()
    model.optimizer.iterations.assign(4)
    saver.on_epoch_end(0)
    assert manager.latest_checkpoint.endswith("ckpt-4")
    slot = next(v for v in model.optimizer.variables if "velocity" in v.path)
    slot.assign(np.full(slot.shape, np.inf, np.float32))
    model.optimizer.iterations.assign(5)
    saver.on_epoch_end(1)
    saver.on_train_end()
    assert guard.failed_step == 5 and model.stop_training
    assert manager.latest_checkpoint.endswith("ckpt-4")  # nothing written after it
    message = str(guard.error(manager.latest_checkpoint))
    assert "step 5" in message and manager.latest_checkpoint in message
    assert slot.path in message  # names what went non-finite


def test_the_command_line_reports_a_divergence_in_one_line(setup, tmp_path):  # noqa: F811
    model_dir = tmp_path / "cli"
    cmd = _train_command(
        setup,
        model_dir,
        "--epochs=2",
        "--batch_size=16",
        "--aux_weight=1e25",
        "--checkpoint_every=1",
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("python -m avgan.train: non-finite"), done.stderr[-3000:]
    assert "step 1" in last and "no checkpoint yet" in last


def test_a_weight_float32_cannot_hold_is_refused_by_flag(tmp_path):
    cmd = [sys.executable, "-m", "avgan.train", "--mode=s2i", "--preset=tiny", "--aux_weight=1e39"]
    cmd.append(f"--data={tmp_path / 'none'}")  # where an accepted value would stop
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "python -m avgan.train: --aux_weight (gan.aux_weight)=1e+39: must be a finite "
        "float32, at most 3.4e+38"
    )
    assert not os.path.exists(tmp_path / "runs")  # refused before any work


# Finding 4: the checkpoint and progress.json -------------------------------------------


class _Killed(Exception):
    """Stands for SIGKILL at a point of the run."""


def test_a_kill_right_after_a_checkpoint_keeps_its_curve_point_and_seconds(
    setup,  # noqa: F811
    finished,
    tmp_path,
    monkeypatch,
):
    model_dir = _copy(finished, tmp_path)
    before = finished[1]["seconds_total"]
    save = tf.train.CheckpointManager.save

    def save_then_die(self, *args, **kwargs):
        save(self, *args, **kwargs)
        raise _Killed

    # Extend to 2 epochs, killed once ckpt-6 is on disk and before anything else.
    monkeypatch.setattr(tf.train.CheckpointManager, "save", save_then_die)
    start = time.perf_counter()
    with pytest.raises(_Killed):
        gan.train_gan(_run(setup, 2), setup[0], model_dir, verbose=0)
    killed_leg = time.perf_counter() - start
    monkeypatch.undo()
    latest = tf.train.latest_checkpoint(os.path.join(model_dir, run_dir.CHECKPOINT_DIR))
    assert latest.endswith(f"ckpt-{2 * STEPS_PER_EPOCH}")

    resumed = gan.train_gan(_run(setup, 2), setup[0], model_dir, verbose=0)
    assert resumed["steps"] == 2 * STEPS_PER_EPOCH
    # Epoch 2's point was measured before ckpt-6 was written, and is kept with it.
    assert [row["epoch"] for row in resumed["curve"]] == [1, 2]
    assert resumed["curve"][0] == finished[1]["curve"][0]
    # The killed leg's seconds up to ckpt-6 count: more than the first leg's alone.
    carried = resumed["seconds_total"] - resumed["seconds_this_run"]
    assert before + 0.1 < carried <= before + killed_leg + 0.1


# Finding 7: leftovers ------------------------------------------------------------------


def test_a_kill_during_a_checkpoint_write_leaves_nothing_behind(
    setup,  # noqa: F811
    finished,
    tmp_path,
    monkeypatch,
):
    """Killed while writing ckpt-6, then rerun with checkpoints every 4 steps: no save
    reuses ckpt-6_temp (a save at that step would have cleared it itself), so only the
    cleanup at the start of the rerun removes it."""
    model_dir = _copy(finished, tmp_path)
    folder = os.path.join(model_dir, run_dir.CHECKPOINT_DIR)

    def die_while_writing(self, checkpoint_number=None, **kwargs):
        # What tf.train.Checkpoint leaves when killed mid-write: its shard folder.
        os.makedirs(os.path.join(folder, f"ckpt-{checkpoint_number}_temp"))
        raise _Killed

    monkeypatch.setattr(tf.train.CheckpointManager, "save", die_while_writing)
    with pytest.raises(_Killed):
        gan.train_gan(_run(setup, 3), setup[0], model_dir, verbose=0)
    monkeypatch.undo()
    assert os.path.isdir(os.path.join(folder, f"ckpt-{2 * STEPS_PER_EPOCH}_temp"))
    os.makedirs(os.path.join(folder, "notes_temp"))  # not a checkpoint's: kept

    resumed = gan.train_gan(_run(setup, 3, checkpoint_every=4), setup[0], model_dir, verbose=0)
    assert sorted(n for n in os.listdir(folder) if n.endswith("_temp")) == ["notes_temp"]
    # Resumed from ckpt-3: epochs 2 and 3 trained and measured again, the first leg's
    # seconds carried (the killed leg's went with its checkpoint).
    assert resumed["steps"] == 3 * STEPS_PER_EPOCH
    assert [row["epoch"] for row in resumed["curve"]] == [1, 2, 3]
    assert tf.train.latest_checkpoint(folder).endswith(f"ckpt-{3 * STEPS_PER_EPOCH}")
    carried = resumed["seconds_total"] - resumed["seconds_this_run"]
    assert carried == pytest.approx(finished[1]["seconds_total"], abs=0.15)


def test_a_leg_that_trains_no_step_reports_no_speed(setup, finished, tmp_path, capsys):  # noqa: F811
    """Killed after its final checkpoint, before metrics.json: the rerun resumes at
    the last step and trains none."""
    model_dir = _copy(finished, tmp_path)
    os.remove(os.path.join(model_dir, run_dir.METRICS_FILE))
    metrics = gan.train_gan(_run(setup, 1), setup[0], model_dir, verbose=1)
    assert metrics["steps"] == STEPS_PER_EPOCH
    assert metrics["steps_per_second"] is None
    assert metrics["steps_this_run"] == 0
    assert "no step trained" in metrics["note"]
    assert "no step trained" in capsys.readouterr().out
    assert metrics["curve"] == finished[1]["curve"]
    with open(os.path.join(model_dir, run_dir.METRICS_FILE)) as f:
        assert json.load(f)["steps_per_second"] is None
