"""Keras callbacks of GAN training: checkpoints, a non-finite guard, TensorBoard pictures,
and the accuracy of generated samples under a classifier (paper Fig. 9)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from avgan.data.constants import SAMPLE_RATE
from avgan.data.pictures import image_grid, spectrogram_pictures
from avgan.evaluation.accuracy import generated_accuracy
from avgan.models.i2s import spectrogram_target, to_log_mel_44


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN or infinite loss, or a NaN or inf in a variable a
    checkpoint would hold (the message names the step and the last good checkpoint)."""


def _name(variable) -> str:
    """A variable's path in its model or optimizer (Keras), else its TF name."""
    return getattr(variable, "path", None) or variable.name


class StopOnNonFinite(keras.callbacks.Callback):
    """Stops training at the first step whose losses are not finite, and keeps a state
    that is not finite off disk.

    A finite loss does not make a finite state: a gradient of 1e25 gives a finite loss
    and squares to inf in Adam's second moments, and only the next step's loss is NaN.
    So CheckpointEvery asks `state_is_finite()` before every save: one tf.function over
    every float variable of `state` (all a checkpoint holds: weights, the EMA
    generator, optimizer slots). Put the guard before CheckpointEvery: no bad state is
    saved, so the newest checkpoint on disk is the last good one. `failed_step` names
    the step afterwards, `error` makes the message.

    Args:
        state: the variables a checkpoint holds; None: the model's weights and its
            optimizer's variables.
    """

    def __init__(self, state: list | None = None):
        super().__init__()
        self.state = state
        self.failed_step: int | None = None
        self.reason = ""
        self._finite = None  # the traced check, made at its first call

    def _step(self) -> int:
        return int(self.model.optimizer.iterations.numpy())

    def _stop(self, step: int, reason: str) -> None:
        self.failed_step, self.reason = step, reason
        self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        bad = {k: v for k, v in logs.items() if k.endswith("loss") and not np.isfinite(float(v))}
        if bad:
            losses = ", ".join(f"{k}={float(v):g}" for k, v in sorted(bad.items()))
            step = self._step()
            self._stop(step, f"non-finite loss at step {step} ({losses})")

    def state_is_finite(self) -> bool:
        """Whether every float variable of the state is finite; if not, stops training
        naming the step and the variables."""
        if self._finite is None:
            state = self.state
            if state is None:
                state = self.model.weights + self.model.optimizer.variables
            self._variables = [v for v in state if tf.as_dtype(v.dtype).is_floating]
            # Traced once (~1 s): then ~5 ms for the 128 float variables (7 M values) of
            # the avgan recipe at width 32, against ~36 ms for an eager loop and ~250 ms
            # for the save itself (2 busy CPU cores).
            self._finite = tf.function(
                lambda: tf.stack([tf.reduce_all(tf.math.is_finite(v)) for v in self._variables])
            )
        finite = self._finite().numpy()
        if finite.all():
            return True
        bad = [_name(v) for v, ok in zip(self._variables, finite, strict=True) if not ok]
        shown = ", ".join(bad[:3]) + (", ..." if len(bad) > 3 else "")
        step = self._step()
        self._stop(
            step,
            f"non-finite state after step {step}: {len(bad)} of {len(finite)} "
            f"checkpointed variables hold NaN or inf ({shown})",
        )
        return False

    def error(self, latest_checkpoint: str | None) -> NonFiniteLossError:
        """The error of a stopped run, in one line: what went non-finite at which step,
        and the newest checkpoint on disk (`latest_checkpoint`), or that there is none."""
        if latest_checkpoint:
            kept = (
                f"nothing after it was saved: the newest checkpoint, {latest_checkpoint}, "
                "is the last good one, and a rerun resumes from it"
            )
        else:
            kept = "there is no checkpoint yet: a rerun starts from step 0"
        return NonFiniteLossError(
            f"{self.reason}; training stopped and {kept}. With the same settings it is "
            "likely to diverge again: retrain in a new model dir with lower learning "
            "rates or loss weights."
        )


class CheckpointEvery(keras.callbacks.Callback):
    """Saves a tf.train.CheckpointManager at the end of the first epoch that ends at
    least `every` steps after the last save, and at the end of training, numbered by the
    step. Only at epoch ends, so a resumed run starts at an epoch boundary and trains
    exactly its epochs' steps. Saves nothing once the guard stopped training (a bad
    loss) or when the state is not finite (`guard.state_is_finite`).

    `before_save(step)` runs just before each save: what it writes for the step (the
    trainer's progress.json) is on disk whenever the checkpoint is, so a kill between
    the two loses nothing; a kill during the save leaves the older checkpoint, whose
    entry is still there.
    """

    def __init__(
        self,
        manager: tf.train.CheckpointManager,
        every: int,
        guard: StopOnNonFinite,
        before_save=None,
    ):
        super().__init__()
        self.manager, self.every, self.guard = manager, every, guard
        self.before_save = before_save
        self.saved_step = 0

    def set_model(self, model):
        super().set_model(model)
        if self.guard.model is None:  # a guard used for its state check alone
            self.guard.set_model(model)

    def _step(self) -> int:
        return int(self.model.optimizer.iterations.numpy())

    def on_train_begin(self, logs=None):
        self.saved_step = self._step()  # restored from a checkpoint, or 0

    def on_epoch_end(self, epoch, logs=None):
        if self._step() - self.saved_step >= self.every:
            self._save()

    def on_train_end(self, logs=None):
        if self._step() != self.saved_step:
            self._save()

    def _save(self):
        if self.guard.failed_step is not None or not self.guard.state_is_finite():
            return
        step = self._step()
        if self.before_save is not None:
            self.before_save(step)
        self.manager.save(checkpoint_number=step)
        self.saved_step = step


class Samples(keras.callbacks.Callback):
    """Each epoch: TensorBoard pictures of generated samples for fixed conditions and noise.

    S2I: a grid of [real | generated] pictures; I2S: real and generated spectrograms,
    and the generated ones as audio (through `avgan.synthesis`).
    """

    def __init__(
        self,
        log_dir: str,
        conditions: dict[str, dict],
        z: np.ndarray,
        direction: str,
        audio: bool = True,
    ):
        super().__init__()
        self.writer = tf.summary.create_file_writer(log_dir)
        self.conditions, self.z, self.direction, self.audio = conditions, z, direction, audio

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        # record_if(True): Keras' TensorBoard callback leaves a batch-based recording
        # condition set (update_freq) that is off at epoch ends, which dropped these.
        with self.writer.as_default(step=step), tf.summary.record_if(True):
            for split, batch in self.conditions.items():
                if self.direction == "s2i":
                    fake = self.model.generate(
                        batch["sound"], z=self.z[: len(batch["sound"])]
                    ).numpy()
                    real = batch["image"].numpy()
                    pairs = np.stack([image_grid(real, 1), image_grid(fake, 1)], 0)
                    grid = np.concatenate(list(pairs), axis=1)
                    tf.summary.image(f"samples/{split}", grid[None], max_outputs=1)
                else:
                    fake = self.model.generate(
                        batch["image"], z=self.z[: len(batch["image"])]
                    ).numpy()
                    real = spectrogram_target(batch["sound"]).numpy()
                    tf.summary.image(
                        f"spectrograms/{split}/generated", spectrogram_pictures(fake), max_outputs=4
                    )
                    tf.summary.image(
                        f"spectrograms/{split}/real", spectrogram_pictures(real), max_outputs=4
                    )
                    if self.audio:
                        from avgan.synthesis import log_mel_to_audio

                        waves = log_mel_to_audio(to_log_mel_44(fake[:2]), n_iter=16)
                        tf.summary.audio(
                            f"audio/{split}", waves[..., None], SAMPLE_RATE, max_outputs=2
                        )
        self.writer.flush()


class GeneratedAccuracy(keras.callbacks.Callback):
    """Every `every` epochs: accuracy of generated samples on train and test conditions
    (paper Fig. 9), logged to TensorBoard and kept in `history`."""

    def __init__(
        self,
        log_dir: str,
        classifier,
        datasets: dict,
        direction: str,
        every: int,
        max_batches: int = 8,
    ):
        super().__init__()
        self.writer = tf.summary.create_file_writer(log_dir)
        self.classifier, self.datasets = classifier, datasets
        self.direction, self.every, self.max_batches = direction, every, max_batches
        self.history: list[dict] = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        step = int(self.model.optimizer.iterations.numpy())
        row = {"epoch": epoch + 1, "step": step}
        # record_if(True): Keras' TensorBoard callback leaves a batch-based recording
        # condition set (update_freq) that is off at epoch ends, which dropped these.
        with self.writer.as_default(step=step), tf.summary.record_if(True):
            for split, dataset in self.datasets.items():
                accuracy = generated_accuracy(
                    self.model, self.classifier, dataset, self.direction, self.max_batches
                )
                tf.summary.scalar(f"generated_accuracy/{split}", accuracy)
                row[split] = accuracy
        self.writer.flush()
        self.history.append(row)
