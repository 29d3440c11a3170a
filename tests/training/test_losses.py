"""GAN-CLS losses (paper Eq. 3 and 4) against values computed by hand."""

import math

import numpy as np
import pytest
import tensorflow as tf

from avgan.training.losses import generator_loss, matching_aware_discriminator_loss

REAL = [0.0, 2.0, -1.0]
WRONG = [1.0, -2.0, 0.5]
FAKE = [-1.0, 0.0, 3.0]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_discriminator_loss_with_wrong_pairs_is_minus_eq_4():
    # D maximises log s_r + (log(1 - s_w) + log(1 - s_f)) / 2.
    expected = [
        -(math.log(sigmoid(r)) + (math.log(1 - sigmoid(w)) + math.log(1 - sigmoid(f))) / 2)
        for r, w, f in zip(REAL, WRONG, FAKE, strict=True)
    ]
    loss = matching_aware_discriminator_loss(
        tf.constant(REAL), tf.constant(FAKE), wrong_logits=tf.constant(WRONG)
    )
    assert loss.shape == (3,)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-6)
    # First example: log 2 + (log(1 + e) + log(1 + 1/e)) / 2.
    assert loss.numpy()[0] == pytest.approx(1.5064089, abs=1e-6)


def test_discriminator_loss_without_wrong_pairs_is_s2i_n():
    # S2I-N: D maximises log s_r + log(1 - s_f); no mismatch term.
    expected = [
        -(math.log(sigmoid(r)) + math.log(1 - sigmoid(f))) for r, f in zip(REAL, FAKE, strict=True)
    ]
    loss = matching_aware_discriminator_loss(tf.constant(REAL), tf.constant(FAKE))
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-6)
    assert loss.numpy()[2] == pytest.approx(4.3618490, abs=1e-6)  # log(1 + e) + log(1 + e^3)


def test_wrong_and_fake_terms_are_weighted_one_half_each():
    real, fake = tf.constant([0.5]), tf.constant([-0.3])
    base = matching_aware_discriminator_loss(real, fake, wrong_logits=tf.constant([0.0]))
    shifted = matching_aware_discriminator_loss(real, fake, wrong_logits=tf.constant([3.0]))
    delta = (math.log(1 + math.exp(3.0)) - math.log(2.0)) / 2
    assert float(shifted[0] - base[0]) == pytest.approx(delta, rel=1e-6)


def test_generator_loss_is_non_saturating_eq_3():
    # G maximises log s_f.
    loss = generator_loss(tf.constant(FAKE))
    np.testing.assert_allclose(loss.numpy(), [-math.log(sigmoid(f)) for f in FAKE], rtol=1e-6)
    assert loss.numpy()[1] == pytest.approx(math.log(2.0), abs=1e-7)


def test_losses_are_stable_for_confident_logits():
    # Computed from logits, not sigmoid: no log(0) for a discriminator that is sure.
    big = tf.constant([100.0, -100.0])
    np.testing.assert_allclose(generator_loss(-big).numpy(), [100.0, 0.0], atol=1e-6)
    d = matching_aware_discriminator_loss(-big, big, wrong_logits=big)
    np.testing.assert_allclose(d.numpy(), [200.0, 0.0], atol=1e-5)  # sure and wrong; sure and right


def test_per_example_losses_average_over_the_global_batch():
    per_example = matching_aware_discriminator_loss(tf.constant(REAL), tf.constant(FAKE))
    mean = tf.nn.compute_average_loss(per_example, global_batch_size=6)
    assert float(mean) == pytest.approx(float(tf.reduce_sum(per_example)) / 6, rel=1e-6)
