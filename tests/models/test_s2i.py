"""S2I generator and discriminator: shapes, conditioning, the DCGAN layout, config."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from avgan.models.s2i import ConditionalGenerator, MatchingHead, S2IDiscriminator, S2IGenerator

WIDTH, Z_DIM, BATCH = 8, 16, 3
BN = ("gamma", "beta", "moving_mean", "moving_variance")


def weight_paths(model: keras.Model) -> list[str]:
    """The model's weight paths in order, below the model's own name, with each batch
    normalisation's automatic name (numbered across the session) read as 'bn'; asserts
    that those numbers rise along the list, i.e. the layers were made in weight order."""
    paths = [w.path.split("/", 1)[1] for w in model.weights]
    numbers = [
        int(m[1] or 0) for p in paths if (m := re.search(r"batch_normalization(?:_(\d+))?/", p))
    ]
    assert numbers == sorted(numbers)
    return [re.sub(r"batch_normalization(_\d+)?/", "bn/", p) for p in paths]


def bn(block: str) -> list[str]:
    return [f"{block}/bn/{v}" for v in BN]


@pytest.fixture(scope="module")
def inputs():
    rng = np.random.default_rng(0)
    encoding = np.maximum(rng.standard_normal((BATCH, 128)), 0).astype(np.float32)  # ReLU'd
    z = rng.standard_normal((BATCH, Z_DIM)).astype(np.float32)
    image = rng.uniform(-1, 1, (BATCH, 64, 64, 3)).astype(np.float32)
    return encoding, z, image


@pytest.fixture(scope="module")
def generator(inputs):
    keras.utils.set_random_seed(0)
    model = S2IGenerator(WIDTH, z_dim=Z_DIM)
    model(inputs[:2])
    return model


@pytest.fixture(scope="module")
def discriminator(inputs):
    keras.utils.set_random_seed(1)
    model = S2IDiscriminator(WIDTH)
    model((inputs[2], inputs[0]))
    return model


def test_generator_makes_64x64_pictures_in_tanh_range(generator, inputs):
    encoding, z, _ = inputs
    images = generator((encoding, z), training=False).numpy()
    assert images.shape == (BATCH, 64, 64, 3)
    assert np.abs(images).max() <= 1.0
    # At initialisation (N(0, 0.02) weights, fresh BN statistics) pixels are tiny, so
    # differences are judged relative to their scale. Both the noise and the sound
    # encoding (through phi) change the picture.
    scale = np.abs(images).mean()
    assert scale > 0
    other_z = generator((encoding, -z), training=False).numpy()
    other_encoding = generator((encoding[::-1], z), training=False).numpy()
    assert np.abs(other_z - images).mean() > 0.1 * scale
    assert np.abs(other_encoding[0] - images[0]).mean() > 0.1 * scale
    np.testing.assert_allclose(other_encoding[1], images[1], atol=1e-5 * scale)  # same row


def test_generator_layout_is_dcgan(generator):
    phi, leaky = generator.phi.layers
    assert phi.units == 64 and leaky.negative_slope == pytest.approx(0.2)
    assert generator.stem.layers[0].units == 4 * 4 * 8 * WIDTH
    deconvs = [
        layer for layer in generator.ups.layers if isinstance(layer, keras.layers.Conv2DTranspose)
    ]
    assert [d.filters for d in deconvs] == [4 * WIDTH, 2 * WIDTH, WIDTH, 3]
    assert all(d.kernel_size == (5, 5) and d.strides == (2, 2) for d in deconvs)
    assert deconvs[-1].activation is keras.activations.tanh
    all_bns = [
        layer
        for layer in generator._flatten_layers()
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert len(all_bns) == 4 and all(b.synchronized for b in all_bns)


def test_generator_weights_keep_their_paths_and_order(generator):
    # Checkpoints and .keras files made by earlier runs name these variables, and seeded
    # runs draw their initial values in this order: a refactoring must not change it.
    expected = ["phi/fc/kernel", "phi/fc/bias", "stem/fc/kernel", *bn("stem")]
    for i in (1, 2, 3):
        expected += [f"ups/deconv{i}/kernel", *bn("ups")]
    expected += ["ups/deconv4/kernel", "ups/deconv4/bias"]
    assert weight_paths(generator) == expected


def test_generator_input_is_phi_of_the_encoding_then_z(generator, inputs):
    encoding, z, _ = inputs
    assert isinstance(generator, ConditionalGenerator)
    joint = generator.joint_input(encoding, z).numpy()
    assert joint.shape == (BATCH, 64 + Z_DIM)
    np.testing.assert_array_equal(joint[:, :64], generator.phi(encoding).numpy())
    np.testing.assert_array_equal(joint[:, 64:], z)
    assert generator.compute_output_shape(((BATCH, 128), (BATCH, Z_DIM))) == (BATCH, 64, 64, 3)


def test_discriminator_scores_pairs(discriminator, inputs):
    encoding, _, image = inputs
    logits = discriminator((image, encoding), training=False).numpy()
    assert logits.shape == (BATCH,) and np.all(np.isfinite(logits))
    # The score depends on the condition: the same picture with another encoding.
    swapped = discriminator((image, encoding[::-1]), training=False).numpy()
    assert abs(swapped[0] - logits[0]) > 1e-6
    assert swapped[1] == pytest.approx(logits[1], abs=1e-6)


def test_discriminator_reaches_4x4x8w_then_concatenates_phi(discriminator, inputs):
    encoding, _, image = inputs
    features = discriminator.downs(tf.constant(image), training=False)
    assert features.shape == (BATCH, 4, 4, 8 * WIDTH)
    convs = [
        layer for layer in discriminator.downs.layers if isinstance(layer, keras.layers.Conv2D)
    ]
    assert [c.filters for c in convs] == [WIDTH, 2 * WIDTH, 4 * WIDTH, 8 * WIDTH]
    assert all(c.kernel_size == (4, 4) and c.strides == (2, 2) for c in convs)
    # No batch normalisation after the first convolution, one after each other.
    kinds = [type(layer).__name__ for layer in discriminator.downs.layers]
    assert kinds[:3] == ["Conv2D", "LeakyReLU", "Conv2D"] and kinds[3] == "BatchNormalization"
    head = discriminator.head
    assert isinstance(head, MatchingHead)
    assert head.joint.layers[0].kernel.shape == (1, 1, 8 * WIDTH + 64, 8 * WIDTH)
    assert head.logit.kernel.shape == (4, 4, 8 * WIDTH, 1)


def test_config_round_trip_gives_the_same_network(generator, discriminator, inputs):
    encoding, z, image = inputs
    for model, args in ((generator, (encoding, z)), (discriminator, (image, encoding))):
        clone = model.__class__.from_config(model.get_config())
        assert clone.get_config()["width"] == WIDTH
        clone(args)
        clone.set_weights(model.get_weights())
        np.testing.assert_allclose(
            clone(args, training=False).numpy(), model(args, training=False).numpy(), atol=1e-6
        )


def test_generator_serialises_under_its_registered_name(generator):
    config = S2IGenerator(WIDTH, z_dim=Z_DIM, upsampling="resize").get_config()
    assert {k: config[k] for k in ("width", "z_dim", "encoding_dim", "projection_dim")} == {
        "width": WIDTH,
        "z_dim": Z_DIM,
        "encoding_dim": 128,
        "projection_dim": 64,
    }
    assert config["upsampling"] == "resize"
    # The registered name is what saved .keras files refer to.
    serialised = keras.saving.serialize_keras_object(generator)
    assert serialised["registered_name"] == "avgan>S2IGenerator"
    clone = keras.saving.deserialize_keras_object(serialised)
    assert type(clone) is S2IGenerator and clone.get_config() == generator.get_config()
