"""Train avgan's networks: `python -m avgan.train --mode=MODE [flags]`.

Modes:
  s2i                     sound-to-image GAN-CLS; --variant c (classifier encoding),
                          n (no mismatch term) or a (autoencoder encoding)
  s2i_pose                pose-oriented S2I, one model per --instrument (all in turn
                          when not given), wrong pairs from the same instrument
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

import dataclasses
import json
import os

from absl import app, flags, logging

from avgan import config as config_lib
from avgan.data import features

GAN_MODES = ("s2i", "s2i_pose", "i2s")
MODES = GAN_MODES + (
    "sound_classifier",
    "pitch_sound_classifier",
    "image_classifier",
    "sound_autoencoder",
)

FLAGS = flags.FLAGS
flags.DEFINE_enum("mode", None, MODES, "What to train.", required=True)
flags.DEFINE_string("data", None, "A Sub-URMP-layout folder (default: the synthetic ensemble).")
flags.DEFINE_string("synthetic_preset", None, "Synthetic ensemble preset when --data is not given.")
flags.DEFINE_string(
    "model_dir",
    None,
    "Where checkpoints, logs and results go (default: runs/<mode>[-<representation>]).",
)
flags.DEFINE_enum("preset", "cpu", list(config_lib.PRESETS), "Model and training preset.")
flags.DEFINE_enum(
    "representation",
    None,
    list(features.REPRESENTATIONS),
    "Sound representation for the sound classifier (default lms).",
)
flags.DEFINE_integer("conv_layers", None, "Sound classifier conv layers: 3 or 4.")
flags.DEFINE_integer("epochs", None, "Training epochs (per stack for the autoencoder).")
flags.DEFINE_integer("batch_size", None, "Batch size.")
flags.DEFINE_integer("seed", None, "Random seed.")
flags.DEFINE_enum("variant", "c", ["c", "n", "a"], "S2I variant: S2I-C, S2I-N or S2I-A.")
flags.DEFINE_list("instrument", [], "Pose mode: the instrument(s) to train, one model each.")
flags.DEFINE_string("sound_encoder", None, "A trained sound encoder (.keras) to condition on.")
flags.DEFINE_string("image_encoder", None, "A trained image classifier (.keras).")
flags.DEFINE_enum(
    "strategy",
    "auto",
    ["auto", "mirrored", "multi_worker", "one_device"],
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
    "as in the paper; the default) or resize (nearest-neighbour upsampling then a "
    "convolution, against checkerboard artefacts).",
)
flags.DEFINE_string(
    "augment",
    "",
    "GANs: DiffAugment policy for the discriminator's inputs, comma-separated from "
    "color, translation, cutout, time_translation (spectrograms: along time only) "
    "('' = none, as in the paper).",
)
flags.DEFINE_float(
    "aux_weight",
    0.0,
    "GANs: weight of an auxiliary instrument classifier on the discriminator (AC-GAN, "
    "Odena et al. 2017): D learns to name the instrument of real samples, G to make "
    "its samples named as the condition's (0 = none, as in the paper).",
    lower_bound=0.0,
)


def resolve_config() -> config_lib.Config:
    """The preset's config with the command line's overrides."""
    base = config_lib.preset(FLAGS.preset)
    return base.replace(
        model=dict(
            representation=FLAGS.representation,
            conv_layers=FLAGS.conv_layers,
            upsampling=FLAGS.upsampling,
        ),
        train=dict(epochs=FLAGS.epochs, batch_size=FLAGS.batch_size, seed=FLAGS.seed),
        data=dict(root=FLAGS.data, synthetic_preset=FLAGS.synthetic_preset),
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


def default_model_dir(mode: str, config: config_lib.Config) -> str:
    name = mode
    if mode.endswith("sound_classifier"):
        name += f"-{config.model.representation}"
    if mode == "s2i":
        name += f"-{FLAGS.variant}"
    return os.path.join("runs", name)


def train_gans(config: config_lib.Config, index, model_dir: str) -> list[dict]:
    """One GAN, or for s2i_pose one per instrument (MODEL_DIR/<instrument>)."""
    from avgan.training import gan

    run = gan.GanRun(
        mode=FLAGS.mode,
        variant=FLAGS.variant,
        sound_encoder=FLAGS.sound_encoder or "",
        image_encoder=FLAGS.image_encoder or "",
        strategy=FLAGS.strategy,
        mixed_precision=FLAGS.mixed_precision,
        jit_compile=FLAGS.jit_compile,
        checkpoint_every=FLAGS.checkpoint_every,
        eval_every=FLAGS.eval_every,
        ema=FLAGS.ema,
        augment=FLAGS.augment,
        aux_weight=FLAGS.aux_weight,
    )
    if FLAGS.mode != "s2i_pose":
        if FLAGS.instrument:
            raise app.UsageError("--instrument is for --mode=s2i_pose")
        return [gan.train_gan(config, index, model_dir, run)]
    unknown = sorted(set(FLAGS.instrument) - set(index.instruments))
    if unknown:
        raise app.UsageError(
            f"--instrument: unknown {', '.join(unknown)}; "
            f"the data has {', '.join(index.instruments)}"
        )
    results = []
    for name in FLAGS.instrument or index.instruments:
        one = dataclasses.replace(run, instruments=(name,))
        results.append(gan.train_gan(config, index, os.path.join(model_dir, name), one))
    return results


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    if FLAGS.augment:
        from avgan.training.augment import parse_policy

        try:
            parse_policy(FLAGS.augment)
        except ValueError as e:
            raise app.UsageError(f"--augment: {e}") from e
    if FLAGS.aux_weight and FLAGS.mode not in ("s2i", "i2s"):
        raise app.UsageError(
            f"--aux_weight is for --mode=s2i or i2s, not {FLAGS.mode} (a pose model has "
            "one instrument: nothing for the auxiliary classifier to tell apart)"
        )
    if FLAGS.mode in GAN_MODES and FLAGS.strategy == "multi_worker":
        from avgan.training import gan

        try:
            gan.make_strategy("multi_worker")  # before any other TF op (collectives)
        except ValueError as e:
            raise app.UsageError(str(e)) from e
    config = resolve_config()
    if config.model.conv_layers not in (3, 4):
        raise app.UsageError(f"--conv_layers must be 3 or 4, got {config.model.conv_layers}")
    from avgan.data import layout
    from avgan.training import classifiers

    model_dir = FLAGS.model_dir or default_model_dir(FLAGS.mode, config)
    index = layout.read_layout(data_root(config))
    print(index.report())
    if FLAGS.mode in GAN_MODES:
        try:
            results = train_gans(config, index, model_dir)
        except classifiers.ModelDirError as e:
            raise app.UsageError(str(e)) from e
        for metrics in results:
            print(json.dumps({k: v for k, v in metrics.items() if k != "curve"}, indent=2))
        print(f"model dir: {model_dir}")
        return
    trainer = {
        "sound_classifier": classifiers.train_sound_classifier,
        "pitch_sound_classifier": lambda *a: classifiers.train_sound_classifier(*a, pitch=True),
        "image_classifier": classifiers.train_image_classifier,
        "sound_autoencoder": classifiers.train_sound_autoencoder,
    }[FLAGS.mode]
    try:
        metrics = trainer(config, index, model_dir)
    except classifiers.ModelDirError as e:
        raise app.UsageError(str(e)) from e
    print(json.dumps(metrics, indent=2))
    print(f"model: {os.path.join(model_dir, classifiers.ENCODER_FILE)}")


def run() -> None:
    """Console-script entry point (`avgan-train`)."""
    app.run(main)


if __name__ == "__main__":
    run()
