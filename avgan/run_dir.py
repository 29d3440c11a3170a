"""A model directory: what a run writes there, in one place.

Every run (`avgan.train`) trains into its own model dir, which this module owns:

    config.json      the resolved `avgan.config.Config` (dirs written before it
                     existed hold run.json too; `read_config` folds it in)
    avgan_mode.json  which run owns the dir (mode and what must not change on a rerun)
    checkpoints/     GAN runs: tf.train.CheckpointManager, keys `checkpoint_objects`
    progress.json    GAN runs: the Fig. 9 curve and seconds up to the newest checkpoint
    metrics.json     a finished run's results (GAN runs: also the encoders it used)
    evaluation.json  GAN runs: written by `avgan.evaluate`
    encoders/        GAN runs: encoders trained for it (sound_classifier/, ...)
    encoder.keras    encoder runs: the trained model

It claims a dir for a run (refusing another run's), writes and reads the config,
defines the checkpoint layout that the trainer, evaluation, export and the tests
share, locates the encoders a GAN run used, and restores a run's generators alone
(`restore`), which is all that evaluation, generation and export need.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil

from avgan.config import CLASSIFIER_MODES, GAN_MODES, Config, GanConfig, ModelConfig
from avgan.data.files import write_text

CONFIG_FILE = "config.json"
MODE_FILE = "avgan_mode.json"
LEGACY_RUN_FILE = "run.json"  # GAN runs' settings before config.json held them
CHECKPOINT_DIR = "checkpoints"
PROGRESS_FILE = "progress.json"
METRICS_FILE = "metrics.json"
EVALUATION_FILE = "evaluation.json"
SAMPLES_FILE = "samples_test.png"
SCALE_FILE = "scale.png"  # pose runs: pictures of a rising scale (evaluate)
ENCODERS_DIR = "encoders"
ENCODER_FILE = "encoder.keras"
MAX_CHECKPOINTS = 3

# run.json's fields, by the config section they now live in.
_LEGACY_SECTIONS = {
    "gan": (
        "variant",
        "instruments",
        "sound_encoder",
        "image_encoder",
        "ema",
        "augment",
        "aux_weight",
        "checkpoint_every",
        "eval_every",
        "audio_summaries",
    ),
    "runtime": ("strategy", "mixed_precision", "jit_compile"),
}


class ModelDirError(ValueError):
    """A model dir that belongs to another run, or is not the run asked for."""


def path(model_dir: str, name: str) -> str:
    return os.path.join(model_dir, name)


def read_json(file: str) -> dict:
    """The JSON object in `file`; ModelDirError naming the file when it is missing."""
    try:
        with open(file) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ModelDirError(f"{file} not found: is this a model directory of a run?") from None


def write_json(file: str, value) -> None:
    """Writes `value` as indented JSON, atomically."""
    write_text(file, json.dumps(value, indent=2))


def scale_file(instrument: str) -> str:
    """A shared pose model's SCALE_FILE for one of its instruments."""
    root, ext = os.path.splitext(SCALE_FILE)
    return f"{root}_{instrument}{ext}"


def pose_results(evaluation: dict) -> dict[str, dict]:
    """instrument -> the pose evaluation (fidelity, regressor_on_real, scale) of a pose
    run's evaluation.json: one instrument for a model per instrument, each of a shared
    model's; {} for other runs."""
    if "pose_by_instrument" in evaluation:
        return evaluation["pose_by_instrument"]
    if "pose" in evaluation:
        return {evaluation["instruments"][0]: evaluation["pose"]}
    return {}


# Claiming --------------------------------------------------------------------------


def claim(model_dir: str, mode: str, **details) -> None:
    """Marks `model_dir` as `mode`'s, or refuses a directory another run owns.

    `details` are what must not change when the run is continued (a representation, a
    variant, an augmentation, ...): a rerun with other details is another run.

    Raises:
        ModelDirError: naming the directory, what it holds and what this run is.
    """
    os.makedirs(model_dir, exist_ok=True)
    file = path(model_dir, MODE_FILE)
    wanted = {"mode": mode, **details}
    if os.path.exists(file):
        with open(file) as f:
            found = json.load(f)
        if found != wanted:
            held = ", ".join(f"{k}={v}" for k, v in found.items())
            raise ModelDirError(
                f"--model_dir {model_dir} holds a checkpoint of another run ({held}); "
                f"this run is {', '.join(f'{k}={v}' for k, v in wanted.items())}. "
                "Use another --model_dir."
            )
        return
    write_json(file, wanted)


def gan_identity(config: Config) -> dict[str, str]:
    """What a GAN run may not change when it is continued, for `claim` (beside its
    mode). A setting appears only when it differs from the paper's, so dirs claimed
    before the setting existed keep their identity."""
    details = {"variant": config.gan.variant} if config.direction == "s2i" else {}
    if config.gan.instruments:
        details["instruments"] = ",".join(config.gan.instruments)
    if config.gan.pose_models != GanConfig.pose_models:
        details["pose_models"] = config.gan.pose_models
    if config.gan.condition != GanConfig.condition:  # nor on another condition
        details["condition"] = config.gan.condition
    if config.gan.near_pitch:  # nor with other wrong pairs
        details["near_pitch"] = str(config.gan.near_pitch)
    if config.gan.same_recording:
        details["same_recording"] = "true"
    if config.gan.scene_weight:  # nor with another generator loss
        details["scene_weight"] = f"{config.gan.scene_weight:g}"
    if config.gan.augment:  # a run is not continued under another augmentation
        details["augment"] = ",".join(config.gan.augment_policy)
    if config.model.upsampling != "deconv":  # nor with other generator layers
        details["upsampling"] = config.model.upsampling
    if config.model.g_output != "upsample":
        details["g_output"] = config.model.g_output
    if config.model.d_extra_layers != ModelConfig.d_extra_layers:
        details["d_extra_layers"] = str(config.model.d_extra_layers)
    if config.gan.aux_weight:  # nor with another loss
        details["aux_weight"] = f"{config.gan.aux_weight:g}"
        if config.gan.aux_target != GanConfig.aux_target:
            details["aux_target"] = config.gan.aux_target
    # Nor under another recipe, or with another network or loss ingredient.
    paper = GanConfig()
    for name in ("recipe", "loss", "d_norm", "d_conditioning", "g_conditioning", "r1_weight"):
        value = getattr(config.gan, name)
        if value != getattr(paper, name):
            details[name] = f"{value:g}" if isinstance(value, float) else value
    return details


# The configuration ---------------------------------------------------------------------


def save_config(model_dir: str, config: Config) -> str:
    """Writes the resolved config to MODEL_DIR/config.json (atomically); returns the path."""
    file = path(model_dir, CONFIG_FILE)
    write_text(file, config.to_json())
    return file


def read_config(model_dir: str) -> Config:
    """The Config a run was made with, from its config.json.

    A GAN dir written before config.json held everything keeps its GAN settings in
    run.json: they are folded into the `gan` and `runtime` sections and its mode.

    Raises:
        ModelDirError: no config.json, or one (or a run.json) this version cannot read.
    """
    values = read_json(path(model_dir, CONFIG_FILE))
    legacy = path(model_dir, LEGACY_RUN_FILE)
    if "mode" not in values and os.path.exists(legacy):
        run = read_json(legacy)
        values = {**values, "mode": run.get("mode", "s2i")}
        for section, fields in _LEGACY_SECTIONS.items():
            values[section] = {k: run[k] for k in fields if k in run}
    try:
        return Config.from_dict(values)
    except (TypeError, ValueError) as e:
        raise ModelDirError(f"{path(model_dir, CONFIG_FILE)}: {e}") from None


def is_gan_run(model_dir: str) -> bool:
    """Whether `model_dir` holds a GAN run's settings (config.json of a GAN mode, or a
    run.json from before)."""
    if os.path.exists(path(model_dir, LEGACY_RUN_FILE)):
        return True
    file = path(model_dir, CONFIG_FILE)
    if not os.path.exists(file):
        return False
    with open(file) as f:
        return json.load(f).get("mode") in GAN_MODES


def describe_mode(mode: str) -> str:
    """A run of `mode`, for a message that it is not a GAN: 'an encoder run (mode
    'image_classifier')', or 'a run of mode ...'."""
    if mode in CLASSIFIER_MODES:
        return f"an encoder run (mode {mode!r})"
    return f"a run of mode {mode!r}"


def _not_a_gan_run(model_dir: str) -> str:
    """Why `model_dir` is not a GAN run, for a message: what its config.json says it
    is, else that it holds none."""
    try:
        with open(path(model_dir, CONFIG_FILE)) as f:
            mode = json.load(f).get("mode")
    except (OSError, ValueError, AttributeError):
        mode = None
    if isinstance(mode, str) and mode:
        return f"{describe_mode(mode)}, not a GAN run ({', '.join(GAN_MODES)})"
    return "no GAN run (config.json) there"


def gan_run_dirs(paths: list[str]) -> list[str]:
    """The GAN run dirs named, a pose parent (one run per instrument) expanded to its
    instrument dirs.

    Raises:
        ModelDirError: a path holds no GAN run, nor folders that do.
    """
    out = []
    for model_dir in paths:
        if is_gan_run(model_dir):
            out.append(model_dir)
            continue
        children = (
            sorted(
                path(model_dir, d) for d in os.listdir(model_dir) if is_gan_run(path(model_dir, d))
            )
            if os.path.isdir(model_dir)
            else []
        )
        if not children:
            raise ModelDirError(f"--model_dir {model_dir}: {_not_a_gan_run(model_dir)}")
        out += children
    return out


# Checkpoints -----------------------------------------------------------------------------


def checkpoint_objects(gan) -> dict:
    """The checkpoint layout of a GAN run: key -> trackable, for `tf.train.Checkpoint`.

    `gan` is a `avgan.training.gan_cls.GanCls` (or anything with its attributes). The
    noise and augmentation seed states are in it, so a resumed run draws the noise it
    would have drawn; the frozen encoder is not (it is loaded from its file).
    """
    objects = {
        "generator": gan.generator,
        "discriminator": gan.discriminator,
        "d_optimizer": gan.d_optimizer,
        "g_optimizer": gan.g_optimizer,
        "noise_seed": gan.seed_generator.state.value,  # the training noise resumes too
        "augment_seed": gan.augment_seed_generator.state.value,  # and the augmentation
    }
    if gan.ema_generator is not None:
        objects["ema_generator"] = gan.ema_generator
    return objects


def checkpoint_manager(model_dir: str, objects: dict):
    """A CheckpointManager over MODEL_DIR/checkpoints for `objects` (`checkpoint_objects`)."""
    import tensorflow as tf

    checkpoint = tf.train.Checkpoint(**objects)
    return tf.train.CheckpointManager(
        checkpoint, path(model_dir, CHECKPOINT_DIR), max_to_keep=MAX_CHECKPOINTS
    )


def latest_checkpoint(model_dir: str) -> str:
    """The newest checkpoint's prefix; ModelDirError when there is none."""
    import tensorflow as tf

    folder = path(model_dir, CHECKPOINT_DIR)
    checkpoint = tf.train.latest_checkpoint(folder)
    if not checkpoint:
        raise ModelDirError(f"no checkpoint in {folder}")
    return checkpoint


def checkpoint_step(prefix: str) -> int:
    """'.../checkpoints/ckpt-12' -> 12."""
    return int(prefix.rsplit("-", 1)[1])


# tf.train.Checkpoint writes a save's shards into '<prefix>_temp/' and merges them into
# the prefix's files; a kill during the write leaves the folder behind.
_PARTIAL_CHECKPOINT = re.compile(r"ckpt-\d+_temp")


def remove_partial_checkpoints(model_dir: str) -> None:
    """Deletes the 'ckpt-N_temp' folders of interrupted saves from MODEL_DIR/checkpoints
    (those names only). Called as a run starts, before it saves anything; a save that
    reuses the step would clear its folder itself, but a rerun with another
    --checkpoint_every or fewer epochs may never save that step again."""
    folder = path(model_dir, CHECKPOINT_DIR)
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        if _PARTIAL_CHECKPOINT.fullmatch(name) and os.path.isdir(os.path.join(folder, name)):
            shutil.rmtree(os.path.join(folder, name))


# Encoders -----------------------------------------------------------------------------


def encoder_kinds(config: Config) -> dict[str, str]:
    """The encoder modes a GAN run needs: {"condition": ..., "evaluator": ...}.

    S2I conditions on the sound classifier (S2I-A: the sound autoencoder; pose models:
    the pitch-aware classifier, whose encoding carries where the hand stops the string at
    r 0.98 against the instrument classifier's 0.70, `avgan-probe` on `full`) and is
    judged by the image classifier; I2S the other way round.
    """
    if config.direction == "i2s":
        return {"condition": "image_classifier", "evaluator": "sound_classifier"}
    condition = "sound_autoencoder" if config.gan.variant == "a" else "sound_classifier"
    if config.mode == "s2i_pose":
        condition = "pitch_sound_classifier"
    return {"condition": condition, "evaluator": "image_classifier"}


def given_encoder(config: Config, kind: str) -> str:
    """The encoder file the config names for encoder mode `kind`, '' when none.

    --sound_encoder names the sound classifier (pose models: the pitch-aware one),
    except under variant 'a', where it names the sound autoencoder (S2I-A's condition).
    """
    if kind == "image_classifier":
        return config.gan.image_encoder
    if kind == "sound_classifier" and config.gan.variant == "a":
        return ""
    return config.gan.sound_encoder


def trained_encoder_dir(model_dir: str, kind: str) -> str:
    """Where a GAN run trains an encoder it was not given: MODEL_DIR/encoders/<kind>."""
    return path(path(model_dir, ENCODERS_DIR), kind)


def encoder_file(location: str) -> str:
    """An encoder's .keras file from a path to it or to the dir that holds it."""
    if os.path.isdir(location):
        return path(location, ENCODER_FILE)
    return location


def locate_encoder(model_dir: str, config: Config, role: str) -> str:
    """The encoder a finished GAN run used as `role` ('condition' or 'evaluator'):
    the path metrics.json recorded, else the one the config names, else the one the
    run trained into MODEL_DIR/encoders/. A relative path is tried as given, against
    MODEL_DIR, then against each folder above MODEL_DIR: training records paths
    relative to the folder it ran in (`runs/quickstart/sound_classifier/encoder.keras`),
    which is usually one of those, so the run is found from any working directory.

    Raises:
        ModelDirError: none of them exists (the message lists what was tried).
    """
    kind = encoder_kinds(config)[role]
    candidates = []
    metrics = path(model_dir, METRICS_FILE)
    if os.path.exists(metrics):
        candidates.append(read_json(metrics).get("encoders", {}).get(role, ""))
    candidates += [given_encoder(config, kind), trained_encoder_dir(model_dir, kind)]
    tried = []  # in order, each path once (a path can be named twice, or be absolute)
    for candidate in filter(None, candidates):
        for option in [candidate, path(model_dir, candidate)] + _above(model_dir, candidate):
            option = encoder_file(option)
            if option in tried:
                continue
            if os.path.isfile(option):
                return option
            tried.append(option)
    raise ModelDirError(
        f"no {role} encoder for {model_dir}; tried: {', '.join(tried[:4])}"
        + (f" and {len(tried) - 4} more (the same paths against each folder above it)"
           if len(tried) > 4 else "")
    )  # fmt: skip


def _above(model_dir: str, candidate: str) -> list[str]:
    """`candidate` joined to each folder above MODEL_DIR (absolute), nearest first; []
    for an absolute candidate."""
    if os.path.isabs(candidate):
        return []
    folders, folder = [], os.path.dirname(os.path.abspath(model_dir))
    while True:
        folders.append(os.path.join(folder, candidate))
        parent = os.path.dirname(folder)
        if parent == folder:
            return folders
        folder = parent


# Restoring -----------------------------------------------------------------------------


@dataclasses.dataclass
class RestoredRun:
    """A trained GAN run rebuilt for inference.

    Attributes:
        sampler: `avgan.models.sampler.Sampler`: the condition encoder and the
            generators, restored from `checkpoint`.
        config: the run's Config.
        model_dir: where it was read from.
        checkpoint: the checkpoint the generators came from.
        encoder_path: the condition encoder's file.
    """

    sampler: object
    config: Config
    model_dir: str
    checkpoint: str
    encoder_path: str

    @property
    def uses_ema(self) -> bool:
        return self.sampler.ema_generator is not None


def load_condition_encoder(config: Config, path: str):
    """A GAN run's frozen condition encoder from its .keras file: as saved, or with
    `gan.condition` 'pitch_posterior' seen through its pitch head (`PitchPosterior`).

    Raises:
        ValueError: 'pitch_posterior' and the encoder has no pitch head (names the file).
    """
    import keras

    import avgan.models.autoencoder  # noqa: F401  (registers the encoder classes
    from avgan.models import encoders  # for keras.models.load_model)

    encoder = keras.models.load_model(path)
    if config.gan.condition != "pitch_posterior":
        return encoder
    try:
        return encoders.PitchPosterior(encoder)
    except ValueError as e:
        raise ValueError(f"gan.condition='pitch_posterior': {path}: {e}") from None


def restore(model_dir: str) -> RestoredRun:
    """Rebuilds a GAN run's encoder and generators and restores the newest checkpoint's
    generators alone (no discriminator, no optimizer: a run trained with an
    auxiliary head restores as well).

    Raises:
        ModelDirError: not a GAN run, no encoder, no checkpoint, or a checkpoint that
            does not match the run's generator, or a condition its encoder cannot give.
    """
    from avgan.models.sampler import Sampler

    config = read_config(model_dir)
    if not config.is_gan:
        raise ModelDirError(
            f"{model_dir} is {describe_mode(config.mode)}, not a GAN run ({', '.join(GAN_MODES)})"
        )
    checkpoint = latest_checkpoint(model_dir)
    encoder = locate_encoder(model_dir, config, "condition")
    try:
        frozen = load_condition_encoder(config, encoder)
    except ValueError as e:
        raise ModelDirError(f"{model_dir}: {e}") from None
    sampler = Sampler.from_config(config, frozen)
    try:
        sampler.restore_generators(checkpoint)
    except AssertionError as e:
        raise ModelDirError(f"{checkpoint} does not match the run's networks: {e}") from None
    return RestoredRun(sampler, config, model_dir, checkpoint, encoder)
