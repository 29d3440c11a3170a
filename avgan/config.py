"""Typed configuration and the named presets (paper, cpu, tiny).

A run's configuration is resolved in order: the preset's defaults, then command-line
overrides; the result is written as JSON into the model directory, so a run can be
read back and reproduced.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from avgan.data.files import write_text

# How the GAN generators double a feature map: DCGAN's transposed convolutions (the
# paper's), or nearest-neighbour resizing then a convolution (not in the paper). Here,
# not in avgan.models, so the command line can list them without importing Keras.
UPSAMPLINGS = ("deconv", "resize")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Network sizes.

    Attributes:
        width: base number of filters (DCGAN's gf_dim / df_dim; the paper's 64). The
            encoders scale their filter counts with width / 64 as well.
        z_dim: noise dimension of the generators.
        encoding_dim: size of the sound and image encodings (the paper's 128).
        conv_layers: convolutional layers of the sound classifier (Table 1: 3 or 4).
        representation: the sound classifier's input: stft, cqt, mfcc, ms or lms.
        upsampling: how the GAN generators double a feature map: 'deconv' (the
            paper's transposed convolutions) or 'resize' (nearest-neighbour
            upsampling and a convolution; `avgan.models.s2i.upsample`).
    """

    width: int = 64
    z_dim: int = 100
    encoding_dim: int = 128
    conv_layers: int = 4
    representation: str = "lms"
    upsampling: str = "deconv"

    @property
    def encoder_scale(self) -> float:
        return self.width / 64.0


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (the paper's: Adam 2e-4, beta1 0.5, batch 64)."""

    batch_size: int = 64
    epochs: int = 30
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    classifier_learning_rate: float = 1e-3
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Where the pairs come from.

    Attributes:
        root: a Sub-URMP-layout folder; empty means the synthetic ensemble
            `synthetic_preset`, built on first use.
    """

    root: str = ""
    synthetic_preset: str = "small"
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class Config:
    preset: str = "paper"
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    data: DataConfig = DataConfig()

    def replace(self, **sections: dict[str, Any]) -> Config:
        """A copy with fields of named sections overridden; None values are ignored."""
        updated = {}
        for name, overrides in sections.items():
            section = getattr(self, name)
            valid = {f.name for f in dataclasses.fields(section)}
            unknown = set(overrides) - valid
            if unknown:
                raise ValueError(f"unknown {name} setting(s): {', '.join(sorted(unknown))}")
            kept = {k: v for k, v in overrides.items() if v is not None}
            updated[name] = dataclasses.replace(section, **kept)
        return dataclasses.replace(self, **updated)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, model_dir: str) -> str:
        """Writes the resolved config to MODEL_DIR/config.json (atomically)."""
        path = os.path.join(model_dir, "config.json")
        write_text(path, json.dumps(self.to_dict(), indent=2, sort_keys=True))
        return path

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Config:
        return cls(
            preset=values.get("preset", "paper"),
            model=ModelConfig(**values.get("model", {})),
            train=TrainConfig(**values.get("train", {})),
            data=DataConfig(**values.get("data", {})),
        )


PRESETS: dict[str, Config] = {
    # The paper's settings: DCGAN widths 64, batch 64, Adam 2e-4 / 0.5, z 100.
    "paper": Config(preset="paper"),
    # Half width: a GAN step at batch 64 takes ~1 s on 2 CPU cores.
    "cpu": Config(
        preset="cpu",
        model=ModelConfig(width=32),
        train=TrainConfig(epochs=20),
    ),
    # For tests: tiny widths, a few steps.
    "tiny": Config(
        preset="tiny",
        model=ModelConfig(width=8, z_dim=16, encoding_dim=128),
        train=TrainConfig(batch_size=8, epochs=1),
        data=DataConfig(synthetic_preset="tiny"),
    ),
}


def preset(name: str) -> Config:
    """The Config of preset `name`; ValueError listing the valid names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; valid: {', '.join(PRESETS)}") from None
