"""Trained GAN -> SavedModel with raw-input serving signatures, in TF Serving's layout.

A trained run (`avgan.training.gan.train_gan`'s MODEL_DIR) is rebuilt from its
config.json and run.json, its condition encoder is loaded from its `.keras` file and
the generators are restored from the newest checkpoint. The export uses the EMA
generator when the run kept one.

Signatures (named inputs and outputs, dynamic batch; see export/README.md):

    S2I   serving_default  waveform                -> image
          s2i_seed         waveform, seed          -> image
          s2i_z            waveform, z             -> image, image_float
    I2S   serving_default  image                   -> log_mel, waveform
          i2s_seed         image, seed             -> log_mel, waveform
          i2s_z            image, z                -> log_mel, waveform

    waveform  [batch, samples] float32 in [-1, 1] at 44.1 kHz; the first 22050
              samples (0.5 s) are used, shorter input is zero-padded at the end.
    image     S2I output: [batch, 64, 64, 3] uint8. I2S input: [batch, h, w, 3]
              uint8 of any size, resized in the graph to 64x64 (bilinear, antialiased).
    seed      [batch] int64: example i's noise is stateless_normal([z_dim], [seed_i, 0]);
              serving_default uses seed 0 for every example (same input, same output).
    z         [batch, z_dim] float32 noise, as `GanCls.generate(condition, z)`.
    image_float  [batch, 64, 64, 3] float32 in [-1, 1], the generator's tanh output.
    log_mel   [batch, 128, 44] float32 dB (0 dB full scale), `to_log_mel_44`.
    waveform  (I2S output) [batch, 22050] float32 by `avgan.synthesis.log_mel_to_audio`.

Bad input (wrong rank, no samples, a zero-sized picture, NaN/Inf audio, seed or z
whose batch differs, a wrong dtype) fails with an InvalidArgumentError that says what was expected.

Everything goes through `keras.export.ExportArchive`, which stores each variable once
and is what the TFLite converter needs (a plain tf.Module wrapper that does not track
the Keras 3 variables aborts the converter: docs/DESIGN.md §1).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import tempfile

import keras
import tensorflow as tf

# Registers the encoder classes for keras.models.load_model.
import avgan.models.autoencoder  # noqa: F401
import avgan.models.encoders  # noqa: F401
from avgan import synthesis
from avgan.config import Config
from avgan.data.files import write_text
from avgan.models.gan_cls import GanCls, make_gan
from avgan.models.i2s import to_log_mel_44
from avgan.models.s2i import IMAGE_SIZE

CHUNK_SAMPLES = 22050  # 0.5 s at 44.1 kHz, the models' unit
ENCODER_FILE = "encoder.keras"
METADATA_FILE = "assets.extra/avgan_export.json"  # TF Serving ignores assets.extra/


class ExportError(Exception):
    """A model directory cannot be exported (missing files, no checkpoint, ...)."""


@dataclasses.dataclass
class RestoredGan:
    """A trained GAN rebuilt for inference.

    Attributes:
        gan: the GanCls (encoder, generators, discriminator), weights restored.
        generator: the generator to export: the EMA one when the run kept one.
        direction: 's2i' or 'i2s'; mode: the run's mode ('s2i', 's2i_pose', 'i2s').
        checkpoint: the checkpoint the weights came from; encoder_path: the encoder file.
    """

    gan: GanCls
    generator: keras.Model
    direction: str
    mode: str
    z_dim: int
    checkpoint: str
    encoder_path: str
    uses_ema: bool


def _read_json(path: str) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ExportError(f"{path} not found: is this a model directory of a GAN run?") from None


def encoder_path(model_dir: str, run: dict) -> str:
    """The condition encoder's file: metrics.json's "encoders", run.json's paths, or the
    encoder train_gan trained into MODEL_DIR/encoders/."""
    direction = "i2s" if run.get("mode") == "i2s" else "s2i"
    candidates = []
    metrics = os.path.join(model_dir, "metrics.json")
    if os.path.exists(metrics):
        candidates.append(_read_json(metrics).get("encoders", {}).get("condition", ""))
    if direction == "i2s":
        candidates += [run.get("image_encoder", ""), "encoders/image_classifier"]
    elif run.get("variant") == "a":
        candidates += [run.get("sound_encoder", ""), "encoders/sound_autoencoder"]
    else:
        candidates += [run.get("sound_encoder", ""), "encoders/sound_classifier"]
    tried = []
    for path in filter(None, candidates):
        for option in (path, os.path.join(model_dir, path)):
            if os.path.isdir(option):
                option = os.path.join(option, ENCODER_FILE)
            tried.append(option)
            if os.path.isfile(option):
                return option
    raise ExportError(f"no condition encoder for {model_dir}; tried: {', '.join(tried)}")


def restore_gan(model_dir: str) -> RestoredGan:
    """Rebuilds the GAN of a trained run and restores its newest checkpoint.

    Raises:
        ExportError: not a GAN run, no encoder, or no checkpoint.
    """
    config = Config.from_dict(_read_json(os.path.join(model_dir, "config.json")))
    run = _read_json(os.path.join(model_dir, "run.json"))
    mode = run.get("mode", "s2i")
    if mode not in ("s2i", "s2i_pose", "i2s"):
        raise ExportError(f"{model_dir} is a {mode!r} run, not a GAN (s2i, s2i_pose, i2s)")
    direction = "i2s" if mode == "i2s" else "s2i"
    checkpoint = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    if not checkpoint:
        raise ExportError(f"no checkpoint in {os.path.join(model_dir, 'checkpoints')}")
    path = encoder_path(model_dir, run)
    encoder = keras.models.load_model(path)
    gan = make_gan(
        config.model,
        direction,
        encoder,
        wrong_pairs=run.get("variant", "c") != "n",
        ema=run.get("ema", True),
        seed=config.train.seed,
    )
    try:
        gan.restore_generators(checkpoint)
    except AssertionError as e:
        raise ExportError(f"{checkpoint} does not match the run's networks: {e}") from None
    uses_ema = gan.ema_generator is not None
    return RestoredGan(
        gan=gan,
        generator=gan.ema_generator if uses_ema else gan.generator,
        direction=direction,
        mode=mode,
        z_dim=config.model.z_dim,
        checkpoint=checkpoint,
        encoder_path=path,
        uses_ema=uses_ema,
    )


# In-graph input handling --------------------------------------------------------------


def _with_rank(x: tf.Tensor, rank: int, name: str, layout: str) -> tf.Tensor:
    """x with static rank `rank`, after a run-time check with a clear message.

    The serving signatures declare the condition with an unknown rank so that this
    check runs (a declared [None, None] shape is not enforced on a signature's input,
    and the graph optimiser would fold a rank check against it away). The reshape
    after it is valid for any input, so nothing fails before the check does.
    """
    check = tf.debugging.assert_equal(
        tf.rank(x), rank, message=f"{name} must have rank {rank}: {layout}"
    )
    with tf.control_dependencies([check]):
        # The last rank - 1 dimensions, padded with ones when x has fewer.
        dims = tf.concat([tf.ones([rank], tf.int32), tf.shape(x)], 0)[-(rank - 1) :]
        x = tf.reshape(x, tf.concat([[-1], dims], 0))
    x.set_shape([None] * rank)  # static only: no run-time op that could fail first
    return x


def fit_waveform(waveform: tf.Tensor) -> tf.Tensor:
    """[batch, samples] -> [batch, 22050]: the first 0.5 s, zero-padded when shorter.

    InvalidArgumentError when the rank is not 2, there are no samples or a sample is
    NaN/Inf.
    """
    waveform = tf.convert_to_tensor(waveform, tf.float32)
    waveform = _with_rank(waveform, 2, "waveform", "[batch, samples] float32")
    check = tf.debugging.assert_positive(
        tf.shape(waveform)[1],
        message="waveform has no samples: send [batch, samples] float32 at 44.1 kHz "
        f"({CHUNK_SAMPLES} samples = 0.5 s; longer is cropped, shorter zero-padded)",
    )
    with tf.control_dependencies([check]):
        waveform = tf.debugging.check_numerics(waveform, "waveform contains NaN or Inf")
    waveform = waveform[:, :CHUNK_SAMPLES]
    waveform = tf.pad(waveform, [[0, 0], [0, CHUNK_SAMPLES - tf.shape(waveform)[1]]])
    return tf.ensure_shape(waveform, [None, CHUNK_SAMPLES])


def fit_image(image: tf.Tensor) -> tf.Tensor:
    """[batch, h, w, 3] uint8 -> [batch, 64, 64, 3] float32 in [-1, 1].

    Other sizes are resized (bilinear, antialiased); 64x64 passes unchanged.
    InvalidArgumentError when the rank is not 4, h or w is 0 or there are not 3 channels.
    """
    image = _with_rank(tf.convert_to_tensor(image), 4, "image", "[batch, height, width, 3] uint8")
    size = tf.shape(image)[1:3]
    checks = [
        tf.debugging.assert_positive(
            tf.reduce_min(size), message="image has zero height or width: send [batch, h, w, 3]"
        ),
        tf.debugging.assert_equal(
            tf.shape(image)[3], 3, message="image must have 3 channels (RGB): [batch, h, w, 3]"
        ),
    ]
    with tf.control_dependencies(checks):
        image = tf.identity(image)
    pixels = tf.cast(image, tf.float32)
    pixels = tf.cond(
        tf.reduce_all(tf.equal(size, IMAGE_SIZE)),
        lambda: pixels,
        lambda: tf.image.resize(pixels, [IMAGE_SIZE, IMAGE_SIZE], antialias=True),
    )
    pixels = tf.ensure_shape(pixels, [None, IMAGE_SIZE, IMAGE_SIZE, 3])
    return pixels / 127.5 - 1.0


def noise_from_seeds(seed: tf.Tensor, z_dim: int) -> tf.Tensor:
    """[batch] int64 seeds -> [batch, z_dim] normal noise, row i from seed i alone."""
    seed = tf.cast(seed, tf.int64)
    return tf.map_fn(
        lambda s: tf.random.stateless_normal([z_dim], tf.stack([s, tf.zeros_like(s)])),
        seed,
        fn_output_signature=tf.TensorSpec([z_dim], tf.float32),
    )


def _check_batch(x: tf.Tensor, batch: tf.Tensor, name: str) -> None:
    tf.debugging.assert_equal(
        tf.shape(x)[0], batch, message=f"{name} must have one row per example of the condition"
    )


def to_uint8(image: tf.Tensor) -> tf.Tensor:
    """[-1, 1] float -> [0, 255] uint8, rounded."""
    return tf.cast(tf.round(tf.clip_by_value((image + 1.0) * 127.5, 0.0, 255.0)), tf.uint8)


class _Outputs:
    """The exported computations of one restored GAN (shared by SavedModel and TFLite)."""

    def __init__(self, restored: RestoredGan):
        self.encoder = restored.gan.encoder
        self.generator = restored.generator
        self.z_dim = restored.z_dim

    def generate(self, condition: tf.Tensor, z: tf.Tensor) -> tf.Tensor:
        encoding = self.encoder.encode(condition, training=False)
        return tf.cast(self.generator((encoding, z), training=False), tf.float32)

    def s2i(self, waveform, z) -> dict[str, tf.Tensor]:
        image = self.generate(waveform, z)
        return {"image": to_uint8(image), "image_float": image}

    def i2s_log_mel(self, pixels, z) -> tf.Tensor:
        return to_log_mel_44(self.generate(pixels, z))

    def i2s(self, pixels, z) -> dict[str, tf.Tensor]:
        log_mel = self.i2s_log_mel(pixels, z)
        return {"log_mel": log_mel, "waveform": synthesis.log_mel_to_audio(log_mel)}


def _spec(shape, dtype, name) -> tf.TensorSpec:
    return tf.TensorSpec(shape, dtype, name=name)


def build_archive(restored: RestoredGan) -> keras.export.ExportArchive:
    """The serving ExportArchive of a restored GAN (signatures in the module docstring)."""
    out = _Outputs(restored)
    z_dim = out.z_dim
    archive = keras.export.ExportArchive()
    archive.track(out.encoder)
    archive.track(out.generator)
    z_spec = _spec([None, z_dim], tf.float32, "z")
    seed_spec = _spec([None], tf.int64, "seed")

    # Each signature calls one inner function, traced once and stored once (the I2S
    # synthesis graph is large: tracing it per signature would triple the export time).
    if restored.direction == "s2i":
        wave_spec = _spec(None, tf.float32, "waveform")  # rank checked in the graph
        core = tf.function(
            out.s2i, input_signature=[_spec([None, CHUNK_SAMPLES], tf.float32, None), z_spec]
        )

        def default(waveform):
            waveform = fit_waveform(waveform)
            seed = tf.zeros([tf.shape(waveform)[0]], tf.int64)
            return {"image": core(waveform, noise_from_seeds(seed, z_dim))["image"]}

        def with_seed(waveform, seed):
            waveform = fit_waveform(waveform)
            _check_batch(seed, tf.shape(waveform)[0], "seed")
            return {"image": core(waveform, noise_from_seeds(seed, z_dim))["image"]}

        def with_z(waveform, z):
            waveform = fit_waveform(waveform)
            _check_batch(z, tf.shape(waveform)[0], "z")
            return core(waveform, z)

        archive.add_endpoint("serving_default", default, [wave_spec])
        archive.add_endpoint("s2i_seed", with_seed, [wave_spec, seed_spec])
        archive.add_endpoint("s2i_z", with_z, [wave_spec, z_spec])
    else:
        image_spec = _spec(None, tf.uint8, "image")  # rank checked in the graph
        core = tf.function(
            out.i2s,
            input_signature=[_spec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32, None), z_spec],
        )

        def default(image):
            pixels = fit_image(image)
            seed = tf.zeros([tf.shape(pixels)[0]], tf.int64)
            return core(pixels, noise_from_seeds(seed, z_dim))

        def with_seed(image, seed):
            pixels = fit_image(image)
            _check_batch(seed, tf.shape(pixels)[0], "seed")
            return core(pixels, noise_from_seeds(seed, z_dim))

        def with_z(image, z):
            pixels = fit_image(image)
            _check_batch(z, tf.shape(pixels)[0], "z")
            return core(pixels, z)

        archive.add_endpoint("serving_default", default, [image_spec])
        archive.add_endpoint("i2s_seed", with_seed, [image_spec, seed_spec])
        archive.add_endpoint("i2s_z", with_z, [image_spec, z_spec])
    return archive


def build_tflite_archive(restored: RestoredGan) -> keras.export.ExportArchive:
    """The ExportArchive the TFLite models are converted from: one `serving_default`
    signature with the noise as an input (TFLite has no stateless random ops) and no
    assertions.

        S2I: waveform [batch, 22050] float32, z -> image (uint8), image_float
        I2S: image [batch, 64, 64, 3] uint8, z -> log_mel [batch, 128, 44] dB

    The I2S waveform (FISTA mel inversion + Griffin-Lim: while loops over complex
    inverse STFTs) is not in the TFLite model: run `avgan.synthesis.log_mel_to_audio`
    (or the SavedModel) on its log_mel.
    """
    out = _Outputs(restored)
    archive = keras.export.ExportArchive()
    archive.track(out.encoder)
    archive.track(out.generator)
    z_spec = _spec([None, out.z_dim], tf.float32, "z")
    if restored.direction == "s2i":

        def fn(waveform, z):
            return out.s2i(waveform, z)

        condition = _spec([None, CHUNK_SAMPLES], tf.float32, "waveform")
    else:

        def fn(image, z):
            return {"log_mel": out.i2s_log_mel(tf.cast(image, tf.float32) / 127.5 - 1.0, z)}

        condition = _spec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.uint8, "image")
    archive.add_endpoint("serving_default", fn, [condition, z_spec])
    return archive


# TF Serving layout ---------------------------------------------------------------------


def versions(model_root: str) -> list[int]:
    """The integer version folders under export/models/<name>/, ascending."""
    if not os.path.isdir(model_root):
        return []
    return sorted(int(d) for d in os.listdir(model_root) if re.fullmatch(r"\d+", d))


def write_archive(archive: keras.export.ExportArchive, path: str, metadata: dict) -> str:
    """Writes the SavedModel atomically: into a hidden temporary folder beside `path`
    (TF Serving ignores non-integer names) and renamed when complete, so a server
    polling the folder never loads a half-written version."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=".tmp-")
    try:
        archive.write_out(tmp, verbose=False)
        write_text(os.path.join(tmp, METADATA_FILE), json.dumps(metadata, indent=2))
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def export_saved_model(
    restored: RestoredGan, out: str, name: str | None = None, version: int | None = None
) -> str:
    """Writes OUT/<name>/<version>/ (TF Serving's layout); returns that path.

    Args:
        name: the served model's name; default the run's direction ('s2i' or 'i2s').
        version: default one more than the newest version there (1 for the first).

    Raises:
        ExportError: the version exists already.
    """
    name = name or restored.direction
    root = os.path.join(out, name)
    version = version if version is not None else max(versions(root), default=0) + 1
    if version < 1:
        raise ExportError(f"--version must be a positive integer, got {version}")
    path = os.path.join(root, str(version))
    if os.path.exists(path):
        raise ExportError(f"{path} exists; pick a new --version (TF Serving versions are final)")
    metadata = {
        "name": name,
        "version": version,
        "direction": restored.direction,
        "mode": restored.mode,
        "checkpoint": os.path.abspath(restored.checkpoint),
        "encoder": os.path.abspath(restored.encoder_path),
        "ema_generator": restored.uses_ema,
        "z_dim": restored.z_dim,
        "chunk_samples": CHUNK_SAMPLES,
    }
    return write_archive(build_archive(restored), path, metadata)


def write_models_config(out: str, config_file: str, serving_root: str = "/models") -> str:
    """Writes TF Serving's model_config_list with every model under OUT.

    A model is a folder of OUT holding at least one integer version folder; its
    base_path is SERVING_ROOT/<name> (where OUT is mounted in the container).
    """
    names = sorted(
        d for d in os.listdir(out) if not d.startswith(".") and versions(os.path.join(out, d))
    )
    entries = "".join(
        "  config {\n"
        f'    name: "{n}"\n'
        f'    base_path: "{serving_root.rstrip("/")}/{n}"\n'
        '    model_platform: "tensorflow"\n'
        "  }\n"
        for n in names
    )
    write_text(config_file, "model_config_list {\n" + entries + "}\n")
    return config_file
