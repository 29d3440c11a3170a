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
    """Training produced a NaN or infinite loss."""


class StopOnNonFinite(keras.callbacks.Callback):
    """Stops training at the first step whose losses are not finite.

    Put it before CheckpointEvery: the bad step is never saved, so the last checkpoint
    on disk is the last good one. `failed_step` names the step afterwards.
    """

    def __init__(self):
        super().__init__()
        self.failed_step: int | None = None

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        bad = {k: v for k, v in logs.items() if k.endswith("loss") and not np.isfinite(float(v))}
        if bad:
            self.failed_step = int(self.model.optimizer.iterations.numpy())
            self.model.stop_training = True


class CheckpointEvery(keras.callbacks.Callback):
    """Saves a tf.train.CheckpointManager at the end of the first epoch that ends at
    least `every` steps after the last save, and at the end of training, numbered by the
    step; then calls `on_save(step)`. Only at epoch ends, so a resumed run starts at an
    epoch boundary and trains exactly its epochs' steps. Skips saving once training was
    stopped for a bad loss."""

    def __init__(
        self,
        manager: tf.train.CheckpointManager,
        every: int,
        guard: StopOnNonFinite,
        on_save=None,
    ):
        super().__init__()
        self.manager, self.every, self.guard, self.on_save = manager, every, guard, on_save
        self.saved_step = 0

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
        if self.guard.failed_step is not None:
            return
        step = self._step()
        self.manager.save(checkpoint_number=step)
        self.saved_step = step
        if self.on_save is not None:
            self.on_save(step)


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
