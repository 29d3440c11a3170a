"""Image-to-sound (I2S) generator and discriminator (paper §3.1, Fig. 2b).

The I2S networks make and judge 128x34 log-mel spectrograms. The generator follows
S2I's (phi of the 128-d image encoding, concatenated with z, deconvolved) up to a
32x32 feature map, then two 4x4 deconvolutions with stride (2, 1) and 1x1 zero
padding give 64x33 and 128x34. The discriminator mirrors it: two 4x4 convolutions
with stride (2, 1) and 1x1 zero padding take 128x34 to 64x33 and 32x32, then the
usual stride-2 stack to 4x4 and the GAN-CLS head. The paper adds two layers to the
generator and twelve to the discriminator; here they are stride-1 3x3 convolutions
with batch normalisation at the 4x4 resolution, where GAN-CLS (Reed et al. 2016)
puts its extra layers, and their number is a constructor argument.

Spectrograms are scaled to the generator's tanh range by `spectrogram_target`
(log-mel in dB, 0 dB at each example's maximum, the 80 dB range mapped to [-1, 1],
44 frames resized to 34 as the paper resizes ground truth) and mapped back to a
128x44 log-mel in dB by `to_log_mel_44` (the paper's resize for evaluation).
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from avgan.data import features
from avgan.models.s2i import (
    LEAK,
    ConditionalGenerator,
    MatchingDiscriminator,
    NearestUpSampling2D,
    batch_norm,
    check_upsampling,
    downsample,
    generator_norm,
    generator_stem,
    spectral,
    upsample_stack,
    weight_init,
)

MELS = features.N_MELS  # 128
FRAMES = 34  # the generated width (the paper's 128x34)
LMS_FRAMES = 44  # frames of a 0.5 s log-mel at 44.1 kHz, hop 512
TOP_DB = 80.0  # log_mel_spectrogram's floor below each example's maximum
DB_SCALE = TOP_DB / 2.0  # dB per unit of the [-1, 1] range


def spectrogram_target(waveform: tf.Tensor) -> tf.Tensor:
    """Waveforms -> the I2S discriminator's real samples.

    The log-mel spectrum (LMS, floored 80 dB below each example's maximum) resized
    from 44 to 34 frames (bilinear), re-referenced to 0 dB at the resized maximum and
    mapped linearly to [-1, 1]: (db - max_db) / 40 + 1. Re-referencing after the
    resize keeps each example's maximum at exactly 1; the resized values stay inside
    the original 80 dB range, so the minimum stays >= -1.

    Args:
        waveform: [batch, samples] float32 in [-1, 1] (22050 for 0.5 s).

    Returns:
        [batch, 128, 34, 1] float32 in [-1, 1].
    """
    db = features.log_mel_spectrogram(tf.convert_to_tensor(waveform, tf.float32), top_db=TOP_DB)
    db = tf.image.resize(db[..., None], [MELS, FRAMES], method="bilinear")
    peak = tf.reduce_max(db, axis=[1, 2, 3], keepdims=True)
    return tf.clip_by_value((db - peak) / DB_SCALE + 1.0, -1.0, 1.0)


def to_log_mel_44(generated: tf.Tensor) -> tf.Tensor:
    """Generated (or target) spectrograms -> 128x44 log-mel in dB, 0 dB at full scale.

    The inverse of `spectrogram_target`'s scaling, (x - 1) * 40 dB, resized from 34 to
    44 frames (bilinear), as the paper does before comparing with ground truth.

    Args:
        generated: [batch, 128, 34, 1] float32 in [-1, 1].

    Returns:
        [batch, 128, 44] float32 in [-80, 0] dB.
    """
    db = (tf.convert_to_tensor(generated, tf.float32) - 1.0) * DB_SCALE
    return tf.image.resize(db, [MELS, LMS_FRAMES], method="bilinear")[..., 0]


def rectangular_deconv(channels: int, name: str, **kwargs) -> list:
    """A 4x4 transposed convolution, stride (2, 1), zero padding 1: [h, w] -> [2h, w + 1].

    Torch's ConvTranspose2d(k=4, s=(2, 1), p=1). Keras's transposed convolutions take
    no explicit padding, so a 'valid' one ([2h + 2, w + 3]) is cropped by 1 on each side.
    """
    return [
        keras.layers.Conv2DTranspose(
            channels,
            4,
            strides=(2, 1),
            padding="valid",
            kernel_initializer=weight_init(),
            name=name,
            **kwargs,
        ),
        keras.layers.Cropping2D(1),
    ]


def rectangular_upsample(channels: int, upsampling: str, name: str, **kwargs) -> list:
    """Layers that take [h, w] to [2h, w + 1]: `rectangular_deconv` ('deconv'), or
    ('resize') nearest-neighbour upsampling along the mels, zero padding 1 and a 3x2
    convolution: 3 rows keep the 2h mels, 2 columns over w + 2 padded frames give
    w + 1."""
    if check_upsampling(upsampling) == "deconv":
        return rectangular_deconv(channels, name, **kwargs)
    return [
        NearestUpSampling2D((2, 1), name=f"{name}_resize"),
        keras.layers.ZeroPadding2D(1),
        keras.layers.Conv2D(
            channels,
            (3, 2),
            padding="valid",
            kernel_initializer=weight_init(),
            name=name,
            **kwargs,
        ),
    ]


def extra_convs(
    width: int,
    count: int,
    activation: Callable[[], keras.layers.Layer],
    norm: Callable[[int], keras.layers.Layer] | None = None,
) -> list:
    """The paper's extra layers: `count` stride-1 3x3 convolutions keeping [4, 4, 8w]
    ('extra1', 'extra2', ...; no bias), each followed by `norm(8w)` (default BN) and
    `activation()`; `spectral_extra_convs` are those of a spectrally normalised D."""
    layers = []
    for i in range(count):
        layers += [
            keras.layers.Conv2D(
                8 * width,
                3,
                padding="same",
                use_bias=False,
                kernel_initializer=weight_init(),
                name=f"extra{i + 1}",
            ),
            (norm or (lambda _: batch_norm()))(8 * width),
            activation(),
        ]
    return layers


def spectral_extra_convs(width: int, count: int) -> list:
    """`extra_convs` of a spectrally normalised discriminator: each convolution (with a
    bias) spectrally normalised, no BN, leaky ReLU."""
    layers = []
    for i in range(count):
        conv = keras.layers.Conv2D(
            8 * width, 3, padding="same", kernel_initializer=weight_init(), name=f"extra{i + 1}"
        )
        layers += [spectral(conv), keras.layers.LeakyReLU(LEAK)]
    return layers


def rectangular_conv(channels: int, name: str, spectral_norm: bool = False, **kwargs) -> list:
    """Layers of a 4x4, stride (2, 1), padding 1 convolution: [h, w] -> [h / 2, w - 1]
    (spectrally normalised with `spectral_norm`)."""
    conv = keras.layers.Conv2D(
        channels,
        4,
        strides=(2, 1),
        padding="valid",
        kernel_initializer=weight_init(),
        name=name,
        **kwargs,
    )
    return [keras.layers.ZeroPadding2D(1), spectral(conv) if spectral_norm else conv]


@keras.saving.register_keras_serializable(package="avgan")
class I2SGenerator(ConditionalGenerator):
    """(image encoding, noise) -> log-mel spectrogram.

    Input: (encoding [batch, encoding_dim] float32, z [batch, z_dim] float32).
    Output: [batch, 128, 34, 1] float32 in [-1, 1] (see `to_log_mel_44`).

    phi(encoding) ++ z -> FC 4x4x(8w) BN ReLU -> `extra_layers` 3x3 convolutions
    (8w, BN, ReLU) -> 5x5 stride-2 deconvolutions to 8x8x4w, 16x16x2w, 32x32x2w (the
    paper's 32x32x128 at w = 64) -> 4x4 stride-(2, 1) deconvolutions to 64x33xw (BN,
    ReLU) and 128x34x1 (tanh).

    Args:
        width: base number of filters, w (the paper's 64).
        z_dim: noise dimension (100).
        encoding_dim: size of the image encoding (128).
        projection_dim: size of phi (64).
        extra_layers: the paper's two extra generator layers.
        upsampling: 'deconv' (the paper's) or 'resize' (nearest-neighbour upsampling
            and convolutions in place of the deconvolutions; see `avgan.models.s2i.upsample`).
    """

    SAMPLE_SHAPE = (MELS, FRAMES, 1)

    def __init__(
        self,
        width: int,
        z_dim: int = 100,
        encoding_dim: int = 128,
        projection_dim: int = 64,
        extra_layers: int = 2,
        upsampling: str = "deconv",
        conditioning: str = "input",
        **kwargs,
    ):
        super().__init__(
            width, z_dim, encoding_dim, projection_dim, upsampling, conditioning, **kwargs
        )
        self.extra_layers = extra_layers

        def norm(channels: int) -> keras.layers.Layer:
            return generator_norm(channels, self.film)

        # `+` evaluates left to right: the FC's initialiser is made before the extras'.
        stem = generator_stem(width, self.film)
        stem += extra_convs(width, extra_layers, keras.layers.ReLU, norm)
        self.stem = self.block(stem, name="stem")
        ups = upsample_stack((4 * width, 2 * width, 2 * width), upsampling, self.film)
        ups += rectangular_upsample(width, upsampling, "rect_deconv1", use_bias=False)
        ups += [norm(width), keras.layers.ReLU()]
        ups += rectangular_upsample(1, upsampling, "rect_deconv2")
        ups.append(keras.layers.Activation("tanh"))
        self.ups = self.block(ups, name="ups")

    def get_config(self):
        return {**super().get_config(), "extra_layers": self.extra_layers}


@keras.saving.register_keras_serializable(package="avgan")
class I2SDiscriminator(MatchingDiscriminator):
    """(log-mel spectrogram, image encoding) -> logit that the pair is a genuine one.

    Input: (spectrogram [batch, 128, 34, 1] float32 in [-1, 1],
            encoding [batch, encoding_dim] float32).
    Output: [batch] float32 logits.

    4x4 stride-(2, 1) convolutions with zero padding 1 to 64x33xw (no BN) and 32x32xw
    (BN); 4x4 stride-2 convolutions to 16x16x2w, 8x8x4w, 4x4x8w (BN); `extra_layers`
    3x3 convolutions (8w, BN); leaky ReLU 0.2 throughout; then the GAN-CLS head.

    Args:
        width: base number of filters, w (the paper's 64).
        encoding_dim: size of the image encoding (128).
        projection_dim: size of phi (64).
        extra_layers: the paper's twelve extra discriminator layers.
        num_classes: > 0 adds an `AuxiliaryClassifier` over that many instruments.
    """

    def __init__(
        self,
        width: int,
        encoding_dim: int = 128,
        projection_dim: int = 64,
        extra_layers: int = 12,
        num_classes: int = 0,
        norm: str = "batch",
        conditioning: str = "concat",
        **kwargs,
    ):
        super().__init__(
            width, encoding_dim, projection_dim, num_classes, norm, conditioning, **kwargs
        )
        self.extra_layers = extra_layers
        sn = norm == "spectral"
        # DCGAN: no batch normalisation on the input layer.
        rect = rectangular_conv(width, "rect_conv1", sn) + [keras.layers.LeakyReLU(LEAK)]
        if sn:
            rect += rectangular_conv(width, "rect_conv2", sn)
        else:
            rect += rectangular_conv(width, "rect_conv2", use_bias=False) + [batch_norm()]
        rect += [keras.layers.LeakyReLU(LEAK)]
        self.rect = keras.Sequential(rect, name="rect")
        downs = []
        for i, channels in enumerate((2 * width, 4 * width, 8 * width)):
            downs += downsample(channels, f"conv{i + 1}", norm=norm)
        if sn:
            downs += spectral_extra_convs(width, extra_layers)
        else:
            downs += extra_convs(width, extra_layers, lambda: keras.layers.LeakyReLU(LEAK))
        self.downs = keras.Sequential(downs, name="downs")
        self._make_heads()

    def features(self, sample: tf.Tensor, training: bool = False) -> tf.Tensor:
        """[batch, 128, 34, 1] spectrograms -> [batch, 4, 4, 8w]."""
        return self.downs(self.rect(sample, training=training), training=training)

    def get_config(self):
        return {**super().get_config(), "extra_layers": self.extra_layers}
