"""The GAN networks of a run's configuration: the one place the trainer, evaluation and
export build them."""

from __future__ import annotations

import keras

from avgan.config import Config
from avgan.models.i2s import I2SDiscriminator, I2SGenerator
from avgan.models.s2i import S2IDiscriminator, S2IGenerator

DIRECTIONS = ("s2i", "i2s")


def make_generator(config: Config) -> keras.Model:
    """`S2IGenerator` or `I2SGenerator` (by `config.direction`) at the model sizes, with
    the recipe's upsampling, conditioning and (S2I) output layer (unbuilt)."""
    generator, extra = I2SGenerator, {}
    if config.direction == "s2i":
        generator, extra = S2IGenerator, {"g_output": config.model.g_output}
    return generator(
        config.model.width,
        z_dim=config.model.z_dim,
        encoding_dim=config.model.encoding_dim,
        upsampling=config.model.upsampling,
        conditioning=config.gan.g_conditioning,
        **extra,
    )


def make_discriminator(config: Config, num_classes: int = 0) -> keras.Model:
    """`S2IDiscriminator` or `I2SDiscriminator` at the model sizes with the recipe's
    normalisation and conditioning (I2S: `model.d_extra_layers` extra layers; unbuilt);
    `num_classes` > 0 adds the auxiliary classifier (AC-GAN)."""
    discriminator, extra = S2IDiscriminator, {}
    if config.direction == "i2s":
        discriminator, extra = I2SDiscriminator, {"extra_layers": config.model.d_extra_layers}
    return discriminator(
        config.model.width,
        encoding_dim=config.model.encoding_dim,
        num_classes=num_classes,
        norm=config.gan.d_norm,
        conditioning=config.gan.d_conditioning,
        **extra,
    )
