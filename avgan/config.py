"""One configuration for every run: nested dataclasses and the named presets.

A run's configuration is resolved in order: the preset's defaults, then the command
line's overrides. Entry points only map their flags to fields; every library
function takes a `Config`. Each value is checked once, here, when its section is
made: a bad value raises `ValueError` naming the field, the value and what is
allowed. The resolved configuration is written as `config.json` into the model dir
(`avgan.run_dir`), so a run can be read back and reproduced.

    Config
      preset, mode
      data     DataConfig      where the pairs come from
      model    ModelConfig     network sizes and layers
      train    TrainConfig     optimisation
      gan      GanConfig       what a GAN run trains (variant, encoders, DiffAugment, ...)
      runtime  RuntimeConfig   where and how it runs (strategy, precision, XLA)

Standard library only, so the command line can list the choices without importing
TensorFlow, and every layer of the package can read it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

# Modes of `avgan.train`: the three GANs, then the encoders they condition on or are
# judged by.
GAN_MODES = ("s2i", "s2i_pose", "i2s")
CLASSIFIER_MODES = (
    "sound_classifier",
    "pitch_sound_classifier",
    "image_classifier",
    "sound_autoencoder",
)
MODES = GAN_MODES + CLASSIFIER_MODES
# S2I variants (paper §5.2): classifier encoding, no mismatch term, autoencoder encoding.
VARIANTS = ("c", "n", "a")
# The sound classifier's input representations (paper Table 1).
REPRESENTATIONS = ("stft", "cqt", "mfcc", "ms", "lms")
# How the GAN generators double a feature map: DCGAN's transposed convolutions (the
# paper's), or nearest-neighbour resizing then a convolution (not in the paper).
UPSAMPLINGS = ("deconv", "resize")
# How the S2I generator draws its picture: the last upsampling makes the three colour
# channels (DCGAN's, the paper's), or makes w/2 features at full resolution that a 3x3
# convolution turns into colours (SN-GAN's and BigGAN's generators).
G_OUTPUTS = ("upsample", "conv")
# DiffAugment policies (`avgan.training.augment`); time_translation is for spectrograms.
AUGMENT_POLICIES = ("color", "translation", "cutout", "time_translation")
STRATEGIES = ("auto", "mirrored", "multi_worker", "one_device")
# GAN recipes: 'paper' is the paper's GAN-CLS exactly (the reproduction); 'avgan' is
# the modern conditional GAN that is the default for users (see RECIPES).
RECIPE_NAMES = ("paper", "avgan")
LOSSES = ("bce", "hinge")  # binary cross-entropy (GAN-CLS) or hinge (SN-GAN, BigGAN)
D_NORMS = ("batch", "spectral")  # the discriminator's normalisation
D_CONDITIONINGS = ("concat", "projection")  # GAN-CLS's tiled phi, or Miyato & Koyama's
G_CONDITIONINGS = ("input", "film")  # phi ++ z at the input only, or FiLM in every block
# What the auxiliary head of the discriminator classifies (AC-GAN): the instrument, or
# the MIDI pitch of the note (URMP's Notes; rests do not count).
AUX_TARGETS = ("instrument", "pitch")
# s2i_pose: one model per instrument (the paper's), or one for all the instruments.
POSE_MODELS = ("each", "shared")
# What the generator is conditioned on: the encoder's 128-d encoding (the paper's), or,
# for pose models, the pitch-aware classifier's note posterior (models.encoders).
CONDITIONS = ("encoding", "pitch_posterior")


# The largest float32: the networks and their losses compute in float32 (or float16),
# where a larger weight or rate is inf.
FLOAT32_MAX = 3.4028234663852886e38


class ConfigError(ValueError):
    """A value the configuration refuses, or a run the data cannot make (names the field)."""


def _fail(field: str, value: Any, allowed: str) -> None:
    raise ConfigError(f"{field}={value!r}: {allowed}")


def _choice(field: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        _fail(field, value, f"must be one of {', '.join(map(str, choices))}")


def _at_least(field: str, value: Any, low: float, kind: type = int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        _fail(field, value, f"must be {'a number' if kind is float else 'an integer'} >= {low}")
    if not math.isfinite(value) or value < low:
        _fail(field, value, f"must be a finite {'number' if kind is float else 'integer'} >= {low}")
    if kind is float and abs(value) > FLOAT32_MAX:
        _fail(field, value, "must be a finite float32, at most 3.4e+38")


def parse_policy(policy: str) -> tuple[str, ...]:
    """'color,translation,cutout' -> ('color', 'translation', 'cutout'); '' -> ().

    ValueError naming the unknown part otherwise."""
    parts = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [p for p in parts if p not in AUGMENT_POLICIES]
    if unknown:
        raise ConfigError(
            f"unknown augmentation {', '.join(unknown)!s} in {policy!r}; valid: "
            f"{', '.join(AUGMENT_POLICIES)} (comma-separated)"
        )
    return parts


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Where the pairs come from.

    Attributes:
        root: a Sub-URMP-layout folder; empty means the synthetic ensemble
            `synthetic_preset`, built on first use.
        synthetic_preset: the synthetic ensemble's preset (small, full, tiny, ...).
        seed: the synthetic ensemble's seed.
    """

    root: str = ""
    synthetic_preset: str = "small"
    seed: int = 0

    def __post_init__(self):
        if not self.root and not self.synthetic_preset:
            _fail("data.synthetic_preset", self.synthetic_preset, "needed when data.root is empty")
        _at_least("data.seed", self.seed, 0)


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
        g_output: S2I: how the generator draws the picture: 'upsample' (the last
            upsampling makes the colours, so each output pixel mixes only 2x2 of the
            32x32 features: the finest detail is drawn at half resolution) or 'conv'
            (the last upsampling makes w/2 features, BN ReLU, then a 3x3 convolution
            at 64x64 makes the colours).
        d_extra_layers: I2S: the discriminator's extra stride-1 3x3 convolutions at
            4x4 (the paper's twelve); they are most of its cost.
    """

    width: int = 64
    z_dim: int = 100
    encoding_dim: int = 128
    conv_layers: int = 4
    representation: str = "lms"
    upsampling: str = "deconv"
    g_output: str = "upsample"
    d_extra_layers: int = 12

    def __post_init__(self):
        for name in ("width", "z_dim", "encoding_dim"):
            _at_least(f"model.{name}", getattr(self, name), 1)
        _choice("model.conv_layers", self.conv_layers, (3, 4))
        _choice("model.representation", self.representation, REPRESENTATIONS)
        _choice("model.upsampling", self.upsampling, UPSAMPLINGS)
        _choice("model.g_output", self.g_output, G_OUTPUTS)
        _at_least("model.d_extra_layers", self.d_extra_layers, 0)

    @property
    def encoder_scale(self) -> float:
        return self.width / 64.0


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (the paper's: Adam 2e-4, beta1 0.5, batch 64).

    Attributes:
        learning_rate: the GAN generator's Adam step (and the discriminator's, unless
            `d_learning_rate` is set: two time-scale updates, Heusel et al. 2017).
        d_learning_rate: the discriminator's Adam step; 0 means `learning_rate`.
        beta_1, beta_2: Adam's moment decays for both GAN optimizers.
        classifier_learning_rate: the encoders' Adam step.
    """

    batch_size: int = 64
    epochs: int = 30
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    classifier_learning_rate: float = 1e-3
    seed: int = 0
    d_learning_rate: float = 0.0
    beta_2: float = 0.999

    def __post_init__(self):
        _at_least("train.batch_size", self.batch_size, 1)
        _at_least("train.epochs", self.epochs, 1)
        _at_least("train.seed", self.seed, 0)
        for name in ("learning_rate", "classifier_learning_rate"):
            value = getattr(self, name)
            _at_least(f"train.{name}", value, 0.0, float)
            if value == 0:
                _fail(f"train.{name}", value, "must be > 0")
        _at_least("train.d_learning_rate", self.d_learning_rate, 0.0, float)
        for name in ("beta_1", "beta_2"):
            value = getattr(self, name)
            _at_least(f"train.{name}", value, 0.0, float)
            if value >= 1:
                _fail(f"train.{name}", value, "must be in [0, 1)")


@dataclasses.dataclass(frozen=True)
class GanConfig:
    """What a GAN run trains (modes s2i, s2i_pose, i2s).

    Attributes:
        variant: S2I only: 'c' (classifier encoding), 'n' (no mismatch term), 'a'
            (autoencoder encoding).
        instruments: pose-oriented S2I: the one instrument the model is for (the
            trainer runs one model per instrument), or with pose_models 'shared' the
            instruments the one model is for (empty: all of the data's).
        pose_models: pose-oriented S2I: 'each' trains one model per instrument (the
            paper's), 'shared' one model for all of `instruments`; either way a wrong
            pair is another picture of the same instrument (Eq. 6).
        condition: what the generator is conditioned on: 'encoding', the encoder's
            128-d encoding (the paper's), or for pose-oriented S2I 'pitch_posterior',
            the pitch-aware sound classifier's softmax over the MIDI pitches (what the
            sound says about the note, and little about the recording).
        near_pitch: pose-oriented S2I: harder wrong pairs, pictures of the same
            instrument playing a different note at most this many semitones away (from
            the data's pitch metadata); 0 = any other picture of the instrument (Eq. 6).
        same_recording: pose-oriented S2I: draw each wrong pair from the pair's own
            recording (the same player in the same room) playing another note (within
            near_pitch if set), so that the discriminator cannot tell a mismatch by the
            room; where the recording has no other note, as without it.
        scene_weight: pose-oriented S2I: weight of the scene term, which holds the
            player and the room when only the sound changes. In each generator step
            the generator also draws each pair's noise with the next pair's sound (the
            same instrument) and pays the mean absolute difference of the two
            pictures' 8x8-pixel cell means (`losses.scene_difference`); 0 = none.
        sound_encoder, image_encoder: trained encoders (.keras) to use; empty trains
            them first into MODEL_DIR/encoders/.
        ema: keep an EMA generator for sampling.
        augment: DiffAugment policy for the discriminator's inputs, comma-separated
            from AUGMENT_POLICIES ('' = the paper's training; `avgan.training.augment`).
        aux_weight: weight of an auxiliary classifier on the discriminator (AC-GAN;
            0 = the paper's training).
        aux_target: what the auxiliary classifier names: 'instrument', or 'pitch' (the
            MIDI pitch of the pair's note, from the data's pitch metadata; pairs that
            are rests do not count), which is what a pose model's pictures should follow.
        checkpoint_every: steps between checkpoints (saved at the next epoch end).
        eval_every: epochs between generated-accuracy measurements (Fig. 9).
        audio_summaries: I2S: TensorBoard audio of generated spectrograms each epoch
            (Griffin-Lim: a few seconds per epoch on a CPU).
        recipe: the named recipe the ingredients below came from ('paper' or 'avgan';
            `with_recipe` sets them). The defaults here are the paper's.
        loss: 'bce' (GAN-CLS's binary cross-entropy) or 'hinge'.
        d_norm: the discriminator's normalisation: 'batch' (DCGAN) or 'spectral'
            (every convolution and dense layer, no batch norm; Miyato et al. 2018).
        d_conditioning: 'concat' (phi tiled over D's 4x4 features, GAN-CLS) or
            'projection' (the inner product of D's pooled features with a projection of
            phi, added to an unconditional score; Miyato & Koyama 2018).
        g_conditioning: 'input' (phi ++ z feeds the first layer only) or 'film' (every
            generator block's batch norm takes its scale and shift from phi ++ z).
        ema_half_life: the generator EMA's half-life in generator steps (with a
            ramp-up); 0 keeps the fixed decay 0.999 of the paper-era runs.
        r1_weight: gamma of an R1 gradient penalty on real pairs, gamma / 2 *
            |grad_x D(x, c)|^2 (Mescheder et al. 2018); 0 = none.
        r1_every: apply the penalty every this many discriminator steps (lazy
            regularisation, StyleGAN2), scaled by it.
    """

    variant: str = "c"
    instruments: tuple[str, ...] = ()
    pose_models: str = "each"
    condition: str = "encoding"
    near_pitch: int = 0
    same_recording: bool = False
    scene_weight: float = 0.0
    sound_encoder: str = ""
    image_encoder: str = ""
    ema: bool = True
    augment: str = ""
    aux_weight: float = 0.0
    aux_target: str = "instrument"
    checkpoint_every: int = 200
    eval_every: int = 5
    audio_summaries: bool = True
    recipe: str = "paper"
    loss: str = "bce"
    d_norm: str = "batch"
    d_conditioning: str = "concat"
    g_conditioning: str = "input"
    ema_half_life: float = 0.0
    r1_weight: float = 0.0
    r1_every: int = 4

    def __post_init__(self):
        _choice("gan.variant", self.variant, VARIANTS)
        _choice("gan.recipe", self.recipe, RECIPE_NAMES)
        _choice("gan.pose_models", self.pose_models, POSE_MODELS)
        _choice("gan.condition", self.condition, CONDITIONS)
        _choice("gan.aux_target", self.aux_target, AUX_TARGETS)
        _choice("gan.loss", self.loss, LOSSES)
        _choice("gan.d_norm", self.d_norm, D_NORMS)
        _choice("gan.d_conditioning", self.d_conditioning, D_CONDITIONINGS)
        _choice("gan.g_conditioning", self.g_conditioning, G_CONDITIONINGS)
        _at_least("gan.ema_half_life", self.ema_half_life, 0.0, float)
        _at_least("gan.r1_weight", self.r1_weight, 0.0, float)
        _at_least("gan.r1_every", self.r1_every, 1)
        _at_least("gan.near_pitch", self.near_pitch, 0)
        _at_least("gan.scene_weight", self.scene_weight, 0.0, float)
        # JSON gives lists; the config is frozen and hashable, so keep a tuple.
        object.__setattr__(self, "instruments", tuple(self.instruments))
        try:
            parse_policy(self.augment)
        except ValueError as e:
            _fail("gan.augment", self.augment, str(e))
        _at_least("gan.aux_weight", self.aux_weight, 0.0, float)
        _at_least("gan.checkpoint_every", self.checkpoint_every, 1)
        _at_least("gan.eval_every", self.eval_every, 1)

    @property
    def augment_policy(self) -> tuple[str, ...]:
        return parse_policy(self.augment)


@dataclasses.dataclass(frozen=True)
class RuntimeConfig:
    """Where and how a run executes.

    Attributes:
        strategy: tf.distribute strategy: 'auto' (mirrored over the visible GPUs if
            more than one, else one device), 'mirrored', 'multi_worker' (TF_CONFIG)
            or 'one_device'.
        mixed_precision: train in mixed_float16 (GPUs).
        jit_compile: XLA-compile the train step (about 5x slower on a CPU).
    """

    strategy: str = "auto"
    mixed_precision: bool = False
    jit_compile: bool = False

    def __post_init__(self):
        _choice("runtime.strategy", self.strategy, STRATEGIES)


SECTIONS = {
    "data": DataConfig,
    "model": ModelConfig,
    "train": TrainConfig,
    "gan": GanConfig,
    "runtime": RuntimeConfig,
}


@dataclasses.dataclass(frozen=True)
class Config:
    """A run's whole configuration (see the module docstring).

    Cross-field rules are checked here: an AC-GAN head that names the instrument
    needs more than one (not a per-instrument `s2i_pose` model), and
    `gan.instruments` and `gan.pose_models` are for `s2i_pose`.
    """

    preset: str = "paper"
    mode: str = "s2i"
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    gan: GanConfig = GanConfig()
    runtime: RuntimeConfig = RuntimeConfig()

    def __post_init__(self):
        _choice("mode", self.mode, MODES)
        if self.gan.aux_weight and self.mode not in GAN_MODES:
            _fail("gan.aux_weight", self.gan.aux_weight, f"is for the GAN modes, not {self.mode}")
        if (
            self.gan.aux_weight
            and self.mode == "s2i_pose"
            and (self.gan.aux_target, self.gan.pose_models) == ("instrument", "each")
        ):
            _fail(
                "gan.aux_weight",
                self.gan.aux_weight,
                "names the instrument, and a pose model of one instrument has nothing "
                "for it to tell apart: use aux_target pitch, or pose_models shared",
            )
        if self.model.g_output != "upsample" and self.mode == "i2s":
            _fail("model.g_output", self.model.g_output, "is for the S2I generators, not i2s")
        if self.model.d_extra_layers != ModelConfig.d_extra_layers and self.direction == "s2i":
            _fail(
                "model.d_extra_layers",
                self.model.d_extra_layers,
                f"is for the I2S discriminator, not {self.mode}",
            )
        if self.gan.instruments and self.mode != "s2i_pose":
            _fail("gan.instruments", list(self.gan.instruments), "is for mode s2i_pose")
        if self.gan.pose_models != GanConfig.pose_models and self.mode != "s2i_pose":
            _fail("gan.pose_models", self.gan.pose_models, "is for mode s2i_pose")
        if self.gan.near_pitch and self.mode != "s2i_pose":
            _fail("gan.near_pitch", self.gan.near_pitch, "is for mode s2i_pose")
        if self.gan.same_recording and self.mode != "s2i_pose":
            _fail("gan.same_recording", self.gan.same_recording, "is for mode s2i_pose")
        if self.gan.scene_weight and self.mode != "s2i_pose":
            _fail("gan.scene_weight", self.gan.scene_weight, "is for mode s2i_pose")
        if self.gan.condition != GanConfig.condition and self.mode != "s2i_pose":
            _fail("gan.condition", self.gan.condition, "is for mode s2i_pose")

    @property
    def direction(self) -> str:
        """'i2s' for the image-to-sound GAN, 's2i' for every sound-to-image one."""
        return "i2s" if self.mode == "i2s" else "s2i"

    @property
    def is_gan(self) -> bool:
        return self.mode in GAN_MODES

    def replace(self, **changes: Any) -> Config:
        """A copy with fields overridden: a section by a dict of its fields (None values
        are ignored, so unset flags keep the preset's value), a top-level field
        (preset, mode) by its value.

        Raises:
            ValueError: an unknown section or field, or a value its section refuses.
        """
        updated = {}
        for name, overrides in changes.items():
            if name not in SECTIONS:
                if name not in ("preset", "mode"):
                    raise ConfigError(f"unknown config field {name!r}")
                if overrides is not None:
                    updated[name] = overrides
                continue
            section = getattr(self, name)
            valid = {f.name for f in dataclasses.fields(section)}
            unknown = set(overrides) - valid
            if unknown:
                raise ConfigError(f"unknown {name} setting(s): {', '.join(sorted(unknown))}")
            kept = {k: v for k, v in overrides.items() if v is not None}
            updated[name] = dataclasses.replace(section, **kept)
        return dataclasses.replace(self, **updated)

    def with_recipe(self, name: str) -> Config:
        """A copy with recipe `name`'s ingredients (RECIPES) in the model, train and gan
        sections, and `gan.recipe` = name. Apply other overrides after this one.

        Raises:
            ValueError: an unknown recipe (naming the valid ones).
        """
        _choice("gan.recipe", name, RECIPE_NAMES)
        sections = {k: dict(v) for k, v in RECIPES[name].items()}
        for section, values in RECIPE_BY_DIRECTION[name][self.direction].items():
            sections.setdefault(section, {}).update(values)
        sections["gan"]["recipe"] = name
        return self.replace(**sections)

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["gan"]["instruments"] = list(self.gan.instruments)
        return values

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Config:
        """The Config of `to_dict`'s output; missing sections and fields take their
        defaults (config.json files written before a field existed still load).

        Raises:
            ValueError: an unknown section or field, or a value its section refuses.
        """
        unknown = set(values) - set(SECTIONS) - {"preset", "mode"}
        if unknown:
            raise ConfigError(f"unknown config section(s): {', '.join(sorted(unknown))}")
        sections = {}
        for name, section in SECTIONS.items():
            fields = values.get(name, {})
            names = {f.name for f in dataclasses.fields(section)}
            extra = set(fields) - names
            if extra:
                raise ConfigError(f"unknown {name} setting(s): {', '.join(sorted(extra))}")
            sections[name] = section(**fields)
        return cls(preset=values.get("preset", "paper"), mode=values.get("mode", "s2i"), **sections)


# The recipes' ingredients by section (`Config.with_recipe`), then per direction
# (RECIPE_BY_DIRECTION). 'paper' is GAN-CLS as the paper trains it; 'avgan' the
# conditional GAN for small data and small budgets (hinge loss, projection, FiLM,
# DiffAugment, EMA, two time-scale Adam, R1), keeping GAN-CLS's matching-aware wrong
# pairs. Its discriminator keeps batch norm: with spectral norm in the DCGAN-sized
# discriminator, S2I-C reached 53.4% at 1,440 steps against 73.9% with batch norm
# (results/recipes/recipes.md).
RECIPES: dict[str, dict[str, dict[str, Any]]] = {
    "paper": {
        "model": {"upsampling": "deconv", "g_output": "upsample"},
        "train": {"learning_rate": 2e-4, "d_learning_rate": 0.0, "beta_1": 0.5, "beta_2": 0.999},
        "gan": {
            "loss": "bce",
            "d_norm": "batch",
            "d_conditioning": "concat",
            "g_conditioning": "input",
            "ema_half_life": 0.0,
            "r1_weight": 0.0,
            "augment": "",
        },
    },
    "avgan": {
        # g_output 'conv' is an option, not the recipe: with batch norm in D it trailed
        # 'upsample' at 1,440 steps (results/recipes/recipes.md).
        "model": {"upsampling": "resize", "g_output": "upsample"},
        # Two time-scale Adam with beta_1 0 (BigGAN's settings at this batch size).
        "train": {"learning_rate": 1e-4, "d_learning_rate": 4e-4, "beta_1": 0.0, "beta_2": 0.9},
        "gan": {
            "loss": "hinge",
            "d_norm": "batch",
            "d_conditioning": "projection",
            "g_conditioning": "film",
            "ema_half_life": 200.0,
            "r1_weight": 0.1,
            "r1_every": 4,
        },
    },
}
# What a recipe sets per direction: the DiffAugment policy (spectrograms only move in
# time, so a shift along the mels would change the pitch).
RECIPE_BY_DIRECTION: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
    "paper": {"s2i": {}, "i2s": {}},
    "avgan": {
        "s2i": {"gan": {"augment": "translation,cutout"}},
        "i2s": {"gan": {"augment": "time_translation,cutout"}},
    },
}


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
        raise ConfigError(f"unknown preset {name!r}; valid: {', '.join(PRESETS)}") from None
