"""Sampling from a conditional generator: a frozen encoder, a generator and its EMA copy.

`Sampling` holds what turning a raw condition into samples needs, for the trainer's
`GanCls` (which adds the discriminator and the training step) and for `Sampler`, which
evaluation, generation and export restore from a model dir without the trainer:

    raw condition --encoder.encode--> [batch, 128] --generator((encoding, z))--> sample

    S2I: condition [batch, 22050] float32 waveforms -> [batch, 64, 64, 3] in [-1, 1]
    I2S: condition [batch, 64, 64, 3] uint8 pictures -> [batch, 128, 34, 1] in [-1, 1]
"""

from __future__ import annotations

import keras
import tensorflow as tf

from avgan.data.constants import CHUNK_SAMPLES, IMAGE_SIZE
from avgan.models.networks import DIRECTIONS, make_generator


class Sampling:
    """Mixin: `encode` and `generate` over `self.encoder`, `self.generator`,
    `self.ema_generator` (or None), `self.z_dim`, `self.direction` and
    `self.sample_seed_generator` (a keras.random.SeedGenerator)."""

    def dummy_condition(self) -> tf.Tensor:
        """One zero condition of the direction's input: builds networks by a call."""
        if self.direction == "s2i":
            return tf.zeros([1, CHUNK_SAMPLES], tf.float32)
        return tf.zeros([1, IMAGE_SIZE, IMAGE_SIZE, 3], tf.uint8)

    def copy_for_ema(self, encoding: tf.Tensor) -> keras.Model:
        """A non-trainable copy of the generator (same config, weights copied), built
        by a call on `encoding` [1, encoding_dim]."""
        config = {**self.generator.get_config(), "name": f"ema_{self.generator.name}"}
        ema = self.generator.__class__.from_config(config)
        ema.trainable = False
        ema((encoding, tf.zeros([1, self.z_dim])), training=False)
        for ema_weight, weight in zip(ema.weights, self.generator.weights, strict=True):
            ema_weight.assign(weight)
        return ema

    def encode(self, condition_input) -> tf.Tensor:
        """Raw condition (waveforms for S2I, uint8 pictures for I2S) -> [batch, 128]."""
        return tf.stop_gradient(self.encoder.encode(condition_input, training=False))

    def generate(self, condition_input, z=None, use_ema: bool = True) -> tf.Tensor:
        """Samples for raw conditions, in inference mode.

        Args:
            condition_input: S2I: [batch, 22050] float32 waveforms; I2S: [batch, 64, 64,
                3] uint8 pictures.
            z: [batch, z_dim] noise; None draws it from the sampling seed (independent
                of the training noise).
            use_ema: use the EMA generator when there is one.

        Returns:
            S2I: [batch, 64, 64, 3] float32 in [-1, 1]; I2S: [batch, 128, 34, 1] float32
            in [-1, 1] (see `avgan.models.i2s.to_log_mel_44`).
        """
        encoding = self.encode(condition_input)
        if z is None:
            z = keras.random.normal(
                [tf.shape(encoding)[0], self.z_dim], seed=self.sample_seed_generator
            )
        else:
            z = tf.convert_to_tensor(z, tf.float32)
            rows, conditions = z.shape[0], encoding.shape[0]
            if rows is not None and conditions is not None and rows != conditions:
                raise ValueError(f"z has {rows} rows for {conditions} conditions")
        generator = self.sampling_generator(use_ema)
        # float32 even under mixed precision, as the docstring says.
        return tf.cast(generator((encoding, z), training=False), tf.float32)

    def sampling_generator(self, use_ema: bool = True) -> keras.Model:
        """The EMA generator when asked and kept, else the trained one."""
        if use_ema and self.ema_generator is not None:
            return self.ema_generator
        return self.generator

    def restore_generators(self, checkpoint: str) -> None:
        """Restores the generator (and EMA generator) alone from a training checkpoint.

        What sampling, evaluation and export need: the discriminator and the optimizers
        are left out, so a run trained with a discriminator this object lacks (e.g. an
        auxiliary classifier's head) restores as well. The keys are the checkpoint
        layout's (`avgan.run_dir.checkpoint_objects`).

        Raises:
            AssertionError: a generator variable has no value in the checkpoint.
        """
        objects = {"generator": self.generator}
        if self.ema_generator is not None:
            objects["ema_generator"] = self.ema_generator
        status = tf.train.Checkpoint(**objects).restore(checkpoint).expect_partial()
        status.assert_existing_objects_matched()


class Sampler(Sampling):
    """A frozen encoder and a generator (with its EMA copy), built and ready to restore.

    Args:
        encoder: a trained encoder with `.encode(x, training=False)` (see `GanCls`).
        generator: an unbuilt generator (`avgan.models.networks.make_generator`).
        direction: 's2i' or 'i2s'.
        z_dim: the generator's noise dimension.
        ema: also make an EMA generator (restored from the checkpoint).
        seed: the sampling noise is seeded with seed + 1, as `GanCls` seeds it.
    """

    def __init__(
        self,
        encoder: keras.Model,
        generator: keras.Model,
        direction: str,
        z_dim: int,
        ema: bool = True,
        seed: int = 0,
    ):
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        self.encoder, self.generator = encoder, generator
        self.direction, self.z_dim = direction, z_dim
        self.sample_seed_generator = keras.random.SeedGenerator(seed + 1)
        encoder.trainable = False
        condition = self.dummy_condition()
        if not encoder.built:
            encoder(condition, training=False)
        encoding = encoder.encode(condition, training=False)
        generator((encoding, tf.zeros([1, z_dim])), training=False)
        self.ema_generator = self.copy_for_ema(encoding) if ema else None

    @classmethod
    def from_config(cls, config, encoder: keras.Model) -> Sampler:
        """The sampler of a run's `avgan.config.Config` (its model sizes, direction,
        EMA and seed) around `encoder`."""
        return cls(
            encoder,
            make_generator(config),
            config.direction,
            config.model.z_dim,
            ema=config.gan.ema,
            seed=config.train.seed,
        )
