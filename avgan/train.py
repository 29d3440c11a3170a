"""Train avgan's networks: `python -m avgan.train --mode=MODE [flags]`.

Modes:
  s2i                     sound-to-image GAN-CLS; --variant c (classifier encoding),
                          n (no mismatch term) or a (autoencoder encoding)
  s2i_pose                pose-oriented S2I, one model per --instrument (all in turn
                          when not given; --pose_models=shared: one model for them
                          all), wrong pairs from the same instrument
                          (--near_pitch=K: playing a note at most K semitones off;
                          --same_recording: the same player and room, another note;
                          --scene_weight=W: one noise, one player and room)
  i2s                     image-to-sound GAN-CLS (log-mel spectrograms)
  sound_classifier        SoundClassifier on --representation (paper Table 1)
  pitch_sound_classifier  SoundClassifier with a pitch head (pose-aware encoder)
  image_classifier        ImageClassifier (paper §3.4)
  sound_autoencoder       the stacked autoencoder of S2I-A

With no --data, the synthetic ensemble (--synthetic_preset, default small) is used,
built first if absent; GAN modes train the encoders they need first (into
MODEL_DIR/encoders/) unless --sound_encoder / --image_encoder give them. Rerunning the
same command resumes an interrupted run; a finished run is not repeated.
"""

from __future__ import annotations

import json
import os

from absl import app, flags, logging

from avgan import cli
from avgan import config as config_lib

FLAGS = flags.FLAGS
flags.DEFINE_enum("mode", None, config_lib.MODES, "What to train.", required=True)
flags.DEFINE_string("data", None, "A Sub-URMP-layout folder (default: the synthetic ensemble).")
flags.DEFINE_string("synthetic_preset", None, "Synthetic ensemble preset when --data is not given.")
flags.DEFINE_string(
    "model_dir",
    None,
    "Where checkpoints, logs and results go (default: runs/<mode>[-<representation>] "
    "for encoders, runs/s2i-<variant> for S2I).",
)
flags.DEFINE_enum("preset", "cpu", list(config_lib.PRESETS), "Model and training preset.")
flags.DEFINE_enum(
    "representation",
    None,
    list(config_lib.REPRESENTATIONS),
    "Sound representation for the sound classifier (default lms).",
)
flags.DEFINE_integer("conv_layers", None, "Sound classifier conv layers: 3 or 4.")
flags.DEFINE_integer("epochs", None, "Training epochs (per stack for the autoencoder).")
flags.DEFINE_integer("batch_size", None, "Batch size.")
flags.DEFINE_integer("seed", None, "Random seed.")
flags.DEFINE_enum("variant", "c", config_lib.VARIANTS, "S2I variant: S2I-C, S2I-N or S2I-A.")
flags.DEFINE_list(
    "instrument",
    [],
    "Pose mode: the instrument(s) to train (default: all of the data's), one model each "
    "or, with --pose_models=shared, one model for them all.",
)
flags.DEFINE_enum(
    "pose_models",
    None,
    config_lib.POSE_MODELS,
    "Pose mode: each (one model per instrument, in MODEL_DIR/<instrument>, as in the "
    "paper) or shared (one model for all the instruments, in MODEL_DIR). Wrong pairs "
    "are always pictures of the same instrument (Eq. 6). Default: each.",
)
flags.DEFINE_enum(
    "condition",
    None,
    config_lib.CONDITIONS,
    "Pose mode: what the generator is conditioned on: encoding (the sound encoder's "
    "128-d encoding, as in the paper; the default) or pitch_posterior (the pitch-aware "
    "classifier's softmax over the MIDI pitches: the note, and little of the recording, "
    "so the room and player come from the noise).",
)
flags.DEFINE_integer(
    "near_pitch",
    None,
    "Pose mode: harder wrong pairs, pictures of the same instrument playing a different "
    "note at most this many semitones away (needs pitch metadata); 0 = any other "
    "picture of the instrument (Eq. 6, the default).",
    lower_bound=0,
)
flags.DEFINE_bool(
    "same_recording",
    None,
    "Pose mode: draw each wrong pair from the pair's own recording (same player, same "
    "room) playing another note (within --near_pitch if set), so the discriminator "
    "cannot tell a mismatch by the room (needs pitch metadata). Default: false.",
)
flags.DEFINE_float(
    "scene_weight",
    None,
    "Pose mode: weight of the scene term, which holds the player and the room when only "
    "the sound changes: each generator step also draws every pair's noise with the next "
    "pair's sound and pays the difference of the two pictures' 8x8-pixel cell means. "
    "Default: 0 (none).",
    lower_bound=0.0,
)
flags.DEFINE_string("sound_encoder", None, "A trained sound encoder (.keras) to condition on.")
flags.DEFINE_string("image_encoder", None, "A trained image classifier (.keras).")
flags.DEFINE_enum(
    "strategy",
    "auto",
    config_lib.STRATEGIES,
    "tf.distribute strategy; multi_worker reads TF_CONFIG.",
)
flags.DEFINE_bool("mixed_precision", False, "Train in mixed_float16 (GPUs).")
flags.DEFINE_bool("jit_compile", False, "XLA-compile the train step (slower on CPU).")
flags.DEFINE_integer(
    "checkpoint_every",
    200,
    "Steps between checkpoints, saved at the next epoch end (a resumed run starts there).",
    lower_bound=1,
)
flags.DEFINE_integer(
    "eval_every", 5, "Epochs between generated-accuracy evaluations.", lower_bound=1
)
flags.DEFINE_bool("ema", True, "Keep an EMA copy of the generator for sampling.")
flags.DEFINE_enum(
    "upsampling",
    None,
    list(config_lib.UPSAMPLINGS),
    "GANs: how the generator doubles a feature map: deconv (transposed convolutions, "
    "as in the paper) or resize (nearest-neighbour upsampling then a convolution, "
    "against checkerboard artefacts); default: the recipe's.",
)
flags.DEFINE_enum(
    "g_output",
    None,
    list(config_lib.G_OUTPUTS),
    "S2I GANs: how the generator draws the picture: upsample (its last upsampling makes "
    "the colours, as in the paper) or conv (a 3x3 convolution at 64x64 makes them); "
    "default: the recipe's.",
)
flags.DEFINE_integer(
    "d_extra_layers",
    None,
    "I2S GANs: the discriminator's extra 3x3 convolutions at 4x4 (the paper's 12, most of "
    "an I2S step's cost); default: the recipe's.",
    lower_bound=0,
)
flags.DEFINE_enum(
    "recipe",
    "avgan",
    config_lib.RECIPE_NAMES,
    "GANs: the training recipe. avgan: hinge loss, batch norm and projection in D, "
    "FiLM conditioning in every G block, resize-convolutions, DiffAugment, EMA with a "
    "200-step half-life, two time-scale Adam, lazy R1 (the default). paper: the paper's "
    "GAN-CLS exactly (the reproduction). The flags below override single ingredients.",
)
flags.DEFINE_enum("loss", None, config_lib.LOSSES, "GANs: bce (the paper's) or hinge.")
flags.DEFINE_enum("d_norm", None, config_lib.D_NORMS, "GANs: the discriminator's normalisation.")
flags.DEFINE_enum(
    "d_conditioning",
    None,
    config_lib.D_CONDITIONINGS,
    "GANs: concat (phi tiled over D's features, GAN-CLS) or projection (Miyato & Koyama).",
)
flags.DEFINE_enum(
    "g_conditioning",
    None,
    config_lib.G_CONDITIONINGS,
    "GANs: input (phi ++ z at G's input only) or film (in every G block's batch norm).",
)
flags.DEFINE_float(
    "ema_half_life", None, "GANs: EMA half-life in steps (0: the fixed decay 0.999)."
)
flags.DEFINE_float("r1_weight", None, "GANs: gamma of the R1 penalty on right pairs (0: none).")
flags.DEFINE_integer("r1_every", None, "GANs: apply R1 every this many D steps.")
flags.DEFINE_float("learning_rate", None, "GANs: the generator's Adam learning rate.")
flags.DEFINE_float(
    "d_learning_rate", None, "GANs: the discriminator's Adam learning rate (0: the generator's)."
)
flags.DEFINE_float("beta_1", None, "GANs: Adam's beta_1 (both optimizers).")
flags.DEFINE_float("beta_2", None, "GANs: Adam's beta_2 (both optimizers).")
flags.DEFINE_string(
    "augment",
    None,
    "GANs: DiffAugment policy for the discriminator's inputs, comma-separated from "
    "color, translation, cutout, time_translation (spectrograms: along time only); "
    "'' = none, as in the paper (default: the recipe's).",
)
flags.DEFINE_float(
    "aux_weight",
    0.0,
    "GANs: weight of an auxiliary instrument classifier on the discriminator (AC-GAN, "
    "Odena et al. 2017): D learns to name the instrument of real samples, G to make "
    "its samples named as the condition's (0 = none, as in the paper).",
    lower_bound=0.0,
)
flags.DEFINE_enum(
    "aux_target",
    None,
    config_lib.AUX_TARGETS,
    "GANs with --aux_weight: what the auxiliary classifier names: instrument (default) or "
    "pitch (the MIDI pitch of the pair's note, from the data's pitch metadata; rests do "
    "not count), for pose models.",
)


def resolve_config() -> config_lib.Config:
    """The preset's config with the command line's overrides (unset flags are None and
    keep the preset's value).

    Raises:
        ValueError: a value the config refuses (the message names the field).
    """
    config = config_lib.preset(FLAGS.preset).replace(mode=FLAGS.mode)
    if config.is_gan:  # the recipe's ingredients, then the flags that override them
        config = config.with_recipe(FLAGS.recipe)
    return config.replace(
        data=dict(root=FLAGS.data, synthetic_preset=FLAGS.synthetic_preset),
        model=dict(
            representation=FLAGS.representation,
            conv_layers=FLAGS.conv_layers,
            upsampling=FLAGS.upsampling,
            g_output=FLAGS.g_output,
            d_extra_layers=FLAGS.d_extra_layers,
        ),
        train=dict(
            epochs=FLAGS.epochs,
            batch_size=FLAGS.batch_size,
            seed=FLAGS.seed,
            learning_rate=FLAGS.learning_rate,
            d_learning_rate=FLAGS.d_learning_rate,
            beta_1=FLAGS.beta_1,
            beta_2=FLAGS.beta_2,
        ),
        gan=dict(
            loss=FLAGS.loss,
            d_norm=FLAGS.d_norm,
            d_conditioning=FLAGS.d_conditioning,
            g_conditioning=FLAGS.g_conditioning,
            ema_half_life=FLAGS.ema_half_life,
            r1_weight=FLAGS.r1_weight,
            r1_every=FLAGS.r1_every,
            variant=FLAGS.variant,
            instruments=tuple(FLAGS.instrument),
            pose_models=FLAGS.pose_models,
            condition=FLAGS.condition,
            near_pitch=FLAGS.near_pitch,
            same_recording=FLAGS.same_recording,
            scene_weight=FLAGS.scene_weight,
            sound_encoder=FLAGS.sound_encoder,
            image_encoder=FLAGS.image_encoder,
            ema=FLAGS.ema,
            augment=FLAGS.augment,
            aux_weight=FLAGS.aux_weight,
            aux_target=FLAGS.aux_target,
            checkpoint_every=FLAGS.checkpoint_every,
            eval_every=FLAGS.eval_every,
        ),
        runtime=dict(
            strategy=FLAGS.strategy,
            mixed_precision=FLAGS.mixed_precision,
            jit_compile=FLAGS.jit_compile,
        ),
    )


def data_root(config: config_lib.Config) -> str:
    """--data, or the synthetic ensemble, built on first use."""
    if config.data.root:
        if not os.path.isdir(config.data.root):
            raise app.UsageError(f"--data {config.data.root}: no such folder")
        return config.data.root
    from avgan.data.synthetic import build

    logging.info("no --data: using the synthetic ensemble %r", config.data.synthetic_preset)
    return build.ensure_built(config.data.synthetic_preset, config.data.seed)


def default_model_dir(config: config_lib.Config) -> str:
    name = config.mode
    if config.mode.endswith("sound_classifier"):
        name += f"-{config.model.representation}"
    if config.mode == "s2i":
        name += f"-{config.gan.variant}"
    return os.path.join("runs", name)


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        config = resolve_config()
    except ValueError as e:
        raise app.UsageError(_as_flag(str(e))) from e
    for flag in ("sound_encoder", "image_encoder"):  # before any work is written
        if FLAGS[flag].value and not os.path.isfile(FLAGS[flag].value):
            raise app.UsageError(f"--{flag} {FLAGS[flag].value}: no such file")
    if config.is_gan and config.runtime.strategy == "multi_worker":
        from avgan.training.strategy import make_strategy

        try:
            make_strategy("multi_worker")  # before any other TF op (collectives)
        except ValueError as e:
            raise app.UsageError(str(e)) from e
    from avgan import run_dir
    from avgan.data import layout
    from avgan.training import classifiers, gan
    from avgan.training.callbacks import NonFiniteLossError

    model_dir = FLAGS.model_dir or default_model_dir(config)
    try:
        index = layout.read_layout(data_root(config))
    except ValueError as e:  # not a data set: the message names the folder
        raise app.UsageError(f"--data {e}" if config.data.root else str(e)) from e
    print(index.report())
    try:
        if config.is_gan:
            results = gan.train_gans(config, index, model_dir)
        else:
            results = [classifiers.TRAINERS[config.mode](config, index, model_dir)]
    except (run_dir.ModelDirError, config_lib.ConfigError, NonFiniteLossError) as e:
        # One line, no traceback: the message names the step and the last good checkpoint.
        raise app.UsageError(str(e)) from e
    for metrics in results:
        print(json.dumps({k: v for k, v in metrics.items() if k != "curve"}, indent=2))
    if config.is_gan:
        print(f"model dir: {model_dir}")
    else:
        print(f"model: {os.path.join(model_dir, run_dir.ENCODER_FILE)}")


# Config field -> the flag that sets it, for error messages in the flags' terms.
_FLAG_OF_FIELD = {"gan.instruments": "instrument", "data.root": "data"}


def _as_flag(message: str) -> str:
    """'gan.aux_weight=...: ...' -> '--aux_weight (gan.aux_weight)=...: ...'."""
    field = message.split("=", 1)[0]
    if "." not in field or " " in field:
        return message
    flag = _FLAG_OF_FIELD.get(field, field.split(".", 1)[1])
    return f"--{flag} ({field}){message[len(field) :]}"


def run() -> None:
    """Console-script entry point (`avgan-train`)."""
    cli.run(main, "avgan-train")


if __name__ == "__main__":
    run()
