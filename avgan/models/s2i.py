"""Sound-to-image (S2I) generator and discriminator (paper §3.1, Fig. 2a).

DCGAN networks conditioned as in GAN-CLS (Reed et al. 2016): the 128-d sound
encoding is compressed to 64 by a fully connected layer and a leaky ReLU (phi). The
generator concatenates phi with noise z and deconvolves it to a 64x64x3 picture
(tanh, [-1, 1]); the discriminator convolves a picture down to 4x4, concatenates phi
replicated over the 4x4 grid, and scores the pair with a 1x1 and a 4x4 convolution.

Each block is a `keras.Sequential`: Keras 3 hides layers held in plain Python lists
from `tf.train.Checkpoint` (keras-team/keras#19425), and the trainer checkpoints with
it. Batch normalisation is `synchronized`: under `tf.distribute` every replica normalises
with the statistics of the global batch, so training on N replicas computes what one
replica computes on the whole batch, and the moving statistics stay identical on all
replicas. Layers that feed a batch normalisation have no bias (its gradient would be
pure round-off).

What the I2S networks share with these lives here and is imported by
`avgan.models.i2s`: the blocks (`phi`, the generators' stem and upsampling, the
discriminators' downsampling, the matching-aware logit head) and the two bases,
`ConditionalGenerator` and `MatchingDiscriminator`.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from avgan.config import G_OUTPUTS, UPSAMPLINGS
from avgan.data.constants import IMAGE_SIZE

LEAK = 0.2  # DCGAN's leaky ReLU slope


def weight_init() -> keras.initializers.Initializer:
    """DCGAN's initialisation, N(0, 0.02); a new instance per layer."""
    return keras.initializers.RandomNormal(0.0, 0.02)


def batch_norm(name: str | None = None) -> keras.layers.BatchNormalization:
    """DCGAN's batch normalisation (decay 0.9, epsilon 1e-5), synchronised across replicas."""
    return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True, name=name)


def projection(projection_dim: int) -> keras.Sequential:
    """phi: encoding -> FC `projection_dim` -> leaky ReLU (paper §3.1)."""
    return keras.Sequential(
        [
            keras.layers.Dense(projection_dim, kernel_initializer=weight_init(), name="fc"),
            keras.layers.LeakyReLU(LEAK),
        ],
        name="phi",
    )


def spectral(layer: keras.layers.Layer) -> keras.layers.Layer:
    """`layer` with its kernel divided by its largest singular value, estimated by one
    power iteration per training call (Miyato et al. 2018): the discriminator is then
    1-Lipschitz per layer, without batch statistics."""
    return keras.layers.SpectralNormalization(layer, power_iterations=1, name=f"sn_{layer.name}")


@keras.saving.register_keras_serializable(package="avgan")
class ConditionalBatchNorm(keras.layers.Layer):
    """Batch norm whose scale and shift come from the condition: FiLM (Perez et al. 2018)
    of a batch norm without its own affine terms, as BigGAN's conditional batch norm.

    x * (1 + gamma(c)) + beta(c), gamma and beta one dense layer of c = phi ++ z, so
    the condition reaches every generator block, not only the first layer.

    Input: (x [batch, h, w, channels], c [batch, joint]). Output: like x.
    """

    def __init__(self, channels: int, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.norm = keras.layers.BatchNormalization(
            momentum=0.9, epsilon=1e-5, center=False, scale=False, synchronized=True
        )
        # Zero-initialised: the block starts as the unconditional batch norm it replaces.
        self.film = keras.layers.Dense(2 * channels, kernel_initializer="zeros", name="film")

    def call(self, inputs, training: bool = False):
        x, c = inputs
        x = self.norm(x, training=training)
        gamma, beta = tf.split(tf.cast(self.film(c), x.dtype), 2, axis=-1)
        return x * (1.0 + gamma[:, None, None, :]) + beta[:, None, None, :]

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


@keras.saving.register_keras_serializable(package="avgan")
class ConditionedBlock(keras.layers.Layer):
    """A FiLM generator's block: `layers` applied in order, each ConditionalBatchNorm
    also given the condition.

    Not a keras.Sequential: a Sequential of layers that take (x, condition) is never
    called as one, so never built, and an unbuilt Sequential shows tf.train.Checkpoint
    none of its layers. Each layer is an attribute (layer_0, layer_1, ...), which the
    checkpoint sees (a Python list it would not: keras-team/keras#19425).

    Input: (x, condition [batch, joint]). Output: the last layer's.
    """

    def __init__(self, layers: list, **kwargs):
        super().__init__(**kwargs)
        self.count = len(layers)
        for i, layer in enumerate(layers):
            setattr(self, f"layer_{i}", layer)

    @property
    def layers(self) -> list:
        return [getattr(self, f"layer_{i}") for i in range(self.count)]

    def call(self, inputs, training: bool = False):
        x, condition = inputs
        for layer in self.layers:
            if isinstance(layer, ConditionalBatchNorm):
                x = layer((x, condition), training=training)
            else:
                x = layer(x, training=training)
        return x


def generator_norm(channels: int, film: bool) -> keras.layers.Layer:
    """A generator block's normalisation: BN, or with `film` a ConditionalBatchNorm."""
    return ConditionalBatchNorm(channels) if film else batch_norm()


def generator_stem(width: int, film: bool = False) -> list:
    """The generators' first layers: [batch, joint] -> FC 4x4x(8w) (no bias) -> BN ReLU."""
    return [
        keras.layers.Dense(
            4 * 4 * 8 * width, use_bias=False, kernel_initializer=weight_init(), name="fc"
        ),
        keras.layers.Reshape((4, 4, 8 * width)),
        generator_norm(8 * width, film),
        keras.layers.ReLU(),
    ]


def downsample(channels: int, name: str, normalise: bool = True, norm: str = "batch") -> list:
    """The discriminators' 4x4 stride-2 convolution, [h, w] -> [h / 2, w / 2] x channels,
    then leaky ReLU. `norm` 'batch': BN after it when `normalise` (the convolution then
    has no bias); 'spectral': the convolution spectrally normalised, no BN."""
    batch = normalise and norm == "batch"
    conv = keras.layers.Conv2D(
        channels,
        4,
        strides=2,
        padding="same",
        use_bias=not batch,
        kernel_initializer=weight_init(),
        name=name,
    )
    if norm == "spectral":
        return [spectral(conv), keras.layers.LeakyReLU(LEAK)]
    return [conv] + ([batch_norm()] if batch else []) + [keras.layers.LeakyReLU(LEAK)]


def check_upsampling(upsampling: str) -> str:
    """`upsampling` if it is one of UPSAMPLINGS; ValueError naming the valid ones."""
    if upsampling not in UPSAMPLINGS:
        raise ValueError(f"unknown upsampling {upsampling!r}; valid: {', '.join(UPSAMPLINGS)}")
    return upsampling


@keras.saving.register_keras_serializable(package="avgan")
class NearestUpSampling2D(keras.layers.UpSampling2D):
    """`keras.layers.UpSampling2D(size, interpolation="nearest")` whose output keeps a
    static height and width: the same values, no weights, the same config.

    Keras copies rows and columns with `tf.repeat`, a reshape to a shape computed at run
    time: with the batch dimension dynamic, the TFLite converter cannot infer the
    output's height, and the convolution after it stays a TF op (Flex `Conv2D`, which
    plain LiteRT cannot run). Here each pixel is copied by concatenation and a reshape
    to constant sizes ([-1, rows * h, cols * w, c]), which every converter follows.
    """

    def __init__(self, size=(2, 2), **kwargs):
        kwargs["interpolation"] = "nearest"
        super().__init__(size, **kwargs)

    def call(self, inputs):
        _, height, width, channels = inputs.shape
        if self.data_format != "channels_last" or None in (height, width, channels):
            return super().call(inputs)
        rows, cols = self.size
        x = inputs
        if cols > 1:  # [b, h, w, cols * c]: pixel j's copies side by side, then as columns
            x = tf.reshape(tf.concat([x] * cols, axis=-1), [-1, height, width * cols, channels])
        if rows > 1:  # [b, h, rows * w', c]: row i's copies one after the other, then as rows
            x = tf.concat([x] * rows, axis=2)
            x = tf.reshape(x, [-1, height * rows, width * cols, channels])
        return x


def upsample(channels: int, upsampling: str, name: str, **kwargs) -> list:
    """Layers that take [h, w, c] to [2h, 2w, channels].

    'deconv': DCGAN's 5x5 stride-2 transposed convolution. Its kernel size is not a
    multiple of its stride, so neighbouring output pixels receive different numbers of
    kernel taps, which draws a checkerboard into the output.
    'resize': nearest-neighbour upsampling then a 3x3 convolution (Odena et al. 2016,
    "Deconvolution and checkerboard artifacts"): every output pixel is computed the
    same way, so there is no checkerboard to unlearn.
    Either way the weighted layer is called `name` (the deconvolutions' names), so
    checkpoints of 'deconv' runs keep their keys.
    """
    if check_upsampling(upsampling) == "deconv":
        return [
            keras.layers.Conv2DTranspose(
                channels,
                5,
                strides=2,
                padding="same",
                kernel_initializer=weight_init(),
                name=name,
                **kwargs,
            )
        ]
    return [
        NearestUpSampling2D(2, name=f"{name}_resize"),
        keras.layers.Conv2D(
            channels, 3, padding="same", kernel_initializer=weight_init(), name=name, **kwargs
        ),
    ]


def upsample_stack(channels: tuple[int, ...], upsampling: str, film: bool = False) -> list:
    """The generators' hidden upsamplings: `upsample` to each of `channels` in turn
    (layers 'deconv1', 'deconv2', ...; no bias), each followed by BN (with `film`,
    `ConditionalBatchNorm`) and ReLU."""
    layers = []
    for i, c in enumerate(channels):
        layers += upsample(c, upsampling, f"deconv{i + 1}", use_bias=False)
        layers += [generator_norm(c, film), keras.layers.ReLU()]
    return layers


@keras.saving.register_keras_serializable(package="avgan")
class MatchingHead(keras.layers.Layer):
    """GAN-CLS's discriminator head: (4x4 features, encoding) -> one logit per pair.

    phi(encoding) is replicated over the 4x4 grid and concatenated to the features,
    then a 1x1 convolution (8 x width, BN, leaky ReLU) and a 4x4 valid convolution
    give the logit.

    Input: ([batch, 4, 4, c] float32, [batch, encoding_dim] float32).
    Output: [batch] float32 logits.
    """

    def __init__(self, width: int, projection_dim: int = 64, norm: str = "batch", **kwargs):
        super().__init__(**kwargs)
        self.width, self.projection_dim, self.norm = width, projection_dim, norm
        self.phi = projection(projection_dim)
        if norm == "spectral":
            conv = keras.layers.Conv2D(8 * width, 1, kernel_initializer=weight_init(), name="conv")
            joint = [spectral(conv)]
        else:
            conv = keras.layers.Conv2D(
                8 * width, 1, use_bias=False, kernel_initializer=weight_init(), name="conv"
            )
            joint = [conv, batch_norm()]
        self.joint = keras.Sequential(joint + [keras.layers.LeakyReLU(LEAK)], name="joint")
        self.logit = keras.layers.Conv2D(
            1, 4, padding="valid", kernel_initializer=weight_init(), name="logit"
        )
        if norm == "spectral":
            self.logit = spectral(self.logit)

    def call(self, inputs, training: bool = False):
        features, encoding = inputs
        phi = self.phi(encoding, training=training)
        grid = tf.shape(features)[1:3]
        tiled = tf.tile(phi[:, None, None, :], [1, grid[0], grid[1], 1])
        x = tf.concat([features, tiled], axis=-1)
        x = self.joint(x, training=training)
        return tf.reshape(self.logit(x), [-1])

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)

    def get_config(self):
        return {
            **super().get_config(),
            "width": self.width,
            "projection_dim": self.projection_dim,
            "norm": self.norm,
        }


@keras.saving.register_keras_serializable(package="avgan")
class ProjectionHead(keras.layers.Layer):
    """The projection discriminator's head (Miyato & Koyama 2018): (4x4 features,
    encoding) -> one score per pair.

    h = sum over the grid of leaky_relu(features) [batch, c]; the score is the
    unconditional psi(h) = w . h + b plus the inner product <V phi(encoding), h>, so the
    condition moves the score exactly by how well the features match its projection.
    Every dense layer is spectrally normalised when `norm` is 'spectral'.

    Input: ([batch, 4, 4, c] float32, [batch, encoding_dim] float32).
    Output: [batch] float32 scores.
    """

    def __init__(self, width: int, projection_dim: int = 64, norm: str = "spectral", **kwargs):
        super().__init__(**kwargs)
        self.width, self.projection_dim, self.norm = width, projection_dim, norm
        wrap = spectral if norm == "spectral" else (lambda layer: layer)
        self.phi = keras.Sequential(
            [
                wrap(
                    keras.layers.Dense(projection_dim, kernel_initializer=weight_init(), name="fc")
                ),
                keras.layers.LeakyReLU(LEAK),
            ],
            name="phi",
        )
        self.unconditional = wrap(
            keras.layers.Dense(1, kernel_initializer=weight_init(), name="psi")
        )
        self.embed = wrap(
            keras.layers.Dense(
                8 * width, use_bias=False, kernel_initializer=weight_init(), name="v"
            )
        )

    def pooled(self, features: tf.Tensor) -> tf.Tensor:
        """[batch, h, w, c] -> [batch, c]: leaky ReLU, then the sum over the grid."""
        return tf.reduce_sum(tf.nn.leaky_relu(features, LEAK), axis=[1, 2])

    def call(self, inputs, training: bool = False):
        features, encoding = inputs
        h = self.pooled(features)
        phi = self.phi(encoding, training=training)
        projected = tf.reduce_sum(self.embed(phi, training=training) * h, axis=-1)
        return tf.reshape(self.unconditional(h, training=training), [-1]) + projected

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)

    def get_config(self):
        return {
            **super().get_config(),
            "width": self.width,
            "projection_dim": self.projection_dim,
            "norm": self.norm,
        }


@keras.saving.register_keras_serializable(package="avgan")
class AuxiliaryClassifier(keras.layers.Layer):
    """An AC-GAN head on the discriminator (Odena et al. 2017; not in the paper):
    (4x4 features) -> instrument logits, from the sample alone, beside the matching head.

    Input: [batch, 4, 4, c] float32. Output: [batch, num_classes] float32 logits.
    """

    def __init__(self, num_classes: int, norm: str = "batch", **kwargs):
        super().__init__(**kwargs)
        self.num_classes, self.norm = num_classes, norm
        self.flatten = keras.layers.Flatten()
        self.logits = keras.layers.Dense(
            num_classes, kernel_initializer=weight_init(), name="logits"
        )
        if norm == "spectral":
            self.logits = spectral(self.logits)

    def call(self, features, training: bool = False):
        return tf.cast(self.logits(self.flatten(features), training=training), tf.float32)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "norm": self.norm}


class MatchingDiscriminator(keras.Model):
    """What the S2I and I2S discriminators share: `features` (the sample's [batch, 4, 4,
    8w] map, defined by each) feed the GAN-CLS `head` and, with `num_classes`, an
    `AuxiliaryClassifier`.

    `call((sample, encoding))` gives the [batch] matching logits;
    `score_and_classify` gives them with the [batch, num_classes] class logits of the
    same forward pass (one batch-norm update).
    """

    def __init__(
        self,
        width: int,
        encoding_dim: int,
        projection_dim: int,
        num_classes: int,
        norm: str = "batch",
        conditioning: str = "concat",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.width, self.encoding_dim = width, encoding_dim
        self.projection_dim, self.num_classes = projection_dim, num_classes
        self.norm, self.conditioning = norm, conditioning

    def _make_heads(self) -> None:
        """Called by a subclass after it made its feature layers: the creation order
        fixes the order of the weights, and with it the checkpoints of runs made before
        the classifier existed and the floating-point sums of a mirrored step."""
        head = ProjectionHead if self.conditioning == "projection" else MatchingHead
        self.head = head(self.width, self.projection_dim, self.norm, name="matching_head")
        # Made only when asked, so the paper's discriminator has the same variables
        # (and checkpoints) as before the option existed.
        self.classifier = (
            AuxiliaryClassifier(self.num_classes, self.norm, name="aux_classifier")
            if self.num_classes
            else None
        )

    def features(self, sample: tf.Tensor, training: bool = False) -> tf.Tensor:
        raise NotImplementedError

    def score_and_classify(self, inputs, training: bool = False):
        """(sample, encoding) -> ([batch] logits, [batch, num_classes] logits or None)."""
        sample, encoding = inputs
        x = self.features(tf.cast(sample, tf.float32), training=training)
        logits = self.head((x, tf.cast(encoding, tf.float32)), training=training)
        classes = self.classifier(x, training=training) if self.classifier is not None else None
        return logits, classes

    def call(self, inputs, training: bool = False):
        return self.score_and_classify(inputs, training=training)[0]

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)

    def get_config(self):
        return {
            **super().get_config(),
            "width": self.width,
            "encoding_dim": self.encoding_dim,
            "projection_dim": self.projection_dim,
            "num_classes": self.num_classes,
            "norm": self.norm,
            "conditioning": self.conditioning,
        }


class ConditionalGenerator(keras.Model):
    """What the S2I and I2S generators share: GAN-CLS's conditioning. phi (`projection`)
    compresses the encoding; phi(encoding) ++ z feeds `stem` then `ups`, the Sequential
    blocks each subclass makes in its constructor after calling this one.

    Input: (encoding [batch, encoding_dim] float32, z [batch, z_dim] float32).
    Output: [batch, *SAMPLE_SHAPE] float32 in [-1, 1] (tanh); SAMPLE_SHAPE is set by
    the subclass (S2I: 64x64x3 pictures, I2S: 128x34x1 spectrograms).

    Args:
        width: base number of filters, w (DCGAN's gf_dim; the paper's 64).
        z_dim: noise dimension (the paper's 100).
        encoding_dim: size of the encoding (128).
        projection_dim: size of phi (64).
        upsampling: 'deconv' (the paper's) or 'resize' (see `upsample`).
        conditioning: 'input' (the paper's: phi ++ z feeds the first layer only) or
            'film' (every batch norm is a `ConditionalBatchNorm` of phi ++ z).
    """

    SAMPLE_SHAPE: tuple[int, ...]

    def __init__(
        self,
        width: int,
        z_dim: int,
        encoding_dim: int,
        projection_dim: int,
        upsampling: str,
        conditioning: str = "input",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.width, self.z_dim = width, z_dim
        self.encoding_dim, self.projection_dim = encoding_dim, projection_dim
        self.upsampling = check_upsampling(upsampling)
        if conditioning not in ("input", "film"):
            raise ValueError(f"conditioning must be 'input' or 'film', got {conditioning!r}")
        self.conditioning = conditioning
        self.film = conditioning == "film"
        # phi comes first: the creation order fixes each unseeded initialiser's draw from
        # the global seed and the order of the weights, so seeded runs and checkpoints
        # made before this base existed stay the same.
        self.phi = projection(projection_dim)

    def block(self, layers: list, name: str) -> keras.layers.Layer:
        """A block of `layers`: a keras.Sequential, or with FiLM a ConditionedBlock."""
        if self.film:
            return ConditionedBlock(layers, name=name)
        return keras.Sequential(layers, name=name)

    def joint_input(self, encoding: tf.Tensor, z: tf.Tensor, training: bool = False):
        """(encoding, z) -> [batch, projection_dim + z_dim]: phi(encoding) ++ z."""
        phi = self.phi(tf.cast(encoding, tf.float32), training=training)
        return tf.concat([phi, tf.cast(z, phi.dtype)], axis=-1)  # float16 under mixed precision

    def call(self, inputs, training: bool = False):
        encoding, z = inputs
        x = self.joint_input(encoding, z, training=training)
        if not self.film:
            return self.ups(self.stem(x, training=training), training=training)
        # phi ++ z is also every ConditionalBatchNorm's condition.
        return self.ups((self.stem((x, x), training=training), x), training=training)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], *self.SAMPLE_SHAPE)

    def get_config(self):
        return {
            **super().get_config(),
            "width": self.width,
            "z_dim": self.z_dim,
            "encoding_dim": self.encoding_dim,
            "projection_dim": self.projection_dim,
            "upsampling": self.upsampling,
            "conditioning": self.conditioning,
        }


@keras.saving.register_keras_serializable(package="avgan")
class S2IGenerator(ConditionalGenerator):
    """(sound encoding, noise) -> picture.

    Input: (encoding [batch, encoding_dim] float32, z [batch, z_dim] float32).
    Output: [batch, 64, 64, 3] float32 in [-1, 1].

    phi(encoding) ++ z -> FC 4x4x(8w) -> BN ReLU -> 5x5 stride-2 deconvolutions to
    8x8x4w, 16x16x2w, 32x32xw (BN ReLU) -> 64x64x3 tanh (DCGAN). With g_output 'conv'
    the last upsampling makes 64x64x(w/2) (BN ReLU) and a 3x3 convolution 'to_rgb'
    makes the 64x64x3 picture (tanh).

    Args:
        width: DCGAN's gf_dim, w (the paper's 64).
        z_dim: noise dimension (100).
        encoding_dim: size of the sound encoding (128).
        projection_dim: size of phi (64).
        upsampling: 'deconv' (the paper's) or 'resize' (nearest-neighbour upsampling
            and 3x3 convolutions in place of the deconvolutions; see `upsample`).
        g_output: 'upsample' (the paper's) or 'conv' (`avgan.config.G_OUTPUTS`).
    """

    SAMPLE_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)

    def __init__(
        self,
        width: int,
        z_dim: int = 100,
        encoding_dim: int = 128,
        projection_dim: int = 64,
        upsampling: str = "deconv",
        conditioning: str = "input",
        g_output: str = "upsample",
        **kwargs,
    ):
        super().__init__(
            width, z_dim, encoding_dim, projection_dim, upsampling, conditioning, **kwargs
        )
        if g_output not in G_OUTPUTS:
            raise ValueError(f"unknown g_output {g_output!r}; valid: {', '.join(G_OUTPUTS)}")
        self.g_output = g_output
        self.stem = self.block(generator_stem(width, self.film), name="stem")
        # 'conv': one more upsampling, to w/2 features at 64x64, then 'to_rgb' draws.
        hidden = (4 * width, 2 * width, width) + (
            (max(width // 2, 1),) if g_output == "conv" else ()
        )
        ups = upsample_stack(hidden, upsampling, self.film)
        if g_output == "upsample":
            ups += upsample(3, upsampling, "deconv4", activation="tanh")
        else:
            ups.append(
                keras.layers.Conv2D(
                    3,
                    3,
                    padding="same",
                    activation="tanh",
                    kernel_initializer=weight_init(),
                    name="to_rgb",
                )
            )
        self.ups = self.block(ups, name="ups")

    def get_config(self):
        return {**super().get_config(), "g_output": self.g_output}


@keras.saving.register_keras_serializable(package="avgan")
class S2IDiscriminator(MatchingDiscriminator):
    """(picture, sound encoding) -> logit that the pair is a genuine one.

    Input: (image [batch, 64, 64, 3] float32 in [-1, 1], encoding [batch, encoding_dim]).
    Output: [batch] float32 logits (s = sigmoid(logit)).

    4x4 stride-2 convolutions to 32x32xw (no BN), 16x16x2w, 8x8x4w, 4x4x8w (BN), all
    leaky ReLU 0.2; then the GAN-CLS head (`MatchingHead`).

    Args:
        width: DCGAN's df_dim, w (the paper's 64).
        encoding_dim: size of the sound encoding (128).
        projection_dim: size of phi (64).
        num_classes: > 0 adds an `AuxiliaryClassifier` over that many instruments.
        norm: 'batch' (DCGAN's) or 'spectral' (every layer spectrally normalised, no BN).
        conditioning: 'concat' (GAN-CLS's `MatchingHead`) or 'projection'
            (`ProjectionHead`).
    """

    def __init__(
        self,
        width: int,
        encoding_dim: int = 128,
        projection_dim: int = 64,
        num_classes: int = 0,
        norm: str = "batch",
        conditioning: str = "concat",
        **kwargs,
    ):
        super().__init__(
            width, encoding_dim, projection_dim, num_classes, norm, conditioning, **kwargs
        )
        downs = []
        for i, channels in enumerate((width, 2 * width, 4 * width, 8 * width)):
            # DCGAN: no batch normalisation on the input layer.
            downs += downsample(channels, f"conv{i + 1}", normalise=i > 0, norm=norm)
        self.downs = keras.Sequential(downs, name="downs")
        self._make_heads()

    def features(self, sample: tf.Tensor, training: bool = False) -> tf.Tensor:
        """[batch, 64, 64, 3] pictures -> [batch, 4, 4, 8w]."""
        return self.downs(sample, training=training)
