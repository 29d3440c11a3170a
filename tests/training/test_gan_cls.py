"""GanCls: one train step of each direction, S2I-N, MirroredStrategy parity, EMA, checkpoints."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from avgan.models.encoders import ImageClassifier, SoundClassifier
from avgan.models.i2s import I2SDiscriminator, I2SGenerator, spectrogram_target
from avgan.models.s2i import S2IDiscriminator, S2IGenerator
from avgan.training.augment import diff_augment
from avgan.training.gan_cls import GanCls
from avgan.training.losses import matching_aware_discriminator_loss

WIDTH, Z_DIM, BATCH, SEED = 8, 16, 4, 3
TINY = 0.125  # encoder filter scale


def pipeline_batch(seed: int, batch: int = BATCH) -> dict[str, np.ndarray]:
    """A batch shaped like `avgan.data.pipeline.paired_dataset`'s."""
    rng = np.random.default_rng(seed)
    t = np.arange(22050) / 44100

    def sounds():
        f0 = rng.uniform(200, 800, (batch, 1))
        return (
            0.3 * np.sin(2 * np.pi * f0 * t) + 0.01 * rng.standard_normal((batch, 22050))
        ).astype(np.float32)

    def images():
        return rng.integers(0, 256, (batch, 64, 64, 3)).astype(np.uint8)

    return {
        "sound": sounds(),
        "image": images(),
        "wrong_image": images(),
        "wrong_sound": sounds(),
        "label": rng.integers(0, 3, batch).astype(np.int32),
        "wrong_label": rng.integers(0, 3, batch).astype(np.int32),
        "position": np.arange(batch, dtype=np.int64),
        "wrong_position": np.arange(batch, dtype=np.int64)[::-1].copy(),
    }


def adam() -> keras.optimizers.Optimizer:
    return keras.optimizers.Adam(2e-4, beta_1=0.5)  # the paper's


def make_gan(direction: str = "s2i", init_seed: int = 0, **kwargs) -> GanCls:
    keras.utils.set_random_seed(init_seed)
    if direction == "s2i":
        networks = S2IGenerator(WIDTH, z_dim=Z_DIM), S2IDiscriminator(WIDTH)
        encoder = SoundClassifier(3, scale=TINY)
    else:
        networks = I2SGenerator(WIDTH, z_dim=Z_DIM), I2SDiscriminator(WIDTH, extra_layers=2)
        encoder = ImageClassifier(3, scale=TINY)
    gan = GanCls(*networks, encoder, direction, z_dim=Z_DIM, seed=SEED, **kwargs)
    gan.compile(adam(), adam())
    return gan


def snapshot(model: keras.Model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


def first_step_samples(gan: GanCls, batch: dict) -> tuple[tf.Tensor, ...]:
    """(encoding, real, wrong, fake) as the first train step makes them.

    The first noise draw is that of a fresh SeedGenerator(SEED). Calling the generator
    in training mode here only moves BN moving statistics, which training-mode
    outputs do not use.
    """
    if gan.direction == "s2i":
        condition = batch["sound"]
        real, wrong = (
            tf.cast(batch[k], tf.float32) / 127.5 - 1.0 for k in ("image", "wrong_image")
        )
    else:
        condition = batch["image"]
        real, wrong = spectrogram_target(batch["sound"]), spectrogram_target(batch["wrong_sound"])
    encoding = gan.encoder.encode(condition, training=False)
    z = keras.random.normal([BATCH, Z_DIM], seed=keras.random.SeedGenerator(SEED))
    return encoding, real, wrong, gan.generator((encoding, z), training=True)


def expected_first_step(gan: GanCls, batch: dict) -> dict[str, float]:
    """The first step's D loss and scores, recomputed from the paper's formulas."""
    encoding, real, wrong, fake = first_step_samples(gan, batch)
    # DiffAugment draws a seed per discriminator call, in this order, from SEED + 2.
    augment_seeds = keras.random.SeedGenerator(SEED + 2)
    logits = {}
    for name, x in (("real", real), ("wrong", wrong), ("fake", fake)):
        if gan.augment:
            seed = keras.random.randint([2], 0, 2**31 - 1, seed=augment_seeds, dtype="int32")
            x = diff_augment(x, gan.augment, seed)
        logits[name] = gan.discriminator((x, encoding), training=True)
    d_loss = matching_aware_discriminator_loss(logits["real"], logits["fake"], logits["wrong"])
    expected = {f"{k}_score": float(tf.reduce_mean(tf.sigmoid(v))) for k, v in logits.items()}
    return {"d_loss": float(tf.reduce_mean(d_loss)), **expected}


@pytest.fixture(scope="module", params=["s2i", "i2s"])
def first_step(request):
    """A GAN of each direction before and after one train_step (EMA decay 0.5)."""
    gan = make_gan(request.param, ema_decay=0.5)
    batch = pipeline_batch(0)
    before = {
        name: [w.numpy() for w in getattr(gan, name).trainable_weights]
        for name in ("generator", "discriminator")
    }
    before["encoder"] = snapshot(gan.encoder)
    before["ema_generator"] = snapshot(gan.ema_generator)
    expected = expected_first_step(gan, batch)
    logs = {k: float(v) for k, v in gan.train_step(batch).items()}
    return gan, batch, before, expected, logs


def test_train_step_returns_the_papers_losses_and_scores(first_step):
    gan, _, _, expected, logs = first_step
    assert set(logs) == {"d_loss", "g_loss", "real_score", "wrong_score", "fake_score"}
    assert all(np.isfinite(v) for v in logs.values())
    for name, value in expected.items():
        assert logs[name] == pytest.approx(value, abs=1e-5), name
    # An untrained D is near chance: each of its -log terms is near log 2.
    assert 0.5 < logs["g_loss"] < 1.5 and 0.9 < logs["d_loss"] < 2.0


def test_train_step_trains_g_and_d_but_not_the_encoder(first_step):
    gan, _, before, _, _ = first_step
    for name in ("generator", "discriminator"):
        trainable = getattr(gan, name).trainable_weights
        changed = [
            not np.allclose(o, w.numpy()) for o, w in zip(before[name], trainable, strict=True)
        ]
        assert all(changed), f"{name}: {changed}"
    for old, new in zip(before["encoder"], snapshot(gan.encoder), strict=True):
        np.testing.assert_array_equal(old, new)
    assert not gan.encoder.trainable
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 1


def test_ema_generator_follows_the_generator(first_step):
    gan, _, before, _, _ = first_step
    # ema = d * ema + (1 - d) * w after the generator's step t = 1, with the warm-up
    # d = min(ema_decay = 0.5, (1 + t) / (10 + t)) = 2 / 11.
    assert int(gan.g_optimizer.iterations.numpy()) == 1
    d = 2.0 / 11.0
    for old, ema, weight in zip(
        before["ema_generator"], gan.ema_generator.weights, gan.generator.weights, strict=False
    ):
        np.testing.assert_allclose(ema.numpy(), d * old + (1 - d) * weight.numpy(), atol=1e-6)


def test_generate_encodes_the_raw_condition(first_step):
    gan, batch, _, _, _ = first_step
    condition = batch["sound"] if gan.direction == "s2i" else batch["image"]
    z = np.random.default_rng(5).standard_normal((BATCH, Z_DIM)).astype(np.float32)
    samples = gan.generate(condition, z=z).numpy()
    shape = (64, 64, 3) if gan.direction == "s2i" else (128, 34, 1)
    assert samples.shape == (BATCH, *shape) and np.abs(samples).max() <= 1.0
    encoding = gan.encoder.encode(condition, training=False)
    np.testing.assert_allclose(
        gan.generate(condition, z=z, use_ema=False).numpy(),
        gan.generator((encoding, z), training=False).numpy(),
        atol=1e-6,
    )
    np.testing.assert_allclose(
        samples, gan.ema_generator((encoding, z), training=False).numpy(), atol=1e-6
    )
    assert gan.generate(condition).shape == samples.shape  # noise drawn when z is None
    with pytest.raises(ValueError, match="z has 3 rows for 4 conditions"):
        gan.generate(condition, z=z[:3])
    # A pipeline batch also works as input (Keras builds models symbolically so).
    assert gan(batch).shape == samples.shape


def test_augmented_step_scores_augmented_samples():
    """With DiffAugment, D's scores are those of the augmented real, wrong and fake."""
    gan = make_gan("s2i", augment="color,translation,cutout")
    assert gan.augment == ("color", "translation", "cutout")
    batch = pipeline_batch(0)
    expected = expected_first_step(gan, batch)
    logs = {k: float(v) for k, v in gan.train_step(batch).items()}
    for key, value in expected.items():
        assert logs[key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
    plain = make_gan("s2i")  # same initial weights, same batch, no augmentation
    assert float(plain.train_step(batch)["real_score"]) != pytest.approx(logs["real_score"])
    with pytest.raises(ValueError, match="unknown augmentation"):
        make_gan("s2i", augment="mixup")


def test_s2i_n_ignores_wrong_images():
    batch = pipeline_batch(1)
    garbage = dict(batch, wrong_image=np.full_like(batch["wrong_image"], 255))
    results = []
    for data in (batch, garbage):
        gan = make_gan("s2i", wrong_pairs=False, ema_decay=None)
        logs = {k: float(v) for k, v in gan.train_step(data).items()}
        results.append((logs, snapshot(gan.generator) + snapshot(gan.discriminator)))
    (logs, weights), (garbage_logs, garbage_weights) = results
    assert "wrong_score" not in logs and logs == garbage_logs
    for a, b in zip(weights, garbage_weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert gan.ema_generator is None
    del garbage["wrong_image"], garbage["wrong_sound"]  # not even read
    assert np.isfinite(float(gan.train_step(garbage)["d_loss"]))


def test_mismatched_networks_are_refused():
    networks = S2IGenerator(WIDTH, z_dim=Z_DIM), S2IDiscriminator(WIDTH)
    encoder = SoundClassifier(3, scale=TINY, encoding_dim=32)
    with pytest.raises(ValueError, match="direction"):
        GanCls(*networks, encoder, "v2v", z_dim=Z_DIM)
    with pytest.raises(ValueError, match="z_dim=100"):
        GanCls(*networks, encoder, "s2i", z_dim=100)
    with pytest.raises(ValueError, match="32-d encodings"):
        GanCls(*networks, encoder, "s2i", z_dim=Z_DIM)


@pytest.mark.parametrize(
    "augment", ["", pytest.param("color,translation,cutout", marks=pytest.mark.slow)]
)
def test_two_replicas_train_as_one(augment):
    """Keras fit on 2 mirrored CPUs gives one replica's weights and logs, EMA included,
    with and without DiffAugment (whose draws are sliced per replica like the noise).
    With DiffAugment under -m slow: the avgan recipe's two-replica test
    (test_recipe.py) trains with translation and cutout by default."""
    batches = [pipeline_batch(10, 2 * BATCH), pipeline_batch(11, 2 * BATCH)]
    networks = ("generator", "discriminator", "ema_generator")

    # One replica: the default strategy, two eager steps (no tracing: keeps the test short).
    one = make_gan("s2i", ema_decay=0.5, augment=augment)
    initial = one.get_weights()
    start = snapshot(one.generator)
    for batch in batches:
        logs = {k: float(v) for k, v in one.train_step(batch).items()}
    expected = [w.numpy() for name in networks for w in getattr(one, name).weights]

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        gan = make_gan("s2i", ema_decay=0.5, augment=augment)
        gan.set_weights(initial)
    with pytest.raises(ValueError, match="strategy.scope"):
        gan.compile(adam(), adam())  # outside the scope it was built in: refused
    dataset = tf.data.Dataset.from_tensor_slices(
        {k: np.stack([b[k] for b in batches]) for k in batches[0]}
    )
    history = gan.fit(dataset, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False).history
    assert strategy.num_replicas_in_sync == 2

    # Every replica holds the same EMA and BN statistics (no silent divergence).
    for variable in gan.ema_generator.weights + gan.generator.non_trainable_weights:
        first, second = strategy.experimental_local_results(variable.value)
        np.testing.assert_array_equal(first.numpy(), second.numpy())
    moved = max(np.abs(a - b).max() for a, b in zip(start, snapshot(one.generator), strict=True))
    assert moved > 1e-4  # two Adam steps of 2e-4
    mirrored = [w.numpy() for name in networks for w in getattr(gan, name).weights]
    for a, b in zip(expected, mirrored, strict=True):
        np.testing.assert_allclose(b, a, atol=1e-5)
    for key, value in logs.items():  # means over both steps
        assert history[key][0] == pytest.approx(value, abs=1e-5), key


def test_checkpoint_round_trip(first_step, tmp_path):
    gan, batch, _, _, _ = first_step
    path = tf.train.Checkpoint(
        model=gan, d_optimizer=gan.d_optimizer, g_optimizer=gan.g_optimizer
    ).save(str(tmp_path / "ckpt"))
    restored = make_gan(gan.direction, init_seed=99, ema_decay=0.5)
    # The trainer loads the same frozen encoder from its file before restoring.
    restored.encoder.set_weights(gan.encoder.get_weights())
    status = tf.train.Checkpoint(
        model=restored, d_optimizer=restored.d_optimizer, g_optimizer=restored.g_optimizer
    ).restore(path)
    status.assert_existing_objects_matched()
    for name in ("generator", "ema_generator", "discriminator"):
        for a, b in zip(
            snapshot(getattr(gan, name)), snapshot(getattr(restored, name)), strict=True
        ):
            np.testing.assert_array_equal(a, b)
    for optimizer in ("d_optimizer", "g_optimizer"):
        old, new = getattr(gan, optimizer), getattr(restored, optimizer)
        assert int(new.iterations) == 1
        for a, b in zip(old.variables, new.variables, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    # The noise streams resume where they were: the same next step.
    np.testing.assert_array_equal(
        restored.seed_generator.state.numpy(), gan.seed_generator.state.numpy()
    )
    condition = batch["sound"] if gan.direction == "s2i" else batch["image"]
    np.testing.assert_array_equal(gan.generate(condition), restored.generate(condition))
