"""GAN-CLS training under tf.distribute: S2I-C / S2I-N / S2I-A, pose-oriented S2I, I2S.

`train_gan` trains one GAN into a model directory (layout: `avgan.run_dir`):

    config.json, avgan_mode.json   the resolved configuration and the owning run
    checkpoints/                   networks, EMA, optimizers, noise states, step, saved
                                   at epoch ends when all of it is finite; rerunning
                                   resumes from the newest one
    progress.json                  the Fig. 9 curve and the training seconds at each
                                   checkpoint, written just before it, so a resumed
                                   run's metrics keep them
    logs/                          TensorBoard: losses and scores, sample pictures,
                                   spectrograms and audio (I2S), generated accuracy
    metrics.json                   generated-sample accuracy on train and test
                                   conditions, the Fig. 9 curve, time and steps/s
    samples_test.png               held-out conditions: real (left) next to generated

Encoders come by path (`config.gan.sound_encoder`, `image_encoder`) or are trained
first into MODEL_DIR/encoders/ by `avgan.training.classifiers`.
"""

from __future__ import annotations

import dataclasses
import os
import time

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from avgan import run_dir
from avgan.config import Config, ConfigError, GanConfig
from avgan.data import pipeline
from avgan.data.files import atomic_path
from avgan.data.layout import PairIndex
from avgan.data.pictures import image_grid, spectrogram_pictures
from avgan.evaluation.accuracy import generated_accuracy
from avgan.models.i2s import spectrogram_target
from avgan.training import callbacks as cb
from avgan.training import classifiers
from avgan.training.gan_cls import GanCls, make_gan
from avgan.training.strategy import make_strategy

SAMPLE_CONDITIONS = 8  # held-out conditions in the sample grids
SPLITS = ("train", "validation")  # where the Fig. 9 accuracy is measured


def train_gans(config: Config, index: PairIndex, model_dir: str, verbose: int = 1) -> list[dict]:
    """One GAN, or for s2i_pose one per instrument (MODEL_DIR/<instrument>): the
    instruments of `config.gan.instruments`, all of the data's when empty; with
    `gan.pose_models` 'shared', one pose model for them all (in MODEL_DIR).

    Raises:
        ConfigError: an instrument the data does not have.
    """
    if config.mode != "s2i_pose":
        return [train_gan(config, index, model_dir, verbose)]
    unknown = sorted(set(config.gan.instruments) - set(index.instruments))
    if unknown:
        raise ConfigError(
            f"--instrument: unknown {', '.join(unknown)}; "
            f"the data has {', '.join(index.instruments)}"
        )
    if config.gan.pose_models == "shared":
        return [train_gan(config, index, model_dir, verbose)]
    return [
        train_gan(
            config.replace(gan=dict(instruments=(name,))),
            index,
            os.path.join(model_dir, name),
            verbose,
        )
        for name in config.gan.instruments or index.instruments
    ]


def train_encoders(config: Config, index: PairIndex, model_dir: str) -> dict[str, str]:
    """Paths of the conditioning encoder and the evaluation classifier
    ({"condition", "evaluator"}), training any the config does not give into
    MODEL_DIR/encoders/<mode>/ for half the GAN's epochs."""
    paths = {}
    for role, kind in run_dir.encoder_kinds(config).items():
        paths[role] = run_dir.given_encoder(config, kind)
        if not paths[role] and kind == "pitch_sound_classifier" and not _has_pitch(index):
            # A pose model on data without note labels: the instrument classifier.
            print(f"{index.root}: no pitch metadata; conditioning on the sound classifier")
            kind = "sound_classifier"
        if not paths[role]:
            folder = run_dir.trained_encoder_dir(model_dir, kind)
            classifiers.TRAINERS[kind](_encoder_config(config, kind), index, folder)
            paths[role] = os.path.join(folder, run_dir.ENCODER_FILE)
    return paths


def _check_pitch_settings(config: Config, index: PairIndex) -> None:
    """Refuses, before anything is written, a setting that reads the notes' pitches
    (aux_target 'pitch', near_pitch, same_recording, condition 'pitch_posterior') on
    data without pitch
    metadata, and a given sound encoder without the pitch head the condition needs.

    Raises:
        ConfigError: naming the field.
    """
    gan_config = config.gan
    reads_pitch = {
        "aux_target": gan_config.aux_weight > 0 and gan_config.aux_target == "pitch",
        "near_pitch": gan_config.near_pitch > 0,
        "same_recording": gan_config.same_recording,
        "condition": gan_config.condition == "pitch_posterior",
    }
    needs = [f"gan.{f}={getattr(gan_config, f)!r}" for f, used in reads_pitch.items() if used]
    if needs and not _has_pitch(index):
        raise ConfigError(
            f"{', '.join(needs)}: {index.root} has no pitch metadata (URMP's Notes, or the "
            "synthetic ensemble's notes) to read the notes' pitches from"
        )
    given = run_dir.given_encoder(config, "pitch_sound_classifier")
    if gan_config.condition == "pitch_posterior" and given:
        try:
            run_dir.load_condition_encoder(config, given)
        except ValueError as e:
            raise ConfigError(str(e)) from None


def _aux_classes(config: Config, index: PairIndex) -> int:
    """The auxiliary head's classes: the data's instruments, or the MIDI pitches."""
    if config.gan.aux_target != "pitch":
        return len(index.instruments)
    return classifiers.PITCH_CLASSES


def _has_pitch(index: PairIndex) -> bool:
    """Whether every pair has a MIDI pitch (rests count), as the pitch-aware classifier needs."""
    return all(p.pitch is not None for p in index.pairs)


def _encoder_config(config: Config, kind: str) -> Config:
    """The config an encoder of a GAN run trains with: the run's data, model and seed,
    half its epochs, none of its GAN settings."""
    return dataclasses.replace(
        config.replace(train=dict(epochs=max(config.train.epochs // 2, 1))),
        mode=kind,
        gan=GanConfig(),
    )


def build_gan(config: Config, encoder: keras.Model, num_classes: int = 0) -> GanCls:
    """Networks, GAN and both optimizers; call inside `strategy.scope()`.

    `num_classes` (the data's instruments) gives the discriminator the auxiliary
    classifier that `config.gan.aux_weight` trains; 0 leaves it out.
    """
    gan = make_gan(config, encoder, num_classes)

    train = config.train

    def adam(learning_rate: float) -> keras.optimizers.Optimizer:
        return keras.optimizers.Adam(learning_rate, beta_1=train.beta_1, beta_2=train.beta_2)

    d_learning_rate = train.d_learning_rate or train.learning_rate  # two time-scales if set
    gan.compile(
        adam(d_learning_rate), adam(train.learning_rate), jit_compile=config.runtime.jit_compile
    )
    return gan


def restore_gan(
    config: Config, encoder_path: str, model_dir: str, num_classes: int = 0
) -> tuple[GanCls, tf.train.CheckpointManager]:
    """Builds the GAN and restores MODEL_DIR's newest checkpoint, if any, whole.

    Call inside the strategy's scope: restoring there keeps optimizer slots mirrored.
    `num_classes`: see `build_gan`.
    """
    encoder = run_dir.load_condition_encoder(config, encoder_path)
    gan = build_gan(config, encoder, num_classes)
    manager = run_dir.checkpoint_manager(model_dir, run_dir.checkpoint_objects(gan))
    if manager.latest_checkpoint:
        manager.checkpoint.restore(manager.latest_checkpoint).expect_partial()
    return gan, manager


@dataclasses.dataclass
class _Data:
    """What a GAN run reads: the repeated training batches, the splits the Fig. 9
    accuracy is measured on, and the fixed conditions and noise of the sample grids."""

    train: tf.data.Dataset
    steps_per_epoch: int
    eval_sets: dict[str, tf.data.Dataset]
    conditions: dict[str, dict]
    z: np.ndarray


def _datasets(config: Config, index: PairIndex, step: int) -> _Data:
    """The run's data, the training batches resuming after `step` steps."""
    instruments = list(config.gan.instruments) or None
    n_train = len(pipeline.select_pairs(index, "train", instruments))
    wrong = "pose" if config.mode == "s2i_pose" else "instrument"
    batch = config.train.batch_size

    def split(name: str, size: int, **kwargs) -> tf.data.Dataset:
        return pipeline.paired_dataset(
            index,
            name,
            size,
            wrong_pairs=wrong,
            near_pitch=config.gan.near_pitch,
            same_recording=config.gan.same_recording,
            instruments=instruments,
            **kwargs,
        )

    train = split("train", batch, seed=config.train.seed, repeat=True, skip_batches=step)
    eval_sets = {s: split(s, batch, seed=1, drop_remainder=False) for s in SPLITS}
    # A seeded shuffle of each whole split, so the sample batch mixes instruments: the
    # first elements of the evaluation stream (rebatched, not rebuilt: building a
    # pipeline traces its loader, about a second on a CPU).
    conditions = {
        s: next(iter(eval_sets[s].unbatch().batch(SAMPLE_CONDITIONS).take(1))) for s in SPLITS
    }
    rng = np.random.default_rng(config.train.seed)
    z = rng.standard_normal((SAMPLE_CONDITIONS, config.model.z_dim)).astype(np.float32)
    return _Data(train, max(n_train // batch, 1), eval_sets, conditions, z)


class _Progress:
    """The Fig. 9 curve and the training seconds across the legs of a resumed run;
    written to progress.json just before every checkpoint (`save`).

    progress.json: {"step": the newest step written, "curve": the curve up to it,
    "seconds": the seconds at it, "seconds_at_step": {step: seconds} for it and every
    checkpoint on disk}. Written before the checkpoint, it always holds the entry of the
    checkpoint a rerun restores: of the new one once it is saved, of the one before if
    a kill cuts the save short.
    """

    def __init__(
        self,
        model_dir: str,
        step: int,
        finished: dict | None,
        manager: tf.train.CheckpointManager,
    ):
        self.model_dir, self.manager = model_dir, manager
        self.curve, self.seconds_before = _progress_at(model_dir, step, finished)
        self.seconds_at_step: dict[str, float] = {}
        self.accuracy: cb.GeneratedAccuracy | None = None
        self.start = time.perf_counter()

    def full_curve(self) -> list[dict]:
        return self.curve + self.accuracy.history

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def save(self, at_step: int) -> None:
        """Writes progress.json for a checkpoint about to be saved at `at_step`."""
        file = run_dir.path(self.model_dir, run_dir.PROGRESS_FILE)
        if not self.seconds_at_step and os.path.exists(file):  # the earlier legs' entries
            self.seconds_at_step = _seconds_at_step(run_dir.read_json(file))
        seconds = round(self.seconds_before + self.elapsed(), 1)
        on_disk = {run_dir.checkpoint_step(p) for p in self.manager.checkpoints}
        self.seconds_at_step = {
            **{k: v for k, v in self.seconds_at_step.items() if int(k) in on_disk},
            str(at_step): seconds,
        }
        progress = {
            "step": at_step,
            "curve": self.full_curve(),
            "seconds": seconds,
            "seconds_at_step": self.seconds_at_step,
        }
        run_dir.write_json(file, progress)


def _checkpointed_variables(gan: GanCls) -> list:
    """Every variable of the checkpoint layout (`run_dir.checkpoint_objects`): both
    networks, the EMA generator and both optimizers' slots and counters."""
    variables = []
    for value in run_dir.checkpoint_objects(gan).values():
        variables += list(value.variables) if hasattr(value, "variables") else [value]
    return variables


def _callbacks(
    config, model_dir, gan, manager, evaluator, data, progress
) -> tuple[list, cb.StopOnNonFinite]:
    """The training callbacks, in their order, and the non-finite guard among them."""
    guard = cb.StopOnNonFinite(state=_checkpointed_variables(gan))
    progress.accuracy = cb.GeneratedAccuracy(
        os.path.join(model_dir, "logs", "eval"),
        evaluator,
        data.eval_sets,
        config.direction,
        config.gan.eval_every,
    )
    samples = cb.Samples(
        os.path.join(model_dir, "logs", "samples"),
        data.conditions,
        data.z,
        config.direction,
        audio=config.gan.audio_summaries,
    )
    return [
        guard,
        keras.callbacks.TensorBoard(os.path.join(model_dir, "logs"), update_freq=25),
        samples,
        progress.accuracy,
        # After the accuracy: an epoch's curve point is measured before it is saved.
        cb.CheckpointEvery(manager, config.gan.checkpoint_every, guard, before_save=progress.save),
    ], guard


def _previous_run(config: Config, model_dir: str, verbose: int) -> tuple[dict | None, bool]:
    """(metrics.json of an earlier run in MODEL_DIR or None, whether it is done)."""
    finished = run_dir.path(model_dir, run_dir.METRICS_FILE)
    if not os.path.exists(finished):
        return None, False
    previous = run_dir.read_json(finished)
    if previous["steps"] >= config.train.epochs * previous["steps_per_epoch"]:
        return previous, True
    # More epochs than the finished run had: train on from its newest checkpoint,
    # keeping its Fig. 9 curve.
    if verbose:
        print(
            f"{model_dir}: finished at step {previous['steps']}; extending to "
            f"{config.train.epochs} epochs"
        )
    return previous, False


def train_gan(config: Config, index: PairIndex, model_dir: str, verbose: int = 1) -> dict:
    """Trains (or resumes) one GAN; returns its metrics.

    Raises:
        run_dir.ModelDirError: MODEL_DIR belongs to another run.
        cb.NonFiniteLossError: a loss, or the state at a checkpoint, became NaN/inf;
            names the step and the newest checkpoint on disk, the last good one.
        ConfigError: a setting that reads the notes' pitches, on data without them
            (`_check_pitch_settings`).
    """
    if not config.is_gan:
        raise ValueError(f"mode={config.mode!r} is not a GAN mode")
    _check_pitch_settings(config, index)  # before anything is written
    aux_classes = _aux_classes(config, index)
    run_dir.claim(model_dir, config.mode, **run_dir.gan_identity(config))
    run_dir.remove_partial_checkpoints(model_dir)
    previous, done = _previous_run(config, model_dir, verbose)
    if done:
        return previous
    # Written only when training happens, so it always describes metrics.json's run.
    run_dir.save_config(model_dir, config)
    paths = train_encoders(config, index, model_dir)
    if config.runtime.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    keras.utils.set_random_seed(config.train.seed)
    strategy = make_strategy(config.runtime.strategy)
    with strategy.scope():
        gan, manager = restore_gan(config, paths["condition"], model_dir, aux_classes)
    evaluator = keras.models.load_model(paths["evaluator"])
    step = int(gan.optimizer.iterations.numpy())
    if step and verbose:
        print(f"resuming from step {step} ({manager.latest_checkpoint})")
    data = _datasets(config, index, step)
    progress = _Progress(model_dir, step, previous, manager)
    callbacks, guard = _callbacks(config, model_dir, gan, manager, evaluator, data, progress)
    progress.start = time.perf_counter()
    gan.fit(
        data.train,
        epochs=config.train.epochs,
        steps_per_epoch=data.steps_per_epoch,
        initial_epoch=min(step // data.steps_per_epoch, config.train.epochs),
        callbacks=callbacks,
        verbose=verbose,
    )
    seconds = progress.elapsed()
    if guard.failed_step is not None:
        raise guard.error(manager.latest_checkpoint)
    metrics = _final_metrics(config, gan, evaluator, data, progress, seconds, step)
    if "note" in metrics and verbose:
        print(f"{model_dir}: {metrics['note']}")
    metrics.update(replicas=strategy.num_replicas_in_sync, encoders=paths)
    _write_sample_grid(gan, data.conditions["validation"], data.z, config.direction, model_dir)
    run_dir.write_json(run_dir.path(model_dir, run_dir.METRICS_FILE), metrics)
    return metrics


def _final_metrics(config, gan, evaluator, data, progress, seconds, start_step) -> dict:
    """metrics.json's figures: the generated accuracy on every condition of each split,
    the whole curve, and the time over every leg of the run."""
    final = {
        split: generated_accuracy(gan, evaluator, ds, config.direction, max_batches=10**6)
        for split, ds in data.eval_sets.items()
    }
    steps = int(gan.optimizer.iterations.numpy())
    trained = steps - start_step
    metrics = {
        "mode": config.mode,
        "variant": config.gan.variant if config.direction == "s2i" else None,
        "instruments": list(config.gan.instruments),
        "preset": config.preset,
        "generated_accuracy": {"train": final["train"], "test": final["validation"]},
        "curve": progress.full_curve(),
        "steps": steps,
        "steps_per_epoch": data.steps_per_epoch,
        "seconds_this_run": round(seconds, 1),
        "seconds_total": round(seconds + progress.seconds_before, 1),
        "steps_this_run": trained,
        # This leg's steps only; None when it trained none (no speed was measured).
        "steps_per_second": round(trained / seconds, 3) if trained and seconds else None,
        "strategy": config.runtime.strategy,
    }
    if not trained:
        metrics["note"] = (
            f"no step trained in this run: it resumed at its final step {steps} (killed "
            "after its last checkpoint), so steps_per_second is None"
        )
    return metrics


def _progress_at(model_dir: str, step: int, finished: dict | None) -> tuple[list, float]:
    """The Fig. 9 curve and training seconds a run had reached at its restored `step`:
    from a finished run's metrics.json (extended with more epochs) when it ended there,
    else from progress.json, written at each checkpoint (a killed run); nothing at 0."""
    if finished is not None and finished["steps"] == step:
        return finished["curve"], finished.get("seconds_total", finished["seconds_this_run"])
    file = run_dir.path(model_dir, run_dir.PROGRESS_FILE)
    if not step or not os.path.exists(file):
        return [], 0.0
    progress = run_dir.read_json(file)
    seconds = {int(k): v for k, v in _seconds_at_step(progress).items()}
    # The restored checkpoint's own entry; from a progress.json written before entries
    # were kept by step, the newest at or before it (seconds after it are lost).
    known = [s for s in seconds if s <= step]
    # Points past the checkpoint are trained again, and so measured again.
    curve = [p for p in progress["curve"] if p["step"] <= step]
    return curve, seconds[max(known)] if known else 0.0


def _seconds_at_step(progress: dict) -> dict[str, float]:
    """progress.json's seconds by step ({"3": 12.5, ...}); a file written before they
    were kept by step has those of its one step."""
    return progress.get("seconds_at_step", {str(progress["step"]): progress["seconds"]})


def _write_sample_grid(
    gan: GanCls, batch: dict, z: np.ndarray, direction: str, model_dir: str
) -> None:
    """Held-out conditions: a column of real samples next to a column of generated ones,
    into MODEL_DIR/samples_test.png."""
    z = z[: len(batch["label"])]
    if direction == "s2i":
        real, fake = batch["image"].numpy(), gan.generate(batch["sound"], z=z).numpy()
    else:
        real = spectrogram_pictures(spectrogram_target(batch["sound"]).numpy())
        fake = spectrogram_pictures(gan.generate(batch["image"], z=z).numpy())
    columns = np.concatenate([image_grid(real, 1), image_grid(fake, 1)], axis=1)
    picture = Image.fromarray(columns)
    scale = 3 if direction == "s2i" else 1
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    with atomic_path(run_dir.path(model_dir, run_dir.SAMPLES_FILE)) as tmp:
        picture.save(tmp, "PNG")
