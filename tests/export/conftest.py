"""Tiny GAN runs trained for one step, in train_gan's layout, their exports, and a
small data set of real-shaped pairs to compare the exports on.

A run directory holds config.json, the condition encoder under
encoders/<kind>/encoder.keras (where train_gan trains it) and checkpoints/ written by a
CheckpointManager with the run directory's checkpoint layout (`avgan.run_dir`). The
models are width 8 (the tiny preset) and the encoders untrained: export correctness
does not depend on what they learned.

`parity_data` is a Sub-URMP-layout folder whose sounds are FluidSynth-rendered notes
(tests/conftest.py's instrument_chunks) and whose pictures are drawn by the synthetic
ensemble's renderer: real-shaped conditions, with the silences, loud partials and flat
backgrounds that zeros or random noise lack (docs/export.md, "Parity").
"""

from __future__ import annotations

import dataclasses
import os
import threading

import keras
import numpy as np
import pytest
import tensorflow as tf

from avgan import config as config_lib
from avgan import run_dir
from avgan.export import heldout, serving, signatures, tflite
from avgan.models.encoders import ImageClassifier, SoundClassifier
from avgan.training import gan as gan_lib

BATCH = 4


def make_run(
    model_dir: str,
    direction: str,
    seed: int = 0,
    upsampling: str | None = None,
    recipe: str = "paper",
):
    """Writes a one-step-trained run of `recipe` into model_dir (`upsampling` overrides
    the recipe's); returns its GanCls."""
    config = config_lib.preset("tiny").replace(mode=direction).with_recipe(recipe)
    config = config.replace(
        model=dict(upsampling=upsampling), train=dict(batch_size=BATCH, seed=seed)
    )
    keras.utils.set_random_seed(seed)  # as train_gan: the same initial weights each run
    scale = config.model.encoder_scale
    rng = np.random.default_rng(seed)
    sound = (0.1 * rng.standard_normal((BATCH, 22050))).astype(np.float32)
    images = rng.integers(0, 256, (BATCH, 64, 64, 3), dtype=np.uint8)
    if direction == "s2i":
        encoder, kind = SoundClassifier(3, scale=scale), "sound_classifier"
        encoder(sound[:1])
    else:
        encoder, kind = ImageClassifier(3, scale=scale, augment=False), "image_classifier"
        encoder(images[:1])
    encoder_dir = os.path.join(model_dir, "encoders", kind)
    os.makedirs(encoder_dir)
    encoder.save(os.path.join(encoder_dir, "encoder.keras"))

    run_dir.save_config(model_dir, config)
    gan = gan_lib.build_gan(config, encoder)
    if direction == "s2i":
        batch = {"sound": sound, "image": images, "wrong_image": images[::-1].copy()}
    else:
        batch = {"image": images, "sound": sound, "wrong_sound": sound[::-1].copy()}
    gan.train_step({k: tf.constant(v) for k, v in batch.items()})
    # One step leaves the outputs within ~1e-3 of tanh's 0, where any quantisation
    # error looks small: scale the last layer so they span most of [-1, 1], as a
    # trained generator's do, and the TFLite parity tests mean something.
    condition = tf.constant(sound if direction == "s2i" else images)
    z = tf.random.stateless_normal([BATCH, config.model.z_dim], [seed, 1])
    for generator in (gan.generator, gan.ema_generator):
        last = [layer for layer in generator.ups.layers if layer.weights][-1]
        out = generator((gan.encode(condition), z), training=False).numpy()
        scale = 1.5 / float(np.abs(out - np.median(out)).max())
        for weight in last.weights:
            weight.assign(weight * scale)
    run_dir.checkpoint_manager(model_dir, run_dir.checkpoint_objects(gan)).save()
    return gan


# The synthetic renderer's instruments for tests/conftest.py's INSTRUMENT_PROGRAMS.
PARITY_INSTRUMENTS = ("violin", "cello", "trumpet", "flute", "clarinet")


@pytest.fixture(scope="session")
def parity_data(instrument_chunks, tmp_path_factory) -> str:
    """A Sub-URMP layout: per instrument two train and two validation pairs, each a
    0.5 s rendered chunk and a drawn 64x64 picture of a player."""
    from PIL import Image

    from avgan.data.synthetic import draw
    from avgan.data.synthetic.instruments import instrument, pose_for
    from tests.data.layout_fixture import wav_bytes

    root = tmp_path_factory.mktemp("parity_data")
    chunks = instrument_chunks.reshape(len(PARITY_INSTRUMENTS), -1, 22050)
    for i, name in enumerate(PARITY_INSTRUMENTS):
        player = draw.random_player(np.random.default_rng([7, i]), name)
        room = draw.random_room(np.random.default_rng([8, i]))
        for k, pitch in enumerate((55, 62, 67, 72)):
            split = "train" if k < 2 else "validation"
            stem = f"{name}01_{k}" if k < 2 else f"{name}02_{k}"
            pose = pose_for(instrument(name), pitch, 0.3, k)
            pixels = draw.draw_frame(name, player, room, pose, (k - 1.5, 0.0))
            for sub in ("img", "chunk"):
                os.makedirs(root / sub / split / name, exist_ok=True)
            Image.fromarray(pixels).save(root / "img" / split / name / f"{stem}.png")
            (root / "chunk" / split / name / f"{stem}.wav").write_bytes(wav_bytes(chunks[i, k]))
    return str(root)


def held_out(model_dir: str, parity_data: str) -> heldout.Conditions:
    """The parity conditions the export draws for this run: every validation pair."""
    config = run_dir.read_config(model_dir)
    return heldout.conditions(config, count=heldout.DEFAULT_PAIRS, root=parity_data)


@dataclasses.dataclass
class Exported:
    direction: str
    gan: object  # the GanCls the run was saved from
    model_dir: str
    saved_model: str  # export/models/<name>/1
    tflite_dir: str
    tflite: dict  # variant -> tflite.Result
    z_dim: int


@pytest.fixture(scope="package")
def exported(tmp_path_factory) -> dict[str, Exported]:
    """Both directions: run, SavedModel, TFLite variants (converted in child processes,
    both models at once, while the main process goes on)."""
    root = tmp_path_factory.mktemp("export")
    out = str(root / "export" / "models")
    runs, threads, conversions = {}, [], {}
    for direction in ("s2i", "i2s"):
        model_dir = str(root / "runs" / direction)
        gan = make_run(model_dir, direction)
        restored = run_dir.restore(model_dir)
        tflite_dir = str(root / "export" / "tflite" / direction / "1")
        source = os.path.join(tflite_dir, "source_saved_model")
        serving.write_archive(signatures.build_tflite_archive(restored), source, {})

        keep_float = signatures.keep_float_scopes(restored)

        def work(direction=direction, source=source, tflite_dir=tflite_dir, keep=keep_float):
            conversions[direction] = tflite.convert(
                source, tflite_dir, raise_errors=False, keep_float=keep
            )

        threads.append(threading.Thread(target=work))
        threads[-1].start()
        path = serving.export_saved_model(restored, out)
        runs[direction] = (gan, model_dir, path, tflite_dir, config_lib.preset("tiny").model.z_dim)
    serving.write_models_config(out, str(root / "export" / "models.config"))
    for thread in threads:
        thread.join()
    return {
        d: Exported(d, gan, model_dir, path, tflite_dir, conversions[d], z_dim)
        for d, (gan, model_dir, path, tflite_dir, z_dim) in runs.items()
    }
