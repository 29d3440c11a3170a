"""GAN-CLS training under tf.distribute: S2I-C / S2I-N / S2I-A, pose-oriented S2I, I2S.

`train_gan` trains one GAN into a model directory:

    config.json, avgan_mode.json   the resolved configuration and the owning mode
    checkpoints/                   tf.train.CheckpointManager: networks, EMA, optimizers,
                                   step, saved at epoch ends; rerunning resumes from the
                                   newest one
    progress.json                  the Fig. 9 curve and training seconds up to the newest
                                   checkpoint, so a resumed run's metrics keep them
    logs/                          TensorBoard: losses and scores, sample pictures,
                                   spectrograms and audio (I2S), generated accuracy
    metrics.json                   generated-sample accuracy on train and test
                                   conditions, the Fig. 9 curve, time and steps/s
    samples_test.png               held-out conditions: real (left) next to generated

Encoders come by path (`sound_encoder`, `image_encoder`) or are trained first into
MODEL_DIR/encoders/ by `avgan.training.classifiers`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from avgan.config import Config
from avgan.data import pipeline
from avgan.data.files import atomic_path, write_text
from avgan.data.layout import PairIndex
from avgan.models.gan_cls import GanCls, make_gan
from avgan.models.i2s import spectrogram_target
from avgan.training import callbacks as cb
from avgan.training import classifiers
from avgan.training.augment import parse_policy

STRATEGIES = ("auto", "mirrored", "multi_worker", "one_device")
PROGRESS_FILE = "progress.json"
_MULTI_WORKER: tf.distribute.Strategy | None = None
VARIANTS = ("c", "n", "a")


@dataclasses.dataclass(frozen=True)
class GanRun:
    """What to train.

    Attributes:
        mode: 's2i', 's2i_pose' or 'i2s'.
        variant: S2I only: 'c' (classifier encoding), 'n' (no mismatch term), 'a'
            (autoencoder encoding).
        instruments: restrict the data (pose-oriented S2I trains one instrument).
        checkpoint_every: steps between checkpoints (saved at the next epoch end).
        eval_every: epochs between generated-accuracy measurements (Fig. 9).
        ema: keep an EMA generator for sampling.
        audio_summaries: I2S: TensorBoard audio of generated spectrograms each epoch
            (Griffin-Lim: a few seconds per epoch on a CPU).
        augment: DiffAugment policy for the discriminator's inputs ('' = the paper's
            training; see `avgan.training.augment`).
        aux_weight: weight of an auxiliary instrument classifier on the discriminator
            (AC-GAN; 0 = the paper's training; see `avgan.models.gan_cls`).
    """

    mode: str = "s2i"
    variant: str = "c"
    instruments: tuple[str, ...] = ()
    sound_encoder: str = ""
    image_encoder: str = ""
    strategy: str = "auto"
    mixed_precision: bool = False
    jit_compile: bool = False
    checkpoint_every: int = 200
    eval_every: int = 5
    ema: bool = True
    audio_summaries: bool = True
    augment: str = ""
    aux_weight: float = 0.0

    @property
    def direction(self) -> str:
        return "i2s" if self.mode == "i2s" else "s2i"


def make_strategy(name: str) -> tf.distribute.Strategy:
    """'auto': mirrored over the visible GPUs if any, else one device (the CPU);
    'mirrored': MirroredStrategy over all visible devices; 'multi_worker':
    MultiWorkerMirroredStrategy from TF_CONFIG; 'one_device': the first GPU or the CPU."""
    if name not in STRATEGIES:
        raise ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {name!r}")
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("--strategy=multi_worker needs TF_CONFIG (cluster and task)")
        # Collective ops must be configured before TF runs any op: the first call, at
        # program start, creates the strategy; later calls return the same one.
        global _MULTI_WORKER
        if _MULTI_WORKER is None:
            _MULTI_WORKER = tf.distribute.MultiWorkerMirroredStrategy()
        return _MULTI_WORKER
    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored" or (name == "auto" and len(gpus) > 1):
        return tf.distribute.MirroredStrategy()
    return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")


def _encoder_paths(config: Config, index: PairIndex, model_dir: str, run: GanRun) -> dict:
    """Paths of the conditioning encoder and the evaluation classifier, training any
    that were not given into MODEL_DIR/encoders/."""
    root = os.path.join(model_dir, "encoders")
    enc_config = config.replace(train=dict(epochs=max(config.train.epochs // 2, 1)))

    def sound_classifier() -> str:
        if run.sound_encoder and run.variant != "a":
            return run.sound_encoder
        path = os.path.join(root, "sound_classifier")
        classifiers.train_sound_classifier(enc_config, index, path)
        return os.path.join(path, classifiers.ENCODER_FILE)

    def image_classifier() -> str:
        if run.image_encoder:
            return run.image_encoder
        path = os.path.join(root, "image_classifier")
        classifiers.train_image_classifier(enc_config, index, path)
        return os.path.join(path, classifiers.ENCODER_FILE)

    if run.direction == "i2s":
        return {"condition": image_classifier(), "evaluator": sound_classifier()}
    if run.variant == "a":
        if run.sound_encoder:
            condition = run.sound_encoder
        else:
            path = os.path.join(root, "sound_autoencoder")
            classifiers.train_sound_autoencoder(enc_config, index, path)
            condition = os.path.join(path, classifiers.ENCODER_FILE)
        return {"condition": condition, "evaluator": image_classifier()}
    return {"condition": sound_classifier(), "evaluator": image_classifier()}


def build_gan(config: Config, run: GanRun, encoder: keras.Model, num_classes: int = 0) -> GanCls:
    """Networks, GAN and both optimizers; call inside `strategy.scope()`.

    `num_classes` (the data's instruments) gives the discriminator the auxiliary
    classifier that `run.aux_weight` trains; 0 leaves it out, which is enough to sample
    and export (they never run the discriminator).
    """
    gan = make_gan(
        config.model,
        run.direction,
        encoder,
        wrong_pairs=run.variant != "n",
        ema=run.ema,
        augment=run.augment,
        seed=config.train.seed,
        num_classes=num_classes if run.aux_weight else 0,
        aux_weight=run.aux_weight if num_classes else 0.0,
    )

    def adam():
        return keras.optimizers.Adam(config.train.learning_rate, beta_1=config.train.beta_1)

    gan.compile(adam(), adam(), jit_compile=run.jit_compile)
    return gan


def restore_gan(
    config: Config, run: GanRun, encoder_path: str, model_dir: str, num_classes: int = 0
) -> tuple[GanCls, tf.train.CheckpointManager]:
    """Builds the GAN and restores MODEL_DIR/checkpoints' newest checkpoint, if any.

    Call inside the strategy's scope: restoring there keeps optimizer slots mirrored.
    `num_classes`: see `build_gan`.
    """
    encoder = keras.models.load_model(encoder_path)
    gan = build_gan(config, run, encoder, num_classes)
    checkpoint = tf.train.Checkpoint(
        generator=gan.generator,
        discriminator=gan.discriminator,
        d_optimizer=gan.d_optimizer,
        g_optimizer=gan.g_optimizer,
        noise_seed=gan.seed_generator.state.value,  # the training noise resumes too
        augment_seed=gan.augment_seed_generator.state.value,  # and the augmentation
        **({"ema_generator": gan.ema_generator} if gan.ema_generator is not None else {}),
    )
    manager = tf.train.CheckpointManager(
        checkpoint, os.path.join(model_dir, "checkpoints"), max_to_keep=3
    )
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).expect_partial()
    return gan, manager


def load_run(model_dir: str) -> tuple[GanCls, Config, GanRun, dict]:
    """A trained GAN run from its model dir, for evaluation, generation and export.

    Returns:
        (gan with the newest checkpoint's generators restored (see
        `GanCls.restore_generators`), config, run, encoder paths
        {"condition", "evaluator"} as recorded in metrics.json).

    Raises:
        ValueError: MODEL_DIR is not a finished GAN run.
    """
    needed = [os.path.join(model_dir, n) for n in ("config.json", "run.json", "metrics.json")]
    missing = [p for p in needed if not os.path.exists(p)]
    if missing:
        raise ValueError(f"{model_dir} is not a finished GAN run (missing {', '.join(missing)})")
    with open(needed[0]) as f:
        config = Config.from_dict(json.load(f))
    with open(needed[1]) as f:
        fields = json.load(f)
    run = GanRun(**{**fields, "instruments": tuple(fields.get("instruments", ()))})
    with open(needed[2]) as f:
        paths = json.load(f)["encoders"]
    checkpoint = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    if not checkpoint:
        raise ValueError(f"{model_dir}/checkpoints holds no checkpoint")
    gan = build_gan(config, run, keras.models.load_model(paths["condition"]))
    gan.restore_generators(checkpoint)
    return gan, config, run, paths


def _wrong_pairs(run: GanRun) -> str:
    return "pose" if run.mode == "s2i_pose" else "instrument"


def _fixed_conditions(index: PairIndex, run: GanRun, n: int) -> dict[str, dict]:
    """A fixed batch of conditions from each split, spread over the instruments."""
    out = {}
    for split in ("train", "validation"):
        # A seeded shuffle of the whole split, so the batch mixes instruments.
        dataset = pipeline.paired_dataset(
            index,
            split,
            n,
            wrong_pairs=_wrong_pairs(run),
            instruments=list(run.instruments) or None,
            seed=1,
            drop_remainder=False,
        )
        out[split] = next(iter(dataset))
    return out


def train_gan(
    config: Config, index: PairIndex, model_dir: str, run: GanRun, verbose: int = 1
) -> dict:
    """Trains (or resumes) one GAN; returns its metrics.

    Raises:
        cb.NonFiniteLossError: a loss became NaN/inf; names the step; the newest
            checkpoint on disk is the last good one.
    """
    if run.mode not in ("s2i", "s2i_pose", "i2s") or run.variant not in VARIANTS:
        raise ValueError(f"unknown mode/variant {run.mode}/{run.variant}")
    if run.aux_weight and run.mode == "s2i_pose":
        raise ValueError("aux_weight: a pose model has one instrument, nothing to classify")
    details = {"variant": run.variant} if run.direction == "s2i" else {}
    if run.instruments:
        details["instruments"] = ",".join(run.instruments)
    if run.augment:  # a run is not continued under another augmentation
        details["augment"] = ",".join(parse_policy(run.augment))
    if config.model.upsampling != "deconv":  # nor with other generator layers
        details["upsampling"] = config.model.upsampling
    if run.aux_weight:  # nor with another loss
        details["aux_weight"] = f"{run.aux_weight:g}"
    classifiers.claim_model_dir(model_dir, run.mode, **details)
    finished = os.path.join(model_dir, "metrics.json")
    previous = None
    if os.path.exists(finished):
        with open(finished) as f:
            previous = json.load(f)
        if previous["steps"] >= config.train.epochs * previous["steps_per_epoch"]:
            return previous
        # More epochs than the finished run had: train on from its newest checkpoint,
        # keeping its Fig. 9 curve.
        if verbose:
            print(
                f"{model_dir}: finished at step {previous['steps']}; extending to "
                f"{config.train.epochs} epochs"
            )
    # Written only when training happens, so they always describe metrics.json's run.
    config.save(model_dir)
    write_text(os.path.join(model_dir, "run.json"), json.dumps(dataclasses.asdict(run), indent=2))

    paths = _encoder_paths(config, index, model_dir, run)
    if run.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    keras.utils.set_random_seed(config.train.seed)
    strategy = make_strategy(run.strategy)
    instruments = list(run.instruments) or None
    n_train = len(pipeline._select(index, "train", instruments))  # noqa: SLF001
    steps_per_epoch = max(n_train // config.train.batch_size, 1)

    with strategy.scope():
        gan, manager = restore_gan(
            config, run, paths["condition"], model_dir, len(index.instruments)
        )
    evaluator = keras.models.load_model(paths["evaluator"])
    step = int(gan.optimizer.iterations.numpy())
    if step and verbose:
        print(f"resuming from step {step} ({manager.latest_checkpoint})")
    curve_before, seconds_before = _progress_at(model_dir, step, previous)

    dataset = pipeline.paired_dataset(
        index,
        "train",
        config.train.batch_size,
        wrong_pairs=_wrong_pairs(run),
        instruments=instruments,
        seed=config.train.seed,
        repeat=True,
        skip_batches=step,
    )
    eval_sets = {
        split: pipeline.paired_dataset(
            index,
            split,
            config.train.batch_size,
            wrong_pairs=_wrong_pairs(run),
            instruments=instruments,
            seed=1,
            drop_remainder=False,
        )
        for split in ("train", "validation")
    }
    conditions = _fixed_conditions(index, run, 8)
    z = np.random.default_rng(config.train.seed).standard_normal((8, config.model.z_dim))
    z = z.astype(np.float32)
    guard = cb.StopOnNonFinite()
    accuracy = cb.GeneratedAccuracy(
        os.path.join(model_dir, "logs", "eval"), evaluator, eval_sets, run.direction, run.eval_every
    )

    def save_progress(at_step: int) -> None:
        progress = {
            "step": at_step,
            "curve": curve_before + accuracy.history,
            "seconds": round(seconds_before + time.perf_counter() - start, 1),
        }
        write_text(os.path.join(model_dir, PROGRESS_FILE), json.dumps(progress, indent=2))

    callbacks = [
        guard,
        keras.callbacks.TensorBoard(os.path.join(model_dir, "logs"), update_freq=25),
        cb.Samples(
            os.path.join(model_dir, "logs", "samples"),
            conditions,
            z,
            run.direction,
            audio=run.audio_summaries,
        ),
        accuracy,
        # After `accuracy`: an epoch's curve point is measured before it is saved.
        cb.CheckpointEvery(manager, run.checkpoint_every, guard, on_save=save_progress),
    ]
    start = time.perf_counter()
    gan.fit(
        dataset,
        epochs=config.train.epochs,
        steps_per_epoch=steps_per_epoch,
        initial_epoch=min(step // steps_per_epoch, config.train.epochs),
        callbacks=callbacks,
        verbose=verbose,
    )
    seconds = time.perf_counter() - start
    steps_run = int(gan.optimizer.iterations.numpy()) - step
    if guard.failed_step is not None:
        raise cb.NonFiniteLossError(
            f"non-finite loss at step {guard.failed_step}; training stopped. The newest "
            f"checkpoint, {manager.latest_checkpoint}, is the last good one."
        )

    final = {
        split: cb.generated_accuracy(gan, evaluator, ds, run.direction, max_batches=10**6)
        for split, ds in eval_sets.items()
    }
    _write_sample_grid(
        gan, conditions["validation"], z, run.direction, os.path.join(model_dir, "samples_test.png")
    )
    metrics = {
        "mode": run.mode,
        "variant": run.variant if run.direction == "s2i" else None,
        "instruments": list(run.instruments),
        "preset": config.preset,
        "generated_accuracy": {"train": final["train"], "test": final["validation"]},
        "curve": curve_before + accuracy.history,
        "steps": int(gan.optimizer.iterations.numpy()),
        "steps_per_epoch": steps_per_epoch,
        "seconds_this_run": round(seconds, 1),
        "seconds_total": round(seconds + seconds_before, 1),
        "steps_per_second": round(steps_run / seconds, 3) if seconds else None,
        "strategy": run.strategy,
        "replicas": strategy.num_replicas_in_sync,
        "encoders": paths,
    }
    write_text(finished, json.dumps(metrics, indent=2))
    return metrics


def _progress_at(model_dir: str, step: int, finished: dict | None) -> tuple[list, float]:
    """The Fig. 9 curve and training seconds a run had reached at its restored `step`:
    from a finished run's metrics.json (extended with more epochs) when it ended there,
    else from progress.json, written at each checkpoint (a killed run); nothing at 0."""
    if finished is not None and finished["steps"] == step:
        return finished["curve"], finished.get("seconds_total", finished["seconds_this_run"])
    path = os.path.join(model_dir, PROGRESS_FILE)
    if not step or not os.path.exists(path):
        return [], 0.0
    with open(path) as f:
        progress = json.load(f)
    # Points past the checkpoint are trained again, and so measured again.
    return [p for p in progress["curve"] if p["step"] <= step], progress["seconds"]


def _write_sample_grid(gan: GanCls, batch: dict, z: np.ndarray, direction: str, path: str) -> None:
    """Held-out conditions: a column of real samples next to a column of generated ones."""
    z = z[: len(batch["label"])]
    if direction == "s2i":
        real, fake = batch["image"].numpy(), gan.generate(batch["sound"], z=z).numpy()
    else:
        real = cb.spectrogram_pictures(spectrogram_target(batch["sound"]).numpy())
        fake = cb.spectrogram_pictures(gan.generate(batch["image"], z=z).numpy())
    columns = np.concatenate([cb.image_grid(real, 1), cb.image_grid(fake, 1)], axis=1)
    picture = Image.fromarray(columns)
    scale = 3 if direction == "s2i" else 1
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    with atomic_path(path) as tmp:
        picture.save(tmp, "PNG")
