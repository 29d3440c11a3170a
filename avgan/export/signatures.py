"""The serving signatures of a restored GAN run: raw inputs in, checked in the graph.

Built on `avgan.run_dir.restore`'s run (condition encoder + generator; the EMA
generator when the run kept one), as `keras.export.ExportArchive`s, which store each
variable once and are what the TFLite converter needs (a plain tf.Module wrapper that
does not track the Keras 3 variables aborts the converter: docs/design.md §1).
`avgan.export.serving` writes them in TF Serving's layout.

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
    z         [batch, z_dim] float32 noise, as `Sampler.generate(condition, z)`; finite.
    image_float  [batch, 64, 64, 3] float32 in [-1, 1], the generator's tanh output.
    log_mel   [batch, 128, 44] float32 dB (0 dB full scale), `to_log_mel_44`.
    waveform  (I2S output) [batch, 22050] float32 by `avgan.synthesis.log_mel_to_audio`.

Every signature takes at most `max_batch` examples per call (set at export, default
DEFAULT_MAX_BATCH; the check runs before the generator does), so that one request cannot
take the server's memory (4,096 waveforms took 4.1 GB).

Bad input (wrong rank, no samples, a zero-sized picture, NaN/Inf audio or z, a z of
another width than z_dim, seed or z whose batch differs, a batch over max_batch, a wrong
dtype) fails with an InvalidArgumentError that says what was expected.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from avgan import synthesis
from avgan.data.constants import CHUNK_SAMPLES, IMAGE_SIZE
from avgan.data.pictures import to_uint8, to_unit
from avgan.models.i2s import to_log_mel_44
from avgan.run_dir import RestoredRun

DEFAULT_MAX_BATCH = 256

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


def _max_batch_check(x: tf.Tensor, max_batch: int | None, name: str) -> list[tf.Operation]:
    """[] or the assertion that x has at most `max_batch` rows, naming the limit."""
    if max_batch is None:
        return []
    return [
        tf.debugging.assert_less_equal(
            tf.shape(x)[0],
            max_batch,
            message=f"{name} has more than max_batch={max_batch} examples, the most this "
            "export takes in one call (set by `avgan.export_main --max_batch`): split the batch",
        )
    ]


def fit_waveform(waveform: tf.Tensor, max_batch: int | None = None) -> tf.Tensor:
    """[batch, samples] -> [batch, 22050]: the first 0.5 s, zero-padded when shorter.

    InvalidArgumentError when the rank is not 2, there are no samples, the batch is over
    `max_batch` (None: no limit) or a sample is NaN/Inf.
    """
    waveform = tf.convert_to_tensor(waveform, tf.float32)
    waveform = _with_rank(waveform, 2, "waveform", "[batch, samples] float32")
    checks = _max_batch_check(waveform, max_batch, "waveform")
    checks.append(
        tf.debugging.assert_positive(
            tf.shape(waveform)[1],
            message="waveform has no samples: send [batch, samples] float32 at 44.1 kHz "
            f"({CHUNK_SAMPLES} samples = 0.5 s; longer is cropped, shorter zero-padded)",
        )
    )
    with tf.control_dependencies(checks):
        waveform = tf.debugging.check_numerics(waveform, "waveform contains NaN or Inf")
    waveform = waveform[:, :CHUNK_SAMPLES]
    waveform = tf.pad(waveform, [[0, 0], [0, CHUNK_SAMPLES - tf.shape(waveform)[1]]])
    return tf.ensure_shape(waveform, [None, CHUNK_SAMPLES])


def fit_image(image: tf.Tensor, max_batch: int | None = None) -> tf.Tensor:
    """[batch, h, w, 3] uint8 -> [batch, 64, 64, 3] float32 in [-1, 1].

    Other sizes are resized (bilinear, antialiased); 64x64 passes unchanged.
    InvalidArgumentError when the rank is not 4, the batch is over `max_batch` (None: no
    limit), h or w is 0 or there are not 3 channels.
    """
    image = _with_rank(tf.convert_to_tensor(image), 4, "image", "[batch, height, width, 3] uint8")
    size = tf.shape(image)[1:3]
    checks = _max_batch_check(image, max_batch, "image") + [
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
    return to_unit(tf.ensure_shape(pixels, [None, IMAGE_SIZE, IMAGE_SIZE, 3]))


def fit_z(z: tf.Tensor, batch: tf.Tensor, z_dim: int) -> tf.Tensor:
    """[batch, z_dim] float32 noise, checked: z with static shape [None, z_dim].

    InvalidArgumentError when the rank is not 2, the width is not z_dim, the batch is not
    `batch` (the condition's) or a value is NaN/Inf (NaN noise draws a black picture).
    """
    layout = f"[batch, {z_dim}] float32 (z_dim = {z_dim})"
    z = _with_rank(tf.convert_to_tensor(z, tf.float32), 2, "z", layout)
    checks = [
        tf.debugging.assert_equal(
            tf.shape(z)[1], z_dim, message=f"z must have {z_dim} columns: {layout}"
        ),
        tf.debugging.assert_equal(
            tf.shape(z)[0], batch, message="z must have one row per example of the condition"
        ),
    ]
    with tf.control_dependencies(checks):
        z = tf.debugging.check_numerics(
            z, "z contains NaN or Inf: send finite noise, e.g. standard normal"
        )
    return tf.ensure_shape(z, [None, z_dim])


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


class _Outputs:
    """The exported computations of one restored GAN (shared by SavedModel and TFLite)."""

    def __init__(self, restored: RestoredRun):
        self.encoder = restored.sampler.encoder
        self.generator = restored.sampler.sampling_generator()  # EMA when kept
        self.z_dim = restored.config.model.z_dim

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


def build_archive(
    restored: RestoredRun, max_batch: int = DEFAULT_MAX_BATCH
) -> keras.export.ExportArchive:
    """The serving ExportArchive of a restored GAN (signatures in the module docstring).

    Args:
        max_batch: the most examples one call of any signature takes (checked in the graph).
    """
    if max_batch < 1:
        raise ValueError(f"max_batch must be a positive integer, got {max_batch}")
    out = _Outputs(restored)
    z_dim = out.z_dim
    archive = keras.export.ExportArchive()
    archive.track(out.encoder)
    archive.track(out.generator)
    z_spec = _spec(None, tf.float32, "z")  # rank and width checked in the graph (fit_z)
    core_z = _spec([None, z_dim], tf.float32, "z")
    seed_spec = _spec([None], tf.int64, "seed")

    # Each signature calls one inner function, traced once and stored once (the I2S
    # synthesis graph is large: tracing it per signature would triple the export time).
    if restored.config.direction == "s2i":
        wave_spec = _spec(None, tf.float32, "waveform")  # rank checked in the graph
        core = tf.function(
            out.s2i, input_signature=[_spec([None, CHUNK_SAMPLES], tf.float32, None), core_z]
        )

        def default(waveform):
            waveform = fit_waveform(waveform, max_batch)
            seed = tf.zeros([tf.shape(waveform)[0]], tf.int64)
            return {"image": core(waveform, noise_from_seeds(seed, z_dim))["image"]}

        def with_seed(waveform, seed):
            waveform = fit_waveform(waveform, max_batch)
            _check_batch(seed, tf.shape(waveform)[0], "seed")
            return {"image": core(waveform, noise_from_seeds(seed, z_dim))["image"]}

        def with_z(waveform, z):
            waveform = fit_waveform(waveform, max_batch)
            return core(waveform, fit_z(z, tf.shape(waveform)[0], z_dim))

        archive.add_endpoint("serving_default", default, [wave_spec])
        archive.add_endpoint("s2i_seed", with_seed, [wave_spec, seed_spec])
        archive.add_endpoint("s2i_z", with_z, [wave_spec, z_spec])
    else:
        image_spec = _spec(None, tf.uint8, "image")  # rank checked in the graph
        core = tf.function(
            out.i2s,
            input_signature=[_spec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32, None), core_z],
        )

        def default(image):
            pixels = fit_image(image, max_batch)
            seed = tf.zeros([tf.shape(pixels)[0]], tf.int64)
            return core(pixels, noise_from_seeds(seed, z_dim))

        def with_seed(image, seed):
            pixels = fit_image(image, max_batch)
            _check_batch(seed, tf.shape(pixels)[0], "seed")
            return core(pixels, noise_from_seeds(seed, z_dim))

        def with_z(image, z):
            pixels = fit_image(image, max_batch)
            return core(pixels, fit_z(z, tf.shape(pixels)[0], z_dim))

        archive.add_endpoint("serving_default", default, [image_spec])
        archive.add_endpoint("i2s_seed", with_seed, [image_spec, seed_spec])
        archive.add_endpoint("i2s_z", with_z, [image_spec, z_spec])
    return archive


def keep_float_scopes(restored: RestoredRun) -> tuple[str, ...]:
    """The name scopes whose ops stay float in the int8 TFLite model: the sound encoder's
    feature layer (STFT, mel filterbank, log), whose input spans too many orders of
    magnitude for one int8 scale (`avgan.export.float_ops`). () for I2S, whose picture
    input and generator quantise within tolerance."""
    features = getattr(restored.sampler.encoder, "features", None)
    return (features.name,) if isinstance(features, keras.layers.Layer) else ()


def build_tflite_archive(restored: RestoredRun) -> keras.export.ExportArchive:
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
    if restored.config.direction == "s2i":

        def fn(waveform, z):
            return out.s2i(waveform, z)

        condition = _spec([None, CHUNK_SAMPLES], tf.float32, "waveform")
    else:

        def fn(image, z):
            return {"log_mel": out.i2s_log_mel(to_unit(image), z)}

        condition = _spec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.uint8, "image")
    archive.add_endpoint("serving_default", fn, [condition, z_spec])
    return archive
