"""The auxiliary classifier (AC-GAN; not in the paper): its loss, its head on both
discriminators, and the class terms it adds to a GanCls train step."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from avgan.models.encoders import ImageClassifier, SoundClassifier
from avgan.models.i2s import I2SDiscriminator, I2SGenerator
from avgan.models.s2i import S2IDiscriminator, S2IGenerator
from avgan.training.gan_cls import GanCls
from avgan.training.losses import (
    auxiliary_classifier_loss,
    generator_loss,
    matching_aware_discriminator_loss,
)
from tests.training.test_gan_cls import (
    SEED,
    TINY,
    WIDTH,
    Z_DIM,
    adam,
    first_step_samples,
    pipeline_batch,
)

CLASSES = 3  # pipeline_batch's labels are in [0, 3)


def make_aux_gan(
    direction: str, aux_weight: float, classes: int = CLASSES, aux_target: str = "instrument"
) -> GanCls:
    keras.utils.set_random_seed(0)
    if direction == "s2i":
        networks = (
            S2IGenerator(WIDTH, z_dim=Z_DIM),
            S2IDiscriminator(WIDTH, num_classes=classes),
        )
        encoder = SoundClassifier(CLASSES, scale=TINY)
    else:
        networks = (
            I2SGenerator(WIDTH, z_dim=Z_DIM),
            I2SDiscriminator(WIDTH, extra_layers=2, num_classes=CLASSES),
        )
        encoder = ImageClassifier(CLASSES, scale=TINY)
    gan = GanCls(
        *networks,
        encoder,
        direction,
        z_dim=Z_DIM,
        seed=SEED,
        aux_weight=aux_weight,
        aux_target=aux_target,
    )
    gan.compile(adam(), adam())
    return gan


def test_loss_is_minus_the_log_probability_of_the_label():
    logits = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]], np.float32)
    labels = np.array([0, 1], np.int32)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    np.testing.assert_allclose(
        auxiliary_classifier_loss(logits, labels).numpy(), -log_p[[0, 1], labels], rtol=1e-6
    )
    # Confident and right costs ~0; uniform costs log(classes).
    assert float(auxiliary_classifier_loss([[20.0, 0.0, 0.0]], [0])[0]) < 1e-6
    assert float(auxiliary_classifier_loss([[0.0, 0.0, 0.0]], [2])[0]) == pytest.approx(np.log(3))


@pytest.mark.parametrize(
    "discriminator, sample",
    [
        (lambda n: S2IDiscriminator(WIDTH, num_classes=n), np.zeros((2, 64, 64, 3), np.float32)),
        (
            lambda n: I2SDiscriminator(WIDTH, extra_layers=1, num_classes=n),
            np.zeros((2, 128, 34, 1), np.float32),
        ),
    ],
    ids=["s2i", "i2s"],
)
def test_the_head_adds_only_its_own_weights(discriminator, sample):
    encoding = np.zeros((2, 128), np.float32)
    plain, with_head = discriminator(0), discriminator(CLASSES)
    assert plain((sample, encoding)).shape == with_head((sample, encoding)).shape == (2,)
    logits, classes = with_head.score_and_classify((sample, encoding))
    assert logits.shape == (2,) and classes.shape == (2, CLASSES)
    assert plain.score_and_classify((sample, encoding))[1] is None

    # The paper's discriminator keeps exactly its variables (old checkpoints restore);
    # the head is one dense layer on the flattened 4x4x8w features.
    def paths(model):  # without the model's name, and layers' numbered default names
        return {
            re.sub(r"_\d+(?=/|$)", "", w.path.split("/", 1)[1]): tuple(w.shape)
            for w in model.weights
        }

    names = paths(plain)
    assert not any("aux_classifier" in n for n in names)
    extra = {n: shape for n, shape in paths(with_head).items() if n not in names}
    assert sorted(extra.values()) == sorted([(4 * 4 * 8 * WIDTH, CLASSES), (CLASSES,)])
    assert discriminator(CLASSES).from_config(with_head.get_config()).num_classes == CLASSES


def _first_step_scores(gan: GanCls, batch: dict):
    """(encoding, fake, the head's logits on the real samples, GAN-CLS's [batch] D loss)
    of the first step, recomputed outside it (no augmentation: D sees samples as they
    are)."""
    encoding, real, wrong, fake = first_step_samples(gan, batch)
    real_logits, real_classes = gan.discriminator.score_and_classify(
        (real, encoding), training=True
    )
    wrong_logits = gan.discriminator((wrong, encoding), training=True)
    fake_logits = gan.discriminator((fake, encoding), training=True)
    gan_cls = matching_aware_discriminator_loss(real_logits, fake_logits, wrong_logits)
    return encoding, fake, real_classes, gan_cls


@pytest.mark.parametrize("direction", ["s2i", "i2s"])
def test_first_step_adds_the_weighted_class_loss_of_real_samples(direction):
    weight = 0.7
    gan = make_aux_gan(direction, weight)
    batch = pipeline_batch(0)
    # The first step's D loss, recomputed: GAN-CLS plus weight x the head's cross
    # entropy on the real samples (no augmentation, so D sees them as they are).
    encoding, fake, real_classes, gan_cls = _first_step_scores(gan, batch)
    class_loss = auxiliary_classifier_loss(real_classes, batch["label"])
    expected = float(tf.reduce_mean(gan_cls + weight * class_loss))
    hits = np.argmax(real_classes.numpy(), -1) == batch["label"]

    logs = {k: float(v) for k, v in gan.train_step(batch).items()}
    # The generator's loss: non-saturating GAN loss plus weight x the updated head's
    # cross entropy on the same fakes (training mode: batch statistics, so the
    # generator's update since `fake` was drawn does not matter).
    g_logits, fake_classes = gan.discriminator.score_and_classify((fake, encoding), training=True)
    g_expected = generator_loss(g_logits) + weight * auxiliary_classifier_loss(
        fake_classes, batch["label"]
    )
    assert logs["g_loss"] == pytest.approx(float(tf.reduce_mean(g_expected)), abs=1e-5)
    fake_hits = np.argmax(fake_classes.numpy(), -1) == batch["label"]
    assert logs["fake_class_accuracy"] == pytest.approx(fake_hits.mean())
    assert set(logs) == {
        "d_loss", "g_loss", "real_score", "wrong_score", "fake_score",
        "real_class_accuracy", "fake_class_accuracy",
    }  # fmt: skip
    assert logs["d_loss"] == pytest.approx(expected, abs=1e-5)
    assert float(tf.reduce_mean(class_loss)) > 0.1  # the term is not negligible here
    assert logs["real_class_accuracy"] == pytest.approx(hits.mean())


def test_the_pitch_head_counts_the_notes_and_not_the_rests():
    """aux_target 'pitch': the head's classes are the MIDI pitches of the batch's notes;
    a rest (pitch -1) adds nothing to either loss, nor to the logged accuracies."""
    weight = 0.5
    gan = make_aux_gan("s2i", weight, classes=128, aux_target="pitch")
    batch = pipeline_batch(3)
    pitch = np.array([60, -1, 72, 45, -1, 50, 67, 38][: len(batch["label"])], np.int32)
    batch["pitch"] = pitch
    notes = (pitch >= 0).astype(np.float32)
    encoding, fake, real_classes, gan_cls = _first_step_scores(gan, batch)
    # Hand-computed: -log softmax at the note's pitch, zero at the rests.
    logits = real_classes.numpy().astype(np.float64)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    class_loss = -log_p[np.arange(len(pitch)), np.maximum(pitch, 0)] * notes
    expected = float(np.mean(gan_cls.numpy() + weight * class_loss))
    hits = (np.argmax(logits, -1) == pitch)[notes > 0]

    logs = {k: float(v) for k, v in gan.train_step(batch).items()}

    assert logs["d_loss"] == pytest.approx(expected, abs=1e-4)
    assert class_loss.mean() > 1.0  # 128 untrained classes: the term is not negligible
    assert logs["real_class_accuracy"] == pytest.approx(hits.mean())
    g_logits, fake_classes = gan.discriminator.score_and_classify((fake, encoding), training=True)
    g_class = auxiliary_classifier_loss(fake_classes, np.maximum(pitch, 0)).numpy() * notes
    g_expected = generator_loss(g_logits).numpy() + weight * g_class
    assert logs["g_loss"] == pytest.approx(float(np.mean(g_expected)), abs=1e-4)


def test_the_head_learns_the_instruments_of_real_samples():
    gan = make_aux_gan("s2i", 1.0)
    batch = pipeline_batch(2, batch=6)
    batch["label"] = np.array([0, 1, 2, 0, 1, 2], np.int32)
    step = tf.function(gan.train_step)
    logs = {k: float(v) for k, v in step(batch).items()}
    assert logs["real_class_accuracy"] < 1.0  # an untrained head
    for _ in range(20):
        step(batch)
    gan.reset_metrics()  # trackers average over the steps since their last reset
    logs = {k: float(v) for k, v in step(batch).items()}
    assert logs["real_class_accuracy"] == 1.0


def test_a_weight_without_a_head_is_refused():
    networks = S2IGenerator(WIDTH, z_dim=Z_DIM), S2IDiscriminator(WIDTH)
    encoder = SoundClassifier(CLASSES, scale=TINY)
    with pytest.raises(ValueError, match="num_classes > 0"):
        GanCls(*networks, encoder, "s2i", z_dim=Z_DIM, aux_weight=1.0)
    # Its range is the config's to check, once (tests/test_config.py).
