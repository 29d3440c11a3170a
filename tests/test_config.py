"""The one configuration: presets, overrides, each value checked once, JSON round trip."""

import json
import math

import numpy as np
import pytest

from avgan import config as config_lib
from avgan.config import Config, GanConfig, ModelConfig


def test_presets_and_overrides():
    cpu = config_lib.preset("cpu")
    assert (cpu.model.width, cpu.train.epochs, cpu.train.batch_size) == (32, 20, 64)
    changed = cpu.replace(
        mode="i2s",
        model=dict(upsampling="resize", width=None),  # None: keep the preset's value
        gan=dict(augment="time_translation,cutout", aux_weight=0.5),
    )
    assert changed.mode == "i2s" and changed.direction == "i2s" and changed.is_gan
    assert changed.model.width == 32 and changed.model.upsampling == "resize"
    assert changed.gan.augment_policy == ("time_translation", "cutout")
    assert cpu.gan.aux_weight == 0.0  # frozen: replace made a copy
    with pytest.raises(ValueError, match="unknown preset 'gpu'; valid: paper, cpu, tiny"):
        config_lib.preset("gpu")
    with pytest.raises(ValueError, match="unknown model setting"):
        cpu.replace(model=dict(depth=3))
    with pytest.raises(ValueError, match="unknown config field 'modle'"):
        cpu.replace(modle="s2i")


@pytest.mark.parametrize(
    "section, field, value, allowed",
    [
        ("model", "conv_layers", 5, "must be one of 3, 4"),
        ("model", "representation", "wav", "must be one of stft, cqt, mfcc, ms, lms"),
        ("model", "upsampling", "bicubic", "must be one of deconv, resize"),
        ("model", "width", 0, ">= 1"),
        ("train", "batch_size", 0, ">= 1"),
        ("train", "learning_rate", 0.0, "must be > 0"),
        ("train", "beta_1", 1.0, "must be in \\[0, 1\\)"),
        ("gan", "variant", "x", "must be one of c, n, a"),
        ("gan", "augment", "translation,flip", "unknown augmentation flip"),
        ("gan", "aux_weight", -1.0, ">= 0.0"),
        ("gan", "aux_weight", math.nan, "finite"),
        ("gan", "aux_weight", math.inf, "finite"),
        ("gan", "eval_every", 0, ">= 1"),
        ("runtime", "strategy", "tpu", "must be one of auto, mirrored"),
        ("model", "g_output", "rgb", "must be one of upsample, conv"),
        ("model", "d_extra_layers", -1, "must be a finite integer >= 0"),
        # Finite in float64, inf in the float32 the networks compute in.
        ("gan", "aux_weight", 1e39, "must be a finite float32, at most 3.4e\\+38"),
        ("gan", "r1_weight", 1e39, "float32"),
        ("gan", "ema_half_life", 1e39, "float32"),
        ("train", "learning_rate", 1e39, "float32"),
        ("train", "d_learning_rate", 3.5e38, "float32"),
    ],
)
def test_a_bad_value_names_the_field_the_value_and_what_is_allowed(section, field, value, allowed):
    with pytest.raises(ValueError, match=f"^{section}.{field}=.*: .*{allowed}") as error:
        config_lib.preset("tiny").replace(**{section: {field: value}})
    assert repr(value) in str(error.value) or str(value) in str(error.value)


def test_the_largest_float32_is_accepted():
    largest = config_lib.preset("tiny").replace(gan=dict(aux_weight=config_lib.FLOAT32_MAX))
    assert largest.gan.aux_weight == config_lib.FLOAT32_MAX == float(np.finfo(np.float32).max)


def test_cross_field_rules():
    with pytest.raises(ValueError, match="^mode='gan': must be one of s2i, s2i_pose, i2s"):
        Config(mode="gan")
    with pytest.raises(
        ValueError,
        match="gan.aux_weight=1.0: names the instrument, and a pose model of one instrument",
    ):
        Config(mode="s2i_pose", gan=GanConfig(aux_weight=1.0))
    # Naming the pitch, or the instruments of a shared pose model, it has work to do.
    Config(mode="s2i_pose", gan=GanConfig(aux_weight=1.0, aux_target="pitch"))
    Config(mode="s2i_pose", gan=GanConfig(aux_weight=1.0, pose_models="shared"))
    with pytest.raises(ValueError, match="gan.aux_weight=1.0: is for the GAN modes"):
        Config(mode="image_classifier", gan=GanConfig(aux_weight=1.0))
    with pytest.raises(ValueError, match="gan.aux_target='onset': must be one of instrument"):
        GanConfig(aux_target="onset")
    with pytest.raises(ValueError, match=r"gan.instruments=\['cello'\]: is for mode s2i_pose"):
        Config(mode="s2i", gan=GanConfig(instruments=("cello",)))
    with pytest.raises(ValueError, match="model.g_output='conv': is for the S2I generators"):
        config_lib.preset("tiny").replace(mode="i2s", model=dict(g_output="conv"))
    with pytest.raises(ValueError, match="model.d_extra_layers=2: is for the I2S discriminator"):
        config_lib.preset("tiny").replace(mode="s2i", model=dict(d_extra_layers=2))
    pose = Config(mode="s2i_pose", gan=GanConfig(instruments=["cello"]))
    assert pose.gan.instruments == ("cello",) and pose.direction == "s2i"
    with pytest.raises(ValueError, match="gan.pose_models='shared': is for mode s2i_pose"):
        Config(mode="s2i", gan=GanConfig(pose_models="shared"))
    with pytest.raises(ValueError, match="gan.pose_models='all': must be one of each, shared"):
        GanConfig(pose_models="all")
    assert Config(mode="s2i_pose", gan=GanConfig(near_pitch=2)).gan.near_pitch == 2
    with pytest.raises(ValueError, match="gan.near_pitch=2: is for mode s2i_pose"):
        Config(mode="s2i", gan=GanConfig(near_pitch=2))
    with pytest.raises(ValueError, match="gan.same_recording=True: is for mode s2i_pose"):
        Config(mode="i2s", gan=GanConfig(same_recording=True))
    with pytest.raises(ValueError, match="gan.near_pitch=-1"):
        GanConfig(near_pitch=-1)
    assert Config(mode="s2i_pose", gan=GanConfig(scene_weight=2.0)).gan.scene_weight == 2.0
    with pytest.raises(ValueError, match="gan.scene_weight=2.0: is for mode s2i_pose"):
        Config(mode="s2i", gan=GanConfig(scene_weight=2.0))
    with pytest.raises(ValueError, match="gan.scene_weight=-1.0"):
        GanConfig(scene_weight=-1.0)
    pose = Config(mode="s2i_pose", gan=GanConfig(condition="pitch_posterior"))
    assert pose.gan.condition == "pitch_posterior"
    with pytest.raises(ValueError, match="gan.condition='pitch_posterior': is for mode s2i_pose"):
        Config(mode="s2i", gan=GanConfig(condition="pitch_posterior"))
    with pytest.raises(ValueError, match="gan.condition='pitch': must be one of encoding, pitch_"):
        GanConfig(condition="pitch")


def test_json_round_trip_and_older_files():
    config = config_lib.preset("tiny").replace(
        mode="s2i_pose", gan=dict(instruments=("flute",), augment="cutout")
    )
    values = json.loads(config.to_json())
    assert values["gan"]["instruments"] == ["flute"]
    assert Config.from_dict(values) == config
    # A config.json from before the gan and runtime sections: their defaults.
    old = {"preset": "cpu", "model": {"width": 32}, "train": {"epochs": 20}, "data": {}}
    assert Config.from_dict(old) == Config(preset="cpu", model=ModelConfig(width=32)).replace(
        train=dict(epochs=20)
    )
    with pytest.raises(ValueError, match="unknown gan setting"):
        Config.from_dict({"gan": {"wrong_pairs": True}})
    with pytest.raises(ValueError, match="unknown config section"):
        Config.from_dict({"trainer": {}})


def test_the_library_and_its_command_line_share_the_lists():
    # One definition each: the flags, the augmentation and the strategy read these.
    from avgan.data import features
    from avgan.training import augment, strategy

    assert tuple(features.REPRESENTATIONS) == config_lib.REPRESENTATIONS
    assert augment.POLICIES is config_lib.AUGMENT_POLICIES
    assert strategy.STRATEGIES is config_lib.STRATEGIES
