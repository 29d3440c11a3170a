"""The generators' upsampling: DCGAN's deconvolutions or resize-convolutions."""

import keras
import numpy as np
import pytest

from avgan.models.i2s import I2SGenerator, rectangular_upsample
from avgan.models.s2i import S2IGenerator, upsample

WIDTH, Z_DIM, BATCH = 8, 16, 2


def _ones_layers(layers):
    """The layers with every kernel set to ones (no bias), so a constant input shows
    how many taps reach each output pixel."""
    for layer in layers:
        for weight in layer.weights:
            weight.assign(np.ones(weight.shape, np.float32))
    return layers


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return np.asarray(x)


def test_deconv_draws_a_checkerboard_on_a_flat_input_and_resize_does_not():
    flat = np.ones((1, 8, 8, 1), np.float32)
    deconv = upsample(1, "deconv", "up", use_bias=False)
    resize = upsample(1, "resize", "up", use_bias=False)
    _apply(deconv, flat), _apply(resize, flat)  # build
    by_deconv = _apply(_ones_layers(deconv), flat)[0, 2:-2, 2:-2, 0]
    by_resize = _apply(_ones_layers(resize), flat)[0, 2:-2, 2:-2, 0]
    assert by_deconv.shape == by_resize.shape == (12, 12)
    # 5x5 kernel, stride 2: 3 or 2 taps per axis, alternating -> 9, 6 and 4.
    assert sorted(np.unique(by_deconv)) == [4.0, 6.0, 9.0]
    np.testing.assert_array_equal(by_deconv[0::2, 0::2], by_deconv[0, 0])
    # Nearest-neighbour upsampling then 3x3: every interior pixel sums 9 ones.
    np.testing.assert_array_equal(by_resize, 9.0)


def test_rectangular_resize_doubles_the_mels_and_adds_a_frame():
    flat = np.ones((1, 32, 32, 2), np.float32)
    layers = rectangular_upsample(1, "resize", "rect", use_bias=False)
    _apply(layers, flat)
    out = _apply(_ones_layers(layers), flat)[0, ..., 0]
    assert out.shape == (64, 33)
    # 3x2 taps of 2 channels away from the zero padding, the same at every pixel.
    np.testing.assert_array_equal(out[1:-1, 1:-1], 12.0)


@pytest.mark.parametrize(
    "cls, shape", [(S2IGenerator, (BATCH, 64, 64, 3)), (I2SGenerator, (BATCH, 128, 34, 1))]
)
def test_resize_generators_keep_their_output_and_config(cls, shape):
    rng = np.random.default_rng(0)
    encoding = np.maximum(rng.standard_normal((BATCH, 128)), 0).astype(np.float32)
    z = rng.standard_normal((BATCH, Z_DIM)).astype(np.float32)
    keras.utils.set_random_seed(0)
    generator = cls(WIDTH, z_dim=Z_DIM, upsampling="resize")
    out = generator((encoding, z), training=True).numpy()
    assert out.shape == shape and np.abs(out).max() <= 1.0 and out.std() > 0.01
    layers = list(generator.ups._flatten_layers())
    assert not any(isinstance(layer, keras.layers.Conv2DTranspose) for layer in layers)
    assert sum(isinstance(layer, keras.layers.UpSampling2D) for layer in layers) == (
        4 if cls is S2IGenerator else 5
    )
    clone = cls.from_config(generator.get_config())
    assert clone.upsampling == "resize"
    clone((encoding, z))
    clone.set_weights(generator.get_weights())
    np.testing.assert_allclose(
        clone((encoding, z), training=False).numpy(),
        generator((encoding, z), training=False).numpy(),
        atol=1e-6,
    )


def test_an_unknown_upsampling_is_refused_naming_the_valid_ones():
    with pytest.raises(ValueError, match="unknown upsampling 'bilinear'; valid: deconv, resize"):
        S2IGenerator(WIDTH, upsampling="bilinear")
    with pytest.raises(ValueError, match="unknown upsampling"):
        I2SGenerator(WIDTH, upsampling="bilinear")
