"""The 'avgan' recipe's network ingredients, checked by value: spectral normalisation
(power iteration and the resulting singular values), the projection discriminator's
score, and FiLM conditioning (ConditionalBatchNorm and the generators' blocks)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from avgan import config as config_lib
from avgan import run_dir
from avgan.models import networks
from avgan.models.i2s import I2SDiscriminator, I2SGenerator
from avgan.models.s2i import (
    LEAK,
    ConditionalBatchNorm,
    ProjectionHead,
    S2IDiscriminator,
    S2IGenerator,
)

WIDTH, Z_DIM, BATCH, ENCODING = 8, 16, 2, 128
EPS = 1e-5  # the batch norms' epsilon


def leaky(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, LEAK * x)


def largest_singular_value(kernel: np.ndarray) -> float:
    """sigma_max of the kernel as the layer reshapes it: [kh * kw * cin, cout]."""
    return float(np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0])


def spectral_layers(model: keras.Model) -> dict[str, keras.layers.SpectralNormalization]:
    """Every SpectralNormalization wrapper under `model`, by name."""
    return {
        layer.name: layer
        for layer in model._flatten_layers()
        if isinstance(layer, keras.layers.SpectralNormalization)
    }


def avgan_s2i(**overrides) -> config_lib.Config:
    """The tiny preset's S2I under the avgan recipe, with config sections overridden."""
    return config_lib.preset("tiny").replace(mode="s2i").with_recipe("avgan").replace(**overrides)


def discriminator(direction: str, seed: int = 0) -> tuple[keras.Model, tf.Tensor]:
    """The avgan recipe's discriminator (spectral norm, projection head), built, and a
    zero batch of its samples."""
    keras.utils.set_random_seed(seed)
    if direction == "s2i":
        model = S2IDiscriminator(WIDTH, norm="spectral", conditioning="projection")
        sample = tf.zeros([BATCH, 64, 64, 3])
    else:
        model = I2SDiscriminator(WIDTH, extra_layers=2, norm="spectral", conditioning="projection")
        sample = tf.zeros([BATCH, 128, 34, 1])
    model((sample, tf.zeros([BATCH, ENCODING])))
    return model, sample


# Spectral normalisation ------------------------------------------------------------------


def test_one_training_call_is_one_power_iteration_dividing_the_kernel_by_sigma():
    """Keras' SpectralNormalization, recomputed in numpy: v = uW^T/|.|, u' = vW/|.|,
    sigma = v W u'^T; the stored kernel becomes W / sigma and u becomes u'."""
    model, sample = discriminator("s2i")
    layer = spectral_layers(model)["sn_conv2"]
    kernel, u = layer.layer.kernel.numpy(), layer.vector_u.numpy()
    w = kernel.reshape(-1, kernel.shape[-1]).astype(np.float64)
    v = u @ w.T
    v /= np.linalg.norm(v)
    u_next = v @ w
    u_next /= np.linalg.norm(u_next)
    sigma = float(v @ w @ u_next.T)
    model((sample, tf.zeros([BATCH, ENCODING])), training=True)
    np.testing.assert_allclose(layer.vector_u.numpy(), u_next, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(layer.layer.kernel.numpy(), kernel / sigma, rtol=1e-4, atol=1e-7)
    # The initial N(0, 0.02) kernel has sigma ~0.3: the division is not a no-op.
    assert largest_singular_value(kernel) < 0.5


@pytest.mark.parametrize(
    "direction,name",
    [
        ("s2i", "sn_conv2"),  # a [4 * 4 * 8, 16] downsampling kernel
        ("s2i", "sn_conv4"),
        ("s2i", "sn_v"),  # the projection head's V, a dense [64, 64] kernel
        ("i2s", "sn_rect_conv2"),  # the I2S rectangular stride-(2, 1) convolution
        ("i2s", "sn_extra1"),  # an I2S extra 3x3 convolution at 4x4
    ],
)
def test_spectral_norm_brings_the_largest_singular_value_to_one(direction, name):
    """One power iteration per training call (u persists across calls): sigma_max of the
    normalised kernel falls towards 1 from above (power iteration underestimates sigma).
    Measured after 10 calls: 1.0035 (conv2), 1.014 (conv4), 1.008 (v), 1.027 (I2S
    rect_conv2), 1.020 (I2S extra1). (I2S rect_conv1, [16, 8], has its two largest
    singular values within 8% and is still at 1.078 after 10 calls: left out.)"""
    model, sample = discriminator(direction)
    layer = spectral_layers(model)[name]
    encoding = tf.zeros([BATCH, ENCODING])
    sigmas = []
    for _ in range(10):
        model((sample, encoding), training=True)
        sigmas.append(largest_singular_value(layer.layer.kernel.numpy()))
    assert 1.0 - 1e-4 <= sigmas[-1] <= 1.05, sigmas
    assert sigmas[-1] < sigmas[0]  # converging, not stuck at the first estimate


def test_inference_calls_leave_the_normalised_kernels_alone():
    model, sample = discriminator("s2i")
    before = {n: layer.layer.kernel.numpy() for n, layer in spectral_layers(model).items()}
    model((sample, tf.ones([BATCH, ENCODING])), training=False)
    for name, layer in spectral_layers(model).items():
        np.testing.assert_array_equal(layer.layer.kernel.numpy(), before[name], err_msg=name)


def test_the_spectral_discriminator_has_no_batch_norm_and_normalises_every_kernel():
    """make_discriminator with --d_norm=spectral: every weighted layer of D is wrapped
    (its kernels are the only trainable kernels) and there is no batch statistic."""
    config = avgan_s2i(gan=dict(d_norm="spectral"))
    model = networks.make_discriminator(config)
    model((tf.zeros([1, 64, 64, 3]), tf.zeros([1, ENCODING])))
    kernels = {w.path for w in model.trainable_weights if w.path.endswith("kernel")}
    wrapped = {layer.layer.kernel.path for layer in spectral_layers(model).values()}
    assert kernels == wrapped and len(wrapped) == 7  # 4 convolutions, phi, psi, V
    assert not [w for w in model.weights if "moving" in w.path]
    assert isinstance(model.head, ProjectionHead)


def test_the_recipe_discriminator_is_the_batch_norm_projection_discriminator():
    """The avgan recipe's D (measured better than spectral norm at this budget): DCGAN's
    batch-normalised convolutions (3 BNs: none on the input layer), the projection head
    with plain dense layers, no spectral normalisation anywhere."""
    model = networks.make_discriminator(avgan_s2i())
    model((tf.zeros([1, 64, 64, 3]), tf.zeros([1, ENCODING])))
    assert not spectral_layers(model) and isinstance(model.head, ProjectionHead)
    assert len([w for w in model.weights if w.path.endswith("moving_mean")]) == 3


# The projection discriminator -------------------------------------------------------------


def projection_by_hand(head: ProjectionHead, features: np.ndarray, encoding: np.ndarray):
    """(unconditional psi(h), conditional <V phi(e), h>) in numpy from the head's
    (normalised, stored) weights."""
    phi_dense = head.phi.layers[0].layer
    h = leaky(features).sum(axis=(1, 2))
    phi = leaky(encoding @ phi_dense.kernel.numpy() + phi_dense.bias.numpy())
    projected = ((phi @ head.embed.layer.kernel.numpy()) * h).sum(-1)
    psi_dense = head.unconditional.layer
    psi = (h @ psi_dense.kernel.numpy() + psi_dense.bias.numpy())[:, 0]
    return psi, projected


@pytest.fixture(scope="module")
def projection_case():
    """A trained-looking projection D (SN kernels normalised by 5 training calls) with
    fixed 4x4 features and two different encodings."""
    model, sample = discriminator("s2i", seed=2)
    for _ in range(5):
        model((sample, tf.zeros([BATCH, ENCODING])), training=True)
    rng = np.random.default_rng(0)
    features = rng.standard_normal((BATCH, 4, 4, 8 * WIDTH)).astype(np.float32)
    encodings = [rng.uniform(0, 3, (BATCH, ENCODING)).astype(np.float32) for _ in range(2)]
    return model.head, features, encodings


def test_projection_score_is_psi_plus_the_inner_product(projection_case):
    head, features, encodings = projection_case
    for encoding in encodings:
        score = head((features, encoding), training=False).numpy()
        psi, projected = projection_by_hand(head, features, encoding)
        np.testing.assert_allclose(score, psi + projected, rtol=1e-5, atol=1e-5)


def test_the_encoding_moves_the_score_by_the_inner_product_only(projection_case):
    """Same features, two encodings: the scores differ by exactly the difference of
    <V phi(e), h>; the unconditional part does not move with the encoding."""
    head, features, (first, second) = projection_case
    scores = [head((features, e), training=False).numpy() for e in (first, second)]
    (psi_1, proj_1), (psi_2, proj_2) = (
        projection_by_hand(head, features, e) for e in (first, second)
    )
    np.testing.assert_allclose(scores[0] - scores[1], proj_1 - proj_2, rtol=1e-4, atol=1e-5)
    assert np.abs(proj_1 - proj_2).min() > 1e-2  # the condition does move it
    np.testing.assert_array_equal(psi_1, psi_2)
    unconditional = [
        head.unconditional(head.pooled(features), training=False).numpy()[:, 0] for _ in range(2)
    ]
    np.testing.assert_allclose(unconditional[0], psi_1, rtol=1e-5, atol=1e-6)


def test_pooled_features_are_the_grid_sum_of_leaky_relu(projection_case):
    head, features, _ = projection_case
    np.testing.assert_allclose(
        head.pooled(tf.constant(features)).numpy(), leaky(features).sum((1, 2)), rtol=1e-5
    )


# FiLM --------------------------------------------------------------------------------------


@pytest.fixture()
def film_norm():
    """A ConditionalBatchNorm over 4 channels with a non-zero FiLM layer."""
    keras.utils.set_random_seed(0)
    layer = ConditionalBatchNorm(4)
    rng = np.random.default_rng(1)
    x = rng.normal(0.5, 2.0, (3, 2, 2, 4)).astype(np.float32)
    c = rng.standard_normal((3, 5)).astype(np.float32)
    layer((x, c))
    layer.film.kernel.assign(rng.standard_normal((5, 8)).astype(np.float32))
    layer.film.bias.assign(rng.standard_normal(8).astype(np.float32))
    return layer, x, c


def film_by_hand(layer, x_norm, c):
    film = c @ layer.film.kernel.numpy() + layer.film.bias.numpy()
    gamma, beta = film[:, :4], film[:, 4:]
    return x_norm * (1 + gamma[:, None, None, :]) + beta[:, None, None, :]


def test_conditional_batch_norm_in_inference_is_film_of_the_moving_statistics(film_norm):
    """Moving statistics at init (mean 0, variance 1): x_norm = x / sqrt(1 + eps)."""
    layer, x, c = film_norm
    out = layer((x, c), training=False).numpy()
    np.testing.assert_allclose(out, film_by_hand(layer, x / np.sqrt(1 + EPS), c), rtol=1e-5)


def test_conditional_batch_norm_in_training_is_film_of_the_batch_statistics(film_norm):
    layer, x, c = film_norm
    mean, var = x.mean((0, 1, 2)), x.var((0, 1, 2))
    out = layer((x, c), training=True).numpy()
    expected = film_by_hand(layer, (x - mean) / np.sqrt(var + EPS), c)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_conditional_batch_norm_starts_as_the_unconditional_batch_norm():
    """The FiLM layer is zero-initialised: gamma = beta = 0 for any condition."""
    layer = ConditionalBatchNorm(3)
    x = np.random.default_rng(2).standard_normal((2, 2, 2, 3)).astype(np.float32)
    outs = [layer((x, np.full((2, 7), v, np.float32)), training=False).numpy() for v in (0, 9)]
    np.testing.assert_allclose(outs[0], x / np.sqrt(1 + EPS), rtol=1e-6)
    np.testing.assert_array_equal(outs[0], outs[1])


def film_generator(direction: str) -> keras.Model:
    keras.utils.set_random_seed(3)
    kind = S2IGenerator if direction == "s2i" else I2SGenerator
    return kind(WIDTH, z_dim=Z_DIM, upsampling="resize", conditioning="film")


@pytest.mark.parametrize("direction", ["s2i", "i2s"])
def test_the_condition_reaches_the_output_through_every_film_block(direction):
    """With the stem's input path from phi cut (its phi rows zeroed), the encoding can
    only reach the output through the FiLM layers. All FiLM kernels zero: two encodings
    give the same samples. Any one block's FiLM kernel non-zero: they differ. So every
    block's conditional batch norm gets phi(encoding) and changes the output.

    Training mode: batch statistics keep every block's activations at unit scale (at
    init, inference with moving statistics 0 and 1 shrinks I2S outputs to ~3e-6, where
    a 1e-3 threshold means nothing). Measured differences: 0.15 to 0.79 (tanh range)."""
    generator = film_generator(direction)
    rng = np.random.default_rng(4)
    first, second = (rng.uniform(0, 5, (BATCH, ENCODING)).astype(np.float32) for _ in range(2))
    z = rng.standard_normal((BATCH, Z_DIM)).astype(np.float32)
    generator((first, z))
    blocks = [
        layer
        for block in (generator.stem, generator.ups)
        for layer in block.layers
        if isinstance(layer, ConditionalBatchNorm)
    ]
    assert len(blocks) == (4 if direction == "s2i" else 7)  # + 2 extra layers, rect
    stem_fc = generator.stem.layers[0]
    kernel = stem_fc.kernel.numpy()
    kernel[: generator.projection_dim] = 0.0
    stem_fc.kernel.assign(kernel)

    def difference() -> float:
        outs = [generator((e, z), training=True).numpy() for e in (first, second)]
        return float(np.abs(outs[0] - outs[1]).max())

    assert difference() == 0.0
    for i, block in enumerate(blocks):
        film = rng.normal(0, 0.5, block.film.kernel.shape).astype(np.float32)
        block.film.kernel.assign(film)
        assert difference() > 0.05, f"block {i}: the condition does not reach the output"
        block.film.kernel.assign(np.zeros_like(film))


def test_film_generator_and_input_generator_share_phi_and_stem_shapes():
    """make_generator under each recipe: FiLM replaces each BN of the paper's generator
    by a ConditionalBatchNorm of the same channels, reading phi ++ z."""
    base = config_lib.preset("tiny").replace(mode="s2i")
    # The paper's output layer on both: g_output 'conv' adds a block (tested below).
    paper, avgan = (
        networks.make_generator(base.with_recipe(r).replace(model=dict(g_output="upsample")))
        for r in ("paper", "avgan")
    )
    encoding, z = tf.zeros([1, ENCODING]), tf.zeros([1, Z_DIM])
    for model in (paper, avgan):
        model((encoding, z))
    assert (paper.conditioning, avgan.conditioning) == ("input", "film")
    bns = [
        layer.gamma.shape[0]
        for block in (paper.stem, paper.ups)
        for layer in block.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    films = [
        (layer.channels, layer.film.kernel.shape)
        for block in (avgan.stem, avgan.ups)
        for layer in block.layers
        if isinstance(layer, ConditionalBatchNorm)
    ]
    assert [c for c, _ in films] == bns == [64, 32, 16, 8]
    assert all(shape == (64 + Z_DIM, 2 * c) for c, shape in films)


# The generator's output layer -------------------------------------------------------------


def test_conv_output_draws_the_picture_with_a_3x3_convolution_at_full_resolution():
    """g_output 'conv': the last upsampling makes 64x64x(w/2) features (FiLM BN, ReLU)
    and 'to_rgb' is tanh of a 3x3 'same' convolution of them, checked against scipy's
    correlation of the features the layer receives."""
    from scipy.signal import correlate

    generator = networks.make_generator(avgan_s2i(model=dict(g_output="conv")))
    rng = np.random.default_rng(5)
    encoding = rng.uniform(0, 3, (BATCH, ENCODING)).astype(np.float32)
    z = rng.standard_normal((BATCH, Z_DIM)).astype(np.float32)
    # Training mode: batch statistics keep the activations at unit scale (inference
    # with fresh moving statistics shrinks the picture to ~1e-6).
    picture = generator((encoding, z), training=True).numpy()
    to_rgb = generator.ups.layers[-1]
    assert to_rgb.name == "to_rgb" and to_rgb.kernel.shape == (3, 3, WIDTH // 2, 3)
    films = [layer for layer in generator.ups.layers if isinstance(layer, ConditionalBatchNorm)]
    assert [layer.channels for layer in films] == [4 * WIDTH, 2 * WIDTH, WIDTH, WIDTH // 2]

    # The features to_rgb receives: every ups layer before it, run with the condition.
    joint = generator.joint_input(encoding, z, training=True)
    x = generator.stem((joint, joint), training=True)
    for layer in generator.ups.layers[:-1]:
        x = (
            layer((x, joint), training=True)
            if isinstance(layer, ConditionalBatchNorm)
            else layer(x)
        )
    features = x.numpy()
    assert features.shape == (BATCH, 64, 64, WIDTH // 2) and features.min() >= 0  # ReLU
    kernel, bias = to_rgb.kernel.numpy(), to_rgb.bias.numpy()
    padded = np.pad(features, ((0, 0), (1, 1), (1, 1), (0, 0)))
    expected = np.stack(
        [
            np.stack(
                [correlate(padded[b], kernel[..., c], mode="valid")[..., 0] for c in range(3)],
                axis=-1,
            )
            for b in range(BATCH)
        ]
    )
    np.testing.assert_allclose(picture, np.tanh(expected + bias), atol=1e-5)
    assert np.abs(picture).max() > 0.05  # not trivially zero


def test_the_paper_output_keeps_its_layers():
    """g_output 'upsample' (the default and the paper's): no to_rgb, 'deconv4' makes
    the 3 colours, and the weights are those of generators made before the field."""
    paper = networks.make_generator(config_lib.preset("tiny").replace(mode="s2i"))
    paper((tf.zeros([1, ENCODING]), tf.zeros([1, Z_DIM])))
    names = [layer.name for layer in paper.ups.layers]
    assert "to_rgb" not in names and names[-1] == "deconv4"
    assert paper.ups.layers[-1].kernel.shape == (5, 5, 3, WIDTH)  # Conv2DTranspose: out, in


def test_the_i2s_discriminator_takes_its_extra_layers_from_the_config():
    """model.d_extra_layers sets the I2S discriminator's stride-1 layers at 4x4 (the
    paper's 12): each is one 3x3 convolution of 8w channels, so weights and output
    shape follow it, and a different count is a different run."""
    base = config_lib.preset("tiny").replace(mode="i2s")
    sample = tf.random.uniform([2, 128, 34, 1], -1.0, 1.0, seed=1)
    encoding = tf.random.normal([2, ENCODING], seed=2)
    counts = {}
    for extra in (12, 2, 0):
        config = base.replace(model=dict(d_extra_layers=extra))
        discriminator = networks.make_discriminator(config)
        logits = discriminator((sample, encoding))
        assert logits.shape == (2,)
        convs = [layer for layer in discriminator.downs.layers if layer.name.startswith("extra")]
        assert len(convs) == extra
        assert all(conv.kernel.shape == (3, 3, 8 * WIDTH, 8 * WIDTH) for conv in convs)
        counts[extra] = discriminator.count_params()
        details = run_dir.gan_identity(config)
        assert details.get("d_extra_layers") == (None if extra == 12 else str(extra))
    # 10 fewer layers: 10 convolutions (no bias) and their batch norms fewer.
    per_layer = 9 * (8 * WIDTH) ** 2 + 4 * 8 * WIDTH
    assert counts[12] - counts[2] == 10 * per_layer
