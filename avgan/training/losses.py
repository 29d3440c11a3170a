"""The GAN losses as pure functions of discriminator scores: the paper's GAN-CLS
(§3.2, Eq. 3 and 4; binary cross-entropy), the hinge loss of the 'avgan' recipe with
the same matching-aware term, AC-GAN's class term, the R1 penalty, and the scene term
of pose models (a function of two generated pictures, not of scores).

Each function returns one loss per example, `[batch]`; the caller averages over the
GLOBAL batch with `tf.nn.compute_average_loss(per_example, global_batch_size=...)`,
so that gradients summed across replicas by `tf.distribute` equal the gradient of
the mean over the whole batch.

Scores are the discriminator's sigmoid outputs: s_r for a right pair (real sample,
its condition), s_w for a wrong pair (real sample, another pair's condition; the
matching-aware term of GAN-CLS, Reed et al. 2016, Algorithm 1) and s_f for a fake
pair (generated sample, its condition). log(s) and log(1 - s) are computed from the
logits with the numerically stable sigmoid cross-entropy, never from sigmoid(logit).
"""

from __future__ import annotations

import tensorflow as tf


def _log_sigmoid_loss(logits: tf.Tensor, label: float) -> tf.Tensor:
    """-log s (label 1) or -log(1 - s) (label 0), s = sigmoid(logits), stably."""
    logits = tf.cast(logits, tf.float32)  # float16 logits under mixed precision
    return tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.fill(tf.shape(logits), label), logits=logits
    )


def matching_aware_discriminator_loss(
    real_logits: tf.Tensor,
    fake_logits: tf.Tensor,
    wrong_logits: tf.Tensor | None = None,
) -> tf.Tensor:
    """The discriminator's loss: minus the objective it maximises in paper Eq. 4.

    With wrong pairs (S2I-C, pose-oriented S2I, I2S; Eq. 4-7):
        D maximises log s_r + (log(1 - s_w) + log(1 - s_f)) / 2,
    so the loss is -log s_r - log(1 - s_w) / 2 - log(1 - s_f) / 2 (GAN-CLS).
    Without them (S2I-N, "trained without the mismatch information"):
        D maximises log s_r + log(1 - s_f).

    Args:
        real_logits: [batch] logits of right pairs.
        fake_logits: [batch] logits of generated samples with their conditions.
        wrong_logits: [batch] logits of wrong pairs, or None for S2I-N.

    Returns:
        [batch] float32 per-example losses.
    """
    real = _log_sigmoid_loss(real_logits, 1.0)
    fake = _log_sigmoid_loss(fake_logits, 0.0)
    if wrong_logits is None:
        return real + fake
    return real + 0.5 * (_log_sigmoid_loss(wrong_logits, 0.0) + fake)


def generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """The generator's loss: minus the objective of paper Eq. 3, G maximises log s_f.

    The non-saturating form -log s_f (Goodfellow et al. 2014), as GAN-CLS uses.

    Args:
        fake_logits: [batch] discriminator logits of generated samples.

    Returns:
        [batch] float32 per-example losses.
    """
    return _log_sigmoid_loss(fake_logits, 1.0)


def auxiliary_classifier_loss(class_logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """AC-GAN's class term (Odena et al. 2017; not in the paper): -log p(label | sample).

    The discriminator minimises it on real samples, the generator on its own, so a
    generated sample is pushed toward its condition's instrument directly, not only
    through the matching head's real/fake verdict.

    Args:
        class_logits: [batch, num_classes] logits of the discriminator's auxiliary head.
        labels: [batch] int instrument indices.

    Returns:
        [batch] float32 per-example losses.
    """
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=tf.cast(class_logits, tf.float32)
    )


def hinge_discriminator_loss(
    real_scores: tf.Tensor,
    fake_scores: tf.Tensor,
    wrong_scores: tf.Tensor | None = None,
) -> tf.Tensor:
    """The hinge loss of the discriminator (Lim & Ye 2017; SN-GAN, BigGAN), with GAN-CLS's
    matching-aware term kept (not in the paper):

        relu(1 - s_r) + (relu(1 + s_w) + relu(1 + s_f)) / 2

    and relu(1 - s_r) + relu(1 + s_f) without wrong pairs. s are raw scores, not
    probabilities: a right pair is pushed above +1, wrong and fake pairs below -1.

    Args:
        real_scores, fake_scores: [batch] scores of right and generated pairs.
        wrong_scores: [batch] scores of wrong pairs, or None.

    Returns:
        [batch] float32 per-example losses.
    """
    real = tf.nn.relu(1.0 - tf.cast(real_scores, tf.float32))
    fake = tf.nn.relu(1.0 + tf.cast(fake_scores, tf.float32))
    if wrong_scores is None:
        return real + fake
    return real + 0.5 * (tf.nn.relu(1.0 + tf.cast(wrong_scores, tf.float32)) + fake)


def hinge_generator_loss(fake_scores: tf.Tensor) -> tf.Tensor:
    """The generator's hinge-GAN loss: -s_f.

    Args:
        fake_scores: [batch] discriminator scores of generated samples.

    Returns:
        [batch] float32 per-example losses.
    """
    return -tf.cast(fake_scores, tf.float32)


def r1_penalty(gradients: tf.Tensor) -> tf.Tensor:
    """|grad_x D(x, c)|^2 per example (Mescheder et al. 2018, R1), from the gradient of
    the discriminator's scores of real pairs with respect to the real samples; the
    caller weighs it by gamma / 2.

    Args:
        gradients: [batch, ...] d(sum of scores) / d(real samples).

    Returns:
        [batch] float32 squared norms.
    """
    gradients = tf.cast(gradients, tf.float32)
    return tf.reduce_sum(tf.square(gradients), axis=list(range(1, gradients.shape.rank)))


# loss name (avgan.config.LOSSES) -> (discriminator loss, generator loss)
LOSSES = {
    "bce": (matching_aware_discriminator_loss, generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
}


SCENE_CELL = 8  # pixels: at 64x64, an 8x8 grid of cells


def scene_difference(pictures: tf.Tensor, others: tf.Tensor, cell: int = SCENE_CELL) -> tf.Tensor:
    """How far apart two pictures' scenes are: the mean absolute difference of their
    `cell` x `cell` pixel means, per example (not in the paper).

    A pose model's generator is given the same noise and two sounds of the same
    instrument; what should differ between its two pictures is the pose (a hand a few
    pixels across moving along the neck), and what should not is the player and the
    room (the wall, the floor, the clothes: regions many cells wide). Cell means keep the
    second and average most of the first away, so the term holds the scene and leaves
    the hand free.

    Args:
        pictures, others: [batch, height, width, channels] pictures in [-1, 1], height
            and width multiples of `cell`.
        cell: the cell's side in pixels.

    Returns:
        [batch] float32 per-example differences (0 when every cell's mean colour agrees).
    """

    def cells(x):
        return tf.nn.avg_pool2d(tf.cast(x, tf.float32), cell, cell, "VALID")

    return tf.reduce_mean(tf.abs(cells(pictures) - cells(others)), axis=[1, 2, 3])
