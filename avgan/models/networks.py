"""The GAN networks of a direction at a configuration's sizes: the one place the
trainer, evaluation and export build them."""

from __future__ import annotations

import keras

from avgan.config import ModelConfig
from avgan.models.i2s import I2SDiscriminator, I2SGenerator
from avgan.models.s2i import S2IDiscriminator, S2IGenerator

DIRECTIONS = ("s2i", "i2s")


def _check(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")


def make_generator(model: ModelConfig, direction: str) -> keras.Model:
    """`S2IGenerator` or `I2SGenerator` at `model`'s sizes (unbuilt)."""
    _check(direction)
    generator = S2IGenerator if direction == "s2i" else I2SGenerator
    return generator(
        model.width,
        z_dim=model.z_dim,
        encoding_dim=model.encoding_dim,
        upsampling=model.upsampling,
    )


def make_discriminator(model: ModelConfig, direction: str, num_classes: int = 0) -> keras.Model:
    """`S2IDiscriminator` or `I2SDiscriminator` at `model`'s sizes (unbuilt);
    `num_classes` > 0 adds the auxiliary classifier (AC-GAN)."""
    _check(direction)
    discriminator = S2IDiscriminator if direction == "s2i" else I2SDiscriminator
    return discriminator(model.width, encoding_dim=model.encoding_dim, num_classes=num_classes)
