"""I2S networks: the 128x34 rectangular path, extra layers, and the spectrogram scaling."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from avgan.data.features import log_mel_spectrogram
from avgan.models.i2s import I2SDiscriminator, I2SGenerator, spectrogram_target, to_log_mel_44
from avgan.models.s2i import ConditionalGenerator
from tests.models.test_s2i import bn, weight_paths

WIDTH, Z_DIM, BATCH = 8, 16, 2


def run(layers, x):
    """Applies some layers of a block in inference mode."""
    for layer in layers:
        x = layer(x, training=False)
    return x


SAMPLE_RATE = 44100


def harmonic_tone(f0: float, decay: float, noise: float, seed: int = 0) -> np.ndarray:
    """0.5 s of five harmonics with an exponential decay and white noise."""
    t = np.arange(22050) / SAMPLE_RATE
    x = sum(0.3 / k * np.sin(2 * np.pi * f0 * k * t) for k in range(1, 6)) * np.exp(-decay * t)
    x = x + noise * np.random.default_rng(seed).standard_normal(t.shape)
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def waveforms():
    # A steady tone, a decaying one, and a quiet noisier one.
    return np.stack(
        [
            harmonic_tone(220, 0, 1e-3),
            harmonic_tone(440, 3, 1e-3, seed=1),
            0.1 * harmonic_tone(330, 0, 1e-2, seed=2),
        ]
    )


@pytest.fixture(scope="module")
def inputs():
    rng = np.random.default_rng(0)
    encoding = np.maximum(rng.standard_normal((BATCH, 128)), 0).astype(np.float32)
    z = rng.standard_normal((BATCH, Z_DIM)).astype(np.float32)
    spectrogram = rng.uniform(-1, 1, (BATCH, 128, 34, 1)).astype(np.float32)
    return encoding, z, spectrogram


def test_generator_makes_128x34_spectrograms(inputs):
    keras.utils.set_random_seed(0)
    encoding, z, _ = inputs
    generator = I2SGenerator(WIDTH, z_dim=Z_DIM)
    out = generator((encoding, z), training=True).numpy()
    assert out.shape == (BATCH, 128, 34, 1)
    assert np.abs(out).max() <= 1.0 and out.std() > 0.01
    # The 32x32 map (2w channels: 128 at the paper's w = 64), then 64x33 and 128x34.
    x = generator.stem(generator.joint_input(encoding, z), training=False)
    assert x.shape == (BATCH, 4, 4, 8 * WIDTH)
    ups = generator.ups.layers
    rect = next(i for i, layer in enumerate(ups) if layer.name == "rect_deconv1")
    x = run(ups[:rect], x)
    assert x.shape == (BATCH, 32, 32, 2 * WIDTH)
    x = run(ups[rect : rect + 2], x)  # transposed convolution, crop 1
    assert x.shape == (BATCH, 64, 33, WIDTH)
    assert ups[rect].kernel_size == (4, 4) and ups[rect].strides == (2, 1)
    extras = [layer for layer in generator.stem.layers if layer.name.startswith("extra")]
    assert len(extras) == 2 and all(e.kernel_size == (3, 3) for e in extras)  # paper: +2


@pytest.mark.parametrize("upsampling", ["deconv", "resize"])
def test_generator_weights_keep_their_paths_and_order(inputs, upsampling):
    # Checkpoints and .keras files made by earlier runs name these variables, and seeded
    # runs draw their initial values in this order: a refactoring must not change it.
    generator = I2SGenerator(WIDTH, z_dim=Z_DIM, extra_layers=2, upsampling=upsampling)
    generator(inputs[:2])
    expected = ["phi/fc/kernel", "phi/fc/bias", "stem/fc/kernel", *bn("stem")]
    for i in (1, 2):
        expected += [f"stem/extra{i}/kernel", *bn("stem")]
    for i in (1, 2, 3):
        expected += [f"ups/deconv{i}/kernel", *bn("ups")]
    expected += ["ups/rect_deconv1/kernel", *bn("ups"), "ups/rect_deconv2/kernel"]
    assert weight_paths(generator) == [*expected, "ups/rect_deconv2/bias"]


def test_networks_round_trip_through_their_config(inputs):
    encoding, z, spectrogram = inputs
    generator = I2SGenerator(WIDTH, z_dim=Z_DIM, extra_layers=1, upsampling="resize")
    discriminator = I2SDiscriminator(WIDTH, extra_layers=1, num_classes=3)
    assert isinstance(generator, ConditionalGenerator)
    shape = generator.compute_output_shape(((BATCH, 128), (BATCH, Z_DIM)))
    assert shape == (BATCH, 128, 34, 1)
    for model, args in ((generator, (encoding, z)), (discriminator, (spectrogram, encoding))):
        model(args)
        serialised = keras.saving.serialize_keras_object(model)
        assert serialised["registered_name"] == f"avgan>{type(model).__name__}"
        clone = keras.saving.deserialize_keras_object(serialised)
        assert type(clone) is type(model) and clone.get_config() == model.get_config()
        clone(args)
        clone.set_weights(model.get_weights())
        np.testing.assert_array_equal(
            clone(args, training=False).numpy(), model(args, training=False).numpy()
        )
    assert generator.get_config()["extra_layers"] == 1
    assert generator.get_config()["upsampling"] == "resize"


def test_discriminator_takes_128x34_through_64x33_to_32x32(inputs):
    keras.utils.set_random_seed(1)
    encoding, _, spectrogram = inputs
    discriminator = I2SDiscriminator(WIDTH, extra_layers=2)
    logits = discriminator((spectrogram, encoding), training=False).numpy()
    assert logits.shape == (BATCH,) and np.all(np.isfinite(logits))
    rect = discriminator.rect.layers
    x = run(rect[:3], tf.constant(spectrogram))  # zero padding 1, conv, leaky ReLU
    assert x.shape == (BATCH, 64, 33, WIDTH)
    x = run(rect[3:], x)
    assert x.shape == (BATCH, 32, 32, WIDTH)
    assert rect[1].kernel_size == (4, 4) and rect[1].strides == (2, 1)
    x = discriminator.downs(x, training=False)
    assert x.shape == (BATCH, 4, 4, 8 * WIDTH)
    extras = [layer for layer in discriminator.downs.layers if layer.name.startswith("extra")]
    assert len(extras) == 2
    swapped = discriminator((spectrogram, encoding[::-1]), training=False).numpy()
    assert np.abs(swapped - logits).max() > 1e-6  # conditioned on the image encoding


def test_discriminator_has_the_papers_twelve_extra_layers_by_default():
    model = I2SDiscriminator(4)
    model((tf.zeros([1, 128, 34, 1]), tf.zeros([1, 128])))
    extras = [layer for layer in model.downs.layers if layer.name.startswith("extra")]
    assert len(extras) == 12 and model.get_config()["extra_layers"] == 12
    assert I2SGenerator(4).get_config()["extra_layers"] == 2


def test_spectrogram_target_is_in_tanh_range_with_max_one(waveforms):
    target = spectrogram_target(waveforms).numpy()
    assert target.shape == (3, 128, 34, 1)
    assert target.min() >= -1.0 and target.max() <= 1.0
    np.testing.assert_array_equal(target.max(axis=(1, 2, 3)), [1.0, 1.0, 1.0])
    # The 80 dB floor reaches -1 (up to the resize's blending of floor cells).
    assert target[0].min() < -0.99
    # Re-referenced per example: 20 dB quieter gives the same target.
    np.testing.assert_allclose(spectrogram_target(0.1 * waveforms).numpy(), target, atol=1e-4)


def test_to_log_mel_44_inverts_the_scaling():
    # Golden values: 1 -> 0 dB, 0 -> -40 dB, -1 -> -80 dB; resized to 44 frames.
    levels = tf.constant([1.0, 0.0, -1.0])[:, None, None, None] * tf.ones([3, 128, 34, 1])
    db = to_log_mel_44(levels).numpy()
    assert db.shape == (3, 128, 44)
    np.testing.assert_allclose(db[:, 0, 0], [0.0, -40.0, -80.0], atol=1e-5)
    np.testing.assert_allclose(db.std(axis=(1, 2)), 0.0, atol=1e-5)


def test_round_trip_matches_the_log_mel_re_referenced_to_0_db(waveforms):
    back = to_log_mel_44(spectrogram_target(waveforms)).numpy()
    log_mel = log_mel_spectrogram(waveforms).numpy()
    reference = log_mel - log_mel.max(axis=(1, 2), keepdims=True)
    assert back.shape == reference.shape == (3, 128, 44)
    error = np.abs(back - reference)
    # 44 -> 34 -> 44 frames blurs time detail: the clicks at the chunk's edges and the
    # frame-to-frame flicker of quiet bins. Measured: mean 0.6 dB; 0.1 dB at most on
    # cells within 30 dB of the peak away from the edges; mel profile within 0.25 dB.
    assert error.mean() < 1.0
    loud = reference[:, :, 3:-3] > -30.0
    assert loud.sum() > 300 and error[:, :, 3:-3][loud].max() < 0.5
    profile_error = np.abs(back.mean(axis=2) - reference.mean(axis=2))
    assert profile_error.max() < 0.5
