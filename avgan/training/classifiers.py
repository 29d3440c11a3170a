"""Training the encoders: sound classifier, image classifier, sound autoencoder.

Each `train_*` function trains into a model directory and leaves there:

    config.json      the resolved configuration
    avgan_mode.json  which mode (and representation) owns the directory
    encoder.keras    the trained model, loaded by the GAN modes by path
    metrics.json     held-out (validation split) results and the training time
    logs/            TensorBoard summaries
    backup/          Keras BackupAndRestore state while training: a killed run
                     resumes from its last finished epoch when rerun

A finished directory is not retrained: rerunning returns its metrics.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import warnings

import keras
import numpy as np
import tensorflow as tf

from avgan import run_dir
from avgan.config import Config
from avgan.data import pipeline
from avgan.data.files import write_text
from avgan.data.layout import PairIndex
from avgan.models.autoencoder import STACKS, SoundAutoencoder, stack_mse
from avgan.models.encoders import ImageClassifier, SoundClassifier
from avgan.run_dir import ENCODER_FILE

PITCH_CLASSES = 128  # MIDI pitches

# Keras UserWarnings that read like failures but are expected in every run here, as
# regexes of their messages' start (`warnings.filterwarnings`); only these are hidden.
EXPECTED_WARNINGS = (
    # The tf.data input has no known length, so Keras runs one step past its end to find
    # it: every batch was trained on and the epoch ends as it should.
    r"Your input ran out of data; interrupting training",
    # fit's default shuffle=True does not apply to a tf.data input; the pipeline
    # shuffles the training split itself (avgan.data.pipeline).
    r"`shuffle=True` was passed, but will be ignored since the data `x` was provided as "
    r"a tf\.data\.Dataset",
    # The encoders create their weights on the first call (the one that builds them
    # below) and on loading; Keras's default build() then warns that it has none of its own.
    r"`build\(\)` was called on layer '[^']*', however the layer does not have a "
    r"`build\(\)` method implemented",
)


@contextlib.contextmanager
def expected_warnings_hidden():
    """Hides EXPECTED_WARNINGS (UserWarning) in the block, or in a function it decorates
    (`@expected_warnings_hidden()`); every other warning shows."""
    with warnings.catch_warnings():
        for message in EXPECTED_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        yield


def _finished(model_dir: str) -> dict | None:
    path = os.path.join(model_dir, run_dir.METRICS_FILE)
    if os.path.exists(path) and os.path.exists(os.path.join(model_dir, ENCODER_FILE)):
        with open(path) as f:
            return json.load(f)
    return None


def _callbacks(model_dir: str) -> list[keras.callbacks.Callback]:
    # The encoder kept is the last epoch's. Keeping the epoch that scored best on the
    # validation split would choose it on the very recordings its accuracy is then
    # reported on (the split the GANs' test figures use as well).
    return [
        keras.callbacks.BackupAndRestore(os.path.join(model_dir, "backup")),
        keras.callbacks.TensorBoard(os.path.join(model_dir, "logs")),
        keras.callbacks.ModelCheckpoint(os.path.join(model_dir, ENCODER_FILE)),
    ]


def cosine_epochs(rate: float, epochs: int):
    """Epoch -> learning rate: `rate` * (1 + cos(pi * epoch / epochs)) / 2.

    The image classifier's schedule: the last epoch, the one kept, is then a settled one
    (with a constant step its held-out accuracy swung by ~3 points from epoch to epoch).
    Set per epoch, not per step: with a tf.data input of unknown length Keras 3 counts
    one optimizer step more per epoch than it runs, so a step-based decay ends early.
    """
    return lambda epoch: rate * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


def _write_metrics(model_dir: str, metrics: dict) -> dict:
    run_dir.write_json(os.path.join(model_dir, run_dir.METRICS_FILE), metrics)
    return metrics


@expected_warnings_hidden()
def train_sound_classifier(
    config: Config, index: PairIndex, model_dir: str, pitch: bool = False, verbose: int = 1
) -> dict:
    """Trains a SoundClassifier on `config.model.representation`; returns test metrics.

    Args:
        pitch: add the pitch head (needs pitch metadata, as the synthetic ensemble
            and the URMP builder write).

    Returns:
        {"accuracy": instrument accuracy on the validation split, and with `pitch`
        "pitch_accuracy" on its pitched chunks, "seconds": training time, ...}.
    """
    mode = "pitch_sound_classifier" if pitch else "sound_classifier"
    rep = config.model.representation
    run_dir.claim(model_dir, mode, representation=rep, conv_layers=config.model.conv_layers)
    run_dir.save_config(model_dir, config)
    if (done := _finished(model_dir)) is not None:
        return done
    keras.utils.set_random_seed(config.train.seed)
    batch = config.train.batch_size

    def data(split, shuffle):
        return pipeline.sound_dataset(
            index, split, batch, pitch=pitch, shuffle=shuffle, seed=config.train.seed
        )

    model = SoundClassifier(
        len(index.instruments),
        rep,
        conv_layers=config.model.conv_layers,
        scale=config.model.encoder_scale,
        encoding_dim=config.model.encoding_dim,
        pitch_classes=PITCH_CLASSES if pitch else 0,
    )
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if pitch:
        losses = {"instrument": loss, "pitch": loss}
        metrics = {"instrument": ["accuracy"], "pitch": ["accuracy"]}
    else:
        losses, metrics = loss, ["accuracy"]
    model(next(iter(data("validation", False)))[0])  # build: BackupAndRestore needs weights
    model.compile(
        keras.optimizers.Adam(config.train.classifier_learning_rate),
        losses,
        metrics=metrics,
        weighted_metrics=[] if pitch else None,
    )
    start = time.perf_counter()
    model.fit(
        data("train", True),
        validation_data=data("validation", False),
        epochs=config.train.epochs,
        callbacks=_callbacks(model_dir),
        verbose=verbose,
    )
    seconds = time.perf_counter() - start
    kept = keras.models.load_model(os.path.join(model_dir, ENCODER_FILE))
    result = {
        "mode": mode,
        "representation": rep,
        "conv_layers": config.model.conv_layers,
        "epochs": config.train.epochs,
        "seconds": round(seconds, 1),
        **_sound_accuracy(kept, data("validation", False), pitch),
    }
    return _write_metrics(model_dir, result)


def _sound_accuracy(model, dataset, pitch: bool) -> dict:
    """Instrument accuracy, and pitch accuracy over pitched chunks, of `model` on `dataset`."""
    hits = total = pitch_hits = pitch_total = 0
    for sound, targets, *weights in dataset:
        out = model(sound, training=False)
        logits = out["instrument"] if pitch else out
        labels = targets["instrument"] if pitch else targets
        hits += int(tf.reduce_sum(tf.cast(tf.argmax(logits, -1, tf.int32) == labels, tf.int32)))
        total += int(labels.shape[0])
        if pitch:
            mask = weights[0]["pitch"] > 0
            right = tf.argmax(out["pitch"], -1, tf.int32) == targets["pitch"]
            pitch_hits += int(tf.reduce_sum(tf.cast(right & mask, tf.int32)))
            pitch_total += int(tf.reduce_sum(tf.cast(mask, tf.int32)))
    result = {"accuracy": hits / total, "test_examples": total}
    if pitch:
        result.update(pitch_accuracy=pitch_hits / max(pitch_total, 1), pitched_examples=pitch_total)
    return result


@expected_warnings_hidden()
def train_image_classifier(
    config: Config, index: PairIndex, model_dir: str, verbose: int = 1
) -> dict:
    """Trains an ImageClassifier; returns accuracy on the held-out recordings."""
    run_dir.claim(model_dir, "image_classifier")
    run_dir.save_config(model_dir, config)
    if (done := _finished(model_dir)) is not None:
        return done
    keras.utils.set_random_seed(config.train.seed)

    def data(split, shuffle):
        return pipeline.image_dataset(
            index, split, config.train.batch_size, shuffle=shuffle, seed=config.train.seed
        )

    model = ImageClassifier(
        len(index.instruments),
        scale=config.model.encoder_scale,
        encoding_dim=config.model.encoding_dim,
    )
    model(next(iter(data("validation", False)))[0])  # build: BackupAndRestore needs weights
    model.compile(
        keras.optimizers.Adam(config.train.classifier_learning_rate),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    model.fit(
        data("train", True),
        validation_data=data("validation", False),
        epochs=config.train.epochs,
        callbacks=[
            *_callbacks(model_dir),
            keras.callbacks.LearningRateScheduler(
                cosine_epochs(config.train.classifier_learning_rate, config.train.epochs)
            ),
        ],
        verbose=verbose,
    )
    seconds = time.perf_counter() - start
    kept = keras.models.load_model(os.path.join(model_dir, ENCODER_FILE))
    _, accuracy = kept.evaluate(data("validation", False), verbose=0)
    return _write_metrics(
        model_dir,
        {
            "mode": "image_classifier",
            "accuracy": accuracy,
            "epochs": config.train.epochs,
            "seconds": round(seconds, 1),
        },
    )


def _stack_step(model: SoundAutoencoder, k: int, variables: list, optimizer):
    """A compiled training step of stack k (a closure: tf.function would trace list
    arguments as tensors, not variables)."""

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = stack_mse(model, x, k)
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    return step


@expected_warnings_hidden()
def train_sound_autoencoder(
    config: Config, index: PairIndex, model_dir: str, verbose: int = 1
) -> dict:
    """Trains the four stacks of the SoundAutoencoder in order, `epochs` each.

    Progress is checkpointed after every epoch (weights and the stack/epoch reached in
    state.json), so a killed run resumes where it stopped.

    Returns:
        {"mse": [validation MSE of each stack on its own input], "seconds": ...}.
    """
    run_dir.claim(model_dir, "sound_autoencoder")
    run_dir.save_config(model_dir, config)
    if (done := _finished(model_dir)) is not None:
        return done
    keras.utils.set_random_seed(config.train.seed)
    train = pipeline.sound_dataset(index, "train", config.train.batch_size, seed=config.train.seed)
    validation = pipeline.sound_dataset(index, "validation", config.train.batch_size, shuffle=False)
    model = SoundAutoencoder(config.model.encoding_dim)
    model.build((None, pipeline.CHUNK_SAMPLES))
    weights_path = os.path.join(model_dir, "autoencoder.weights.h5")
    state_path = os.path.join(model_dir, "state.json")
    state = {"stack": 0, "epoch": 0, "seconds": 0.0}
    if os.path.exists(state_path):
        with open(state_path) as f:
            state = json.load(f)
        model.load_weights(weights_path)

    def validation_mse(k):
        return float(np.mean([stack_mse(model, x, k).numpy() for x, _ in validation]))

    for k in range(state["stack"], STACKS):
        variables = model.stack_variables(k)
        optimizer = keras.optimizers.Adam(config.train.classifier_learning_rate)
        optimizer.build(variables)  # outside tf.function: building creates variables
        step = _stack_step(model, k, variables, optimizer)

        for epoch in range(state["epoch"] if k == state["stack"] else 0, config.train.epochs):
            start = time.perf_counter()
            bar = keras.utils.Progbar(None, verbose=verbose, unit_name="batch")
            for x, _ in train:
                bar.add(1, [("mse", float(step(x)))])
            state = {
                "stack": k,
                "epoch": epoch + 1,
                "seconds": state["seconds"] + time.perf_counter() - start,
            }
            if verbose:
                print(f"stack {k + 1}/{STACKS} epoch {epoch + 1}: val mse {validation_mse(k):.4f}")
            model.save_weights(weights_path)
            write_text(state_path, json.dumps(state))
        state = {**state, "stack": k + 1, "epoch": 0}
        write_text(state_path, json.dumps(state))

    model.save(os.path.join(model_dir, ENCODER_FILE))
    mse = [validation_mse(k) for k in range(STACKS)]
    return _write_metrics(
        model_dir,
        {
            "mode": "sound_autoencoder",
            "mse": mse,
            "epochs_per_stack": config.train.epochs,
            "seconds": round(state["seconds"], 1),
        },
    )


def train_pitch_sound_classifier(
    config: Config, index: PairIndex, model_dir: str, verbose: int = 1
) -> dict:
    """`train_sound_classifier` with the pitch head (the pose-aware encoder)."""
    return train_sound_classifier(config, index, model_dir, pitch=True, verbose=verbose)


# Mode -> trainer, for the entry point and for the encoders a GAN run trains first.
TRAINERS = {
    "sound_classifier": train_sound_classifier,
    "pitch_sound_classifier": train_pitch_sound_classifier,
    "image_classifier": train_image_classifier,
    "sound_autoencoder": train_sound_autoencoder,
}
