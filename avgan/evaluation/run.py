"""Evaluate a trained GAN run: the paper's accuracy (Table 5, I2S), and the metrics it lacked.

For a GAN run's model dir (`avgan.run_dir`), restored without the trainer:
- accuracy of generated samples under the evaluation classifier, on train and test
  conditions (S2I: the image classifier on generated pictures; I2S: the log-mel sound
  classifier on generated spectrograms resized 128x34 -> 128x44, as the paper does);
- Fréchet distance between real and generated samples in that classifier's 128-d
  feature space (test conditions);
- diversity: mean pairwise distance of generated samples over noise draws, per
  condition (0 means the generator ignores its noise);
- roughness: mean absolute difference between neighbouring pixels of the generated
  test samples, beside the real ones' (per-pixel noise and checkerboards);
- pose-oriented S2I: pose fidelity, the correlation between the pose a regressor
  (trained on real training pictures) reads from generated pictures and the
  ground-truth pose of the conditioning sound; and the regressor's own correlation
  on real test pictures, the ceiling; and the paper's Fig. 10 as a measurement: a rising
  scale rendered by FluidSynth under one noise draw, the pose read off each picture
  against the pose of its note (`avgan.evaluation.scale`; MODEL_DIR/scale.png).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from avgan import run_dir
from avgan.data import pipeline
from avgan.data.layout import PairIndex
from avgan.evaluation import diversity, flatness, frechet, pose, roughness, scale
from avgan.evaluation.accuracy import generated_accuracy
from avgan.models.i2s import spectrogram_target, to_log_mel_44


def _features(evaluator, direction: str, samples: tf.Tensor) -> np.ndarray:
    """Evaluator's 128-d encoding of pictures (S2I) or 128x34 spectrograms (I2S)."""
    if direction == "s2i":
        return evaluator.encode(samples, training=False).numpy().astype(np.float64)
    encoded = evaluator.encode_representation(to_log_mel_44(samples))
    return encoded.numpy().astype(np.float64)


def evaluate_gan(
    gan,
    evaluator,
    index: PairIndex,
    direction: str,
    instruments=None,
    wrong_pairs: str = "instrument",
    batch_size: int = 64,
    diversity_conditions: int = 32,
    draws: int = 8,
    seed: int = 0,
    progress: Callable[[str], None] = lambda stage: None,
) -> dict:
    """Metrics of a GAN on `index` (see the module docstring).

    `progress` is called with each stage's name as it starts (they take from seconds to
    minutes on a CPU).

    Returns:
        {"accuracy": {"train", "test", and with an EMA generator "test_without_ema"},
         "frechet_distance", "frechet_distance_real_split",
         "diversity", "diversity_real", "roughness", "roughness_real", and for I2S
         "spectral_flatness", "spectral_flatness_real"}; the real figures are
        references: the distance between the train and test real samples, the pairwise
        distance among real samples, the real test samples' roughness and flatness.
    """
    datasets = {
        split: pipeline.paired_dataset(
            index,
            split,
            batch_size,
            wrong_pairs=wrong_pairs,
            instruments=instruments,
            shuffle=False,
            drop_remainder=False,
        )
        for split in ("train", "validation")
    }
    accuracy = {}
    for name, split in (("train", "train"), ("test", "validation")):
        progress(f"accuracy: generating for the {name} conditions")
        accuracy[name] = generated_accuracy(gan, evaluator, datasets[split], direction, 10**6)
    if getattr(gan, "ema_generator", None) is not None:
        # Whether the EMA copy helps: the same accuracy from the trained generator.
        progress("accuracy: generating for the test conditions with the trained generator")
        accuracy["test_without_ema"] = generated_accuracy(
            gan, evaluator, datasets["validation"], direction, 10**6, use_ema=False
        )
    progress("Fréchet distance and roughness: features of real and generated samples")
    real, fake, real_train, rough = _features_and_roughness(gan, evaluator, datasets, direction)
    progress(f"diversity: {draws} noise draws for each of {diversity_conditions} test conditions")
    conditions = next(iter(datasets["validation"].unbatch().batch(diversity_conditions)))
    condition = conditions["sound"] if direction == "s2i" else conditions["image"]

    def generate(batch, draw_seed):
        z = tf.random.stateless_normal([len(batch), gan.z_dim], [seed, draw_seed])
        return gan.generate(batch, z=z)

    spread = diversity.diversity_per_condition(generate, condition, draws=draws, seed=seed)
    if direction == "s2i":
        real_samples = conditions["image"].numpy()
    else:
        real_samples = spectrogram_target(conditions["sound"]).numpy()
    result = {
        "accuracy": accuracy,
        "frechet_distance": frechet.frechet_distance(real, fake),
        "frechet_distance_real_split": frechet.frechet_distance(real, real_train),
        "diversity": spread,
        "diversity_real": diversity.pairwise_diversity(real_samples),
        # Every sample has as many neighbour pairs, so batches weigh by their size.
        "roughness": float(np.average(rough["generated"], weights=rough["count"])),
        "roughness_real": float(np.average(rough["real"], weights=rough["count"])),
        "test_conditions": int(len(real)),
    }
    if direction == "i2s":
        for key, name in (
            ("spectral_flatness", "flat_generated"),
            ("spectral_flatness_real", "flat_real"),
        ):
            result[key] = float(np.average(rough[name], weights=rough["count"]))
    return result


def _features_and_roughness(gan, evaluator, datasets: dict, direction: str) -> tuple:
    """The evaluator's features of the real test samples, of the samples generated for
    their conditions and of the real train samples ([n, 128] float64 each), and the
    roughness of the real and generated test samples per batch, with batch sizes (and
    for I2S their spectral flatness)."""
    real, fake, real_train = [], [], []
    rough = {"real": [], "generated": [], "count": [], "flat_real": [], "flat_generated": []}
    for split, out in (("validation", (real, fake)), ("train", (real_train, None))):
        for batch in datasets[split]:
            condition = batch["sound"] if direction == "s2i" else batch["image"]
            target = batch["image"] if direction == "s2i" else spectrogram_target(batch["sound"])
            out[0].append(_features(evaluator, direction, target))
            if out[1] is not None:
                generated = gan.generate(condition)
                out[1].append(_features(evaluator, direction, generated))
                rough["real"].append(roughness.roughness(target.numpy()))
                rough["generated"].append(roughness.roughness(generated.numpy()))
                rough["count"].append(len(generated))
                if direction == "i2s":  # harmonic lines, or a noise texture?
                    for name, sample in (("flat_real", target), ("flat_generated", generated)):
                        rough[name].append(flatness.log_mel_flatness(to_log_mel_44(sample)))
    real, fake, real_train = (np.concatenate(x) for x in (real, fake, real_train))
    return real, fake, real_train, rough


def evaluate_pose(
    gan,
    index: PairIndex,
    instrument: str,
    epochs: int = 15,
    seed: int = 0,
    drawn: int = 4096,
    scale_picture: str | None = None,
) -> dict:
    """Pose fidelity of a pose-oriented S2I model of `instrument` (synthetic ensemble).

    The regressor learns from the instrument's real training pictures and `drawn`
    fresh pictures from the synthetic renderer (`pose.drawn_pictures`); its ceiling
    is measured on the real held-out pictures. With `scale_picture`, the same regressor
    reads the pictures of a rising scale (`scale.follow_scale`, under 'scale'), which
    are written there as one row, low notes left; without FluidSynth, 'scale' says why
    it is missing. 'scale' also has 'real_spread', `scale.recording_spread` of the
    held-out pictures, the reference for its 'spread'.
    """
    train = [p for p in index.split("train") if p.instrument == instrument]
    test = [p for p in index.split("validation") if p.instrument == instrument]
    if any(p.pose is None for p in train + test):
        raise ValueError(f"{index.root}: no pose metadata for {instrument}")
    extra = pose.drawn_pictures(instrument, drawn, seed=seed) if drawn else None
    regressor = pose.train_pose_regressor(
        train, epochs=epochs, batch_size=32, seed=seed, extra=extra
    )
    sounds = tf.stack([pipeline.load_sound(p.sound) for p in test])
    generated = np.concatenate(
        [gan.generate(sounds[i : i + 64]).numpy() for i in range(0, len(test), 64)]
    )
    truth = pose.pose_targets(test)
    real = pose.load_pictures(test)
    result = {
        "regressor_pictures": {"real": len(train), "drawn": drawn},
        "fidelity": pose.pose_fidelity(regressor, generated, truth),
        "regressor_on_real": pose.regressor_accuracy(regressor, real, truth),
    }
    if scale_picture:
        result["scale"] = _scale(gan, regressor, instrument, seed, scale_picture)
        if "spread" in result["scale"]:  # beside one real player in one room
            recordings = [p.recording for p in test]
            result["scale"]["real_spread"] = scale.recording_spread(real, recordings)
    return result


def _scale(gan, regressor, instrument: str, seed: int, picture: str) -> dict:
    """`scale.follow_scale` for the pose model `gan`, its pictures written to `picture`."""
    from PIL import Image

    from avgan.data.files import atomic_path
    from avgan.data.pictures import image_grid

    try:
        pictures, result = scale.follow_scale(
            lambda sounds, z: gan.generate(tf.constant(sounds), z).numpy(),
            regressor,
            instrument,
            gan.z_dim,
            seed=seed,
        )
    except FileNotFoundError as e:  # no FluidSynth or soundfont here
        return {"missing": str(e)}
    with atomic_path(picture) as tmp:
        Image.fromarray(image_grid(pictures, len(pictures))).save(tmp, "PNG")
    return result


def evaluate_dir(
    model_dir: str,
    draws: int,
    pose_epochs: int,
    pose_pictures: int = 4096,
    progress: Callable[[str], None] = lambda stage: None,
) -> dict:
    """Evaluates the GAN run in MODEL_DIR on the data it trained on; writes and returns
    MODEL_DIR/evaluation.json. `progress` is called with each stage as it starts.

    Raises:
        run_dir.ModelDirError: not a finished GAN run (no checkpoint, no encoder).
    """
    import keras

    from avgan.data import layout
    from avgan.data.synthetic import build

    restored = run_dir.restore(model_dir)
    config, gan = restored.config, restored.sampler
    which = "the EMA generator" if restored.uses_ema else "the trained generator (no EMA)"
    progress(f"{config.mode}: {which} of {restored.checkpoint}")
    root = config.data.root or build.ensure_built(config.data.synthetic_preset, config.data.seed)
    progress(f"reading the data set {root}")
    index = layout.read_layout(root, progress=False)
    evaluator = keras.models.load_model(run_dir.locate_encoder(model_dir, config, "evaluator"))
    instruments = list(config.gan.instruments) or None
    result = {
        "model_dir": model_dir,
        "mode": config.mode,
        "variant": config.gan.variant if config.direction == "s2i" else None,
        "instruments": list(config.gan.instruments),
        "preset": config.preset,
        "data": root,
        **evaluate_gan(
            gan,
            evaluator,
            index,
            config.direction,
            instruments,
            "pose" if config.mode == "s2i_pose" else "instrument",
            draws=draws,
            seed=config.train.seed,
            progress=progress,
        ),
    }
    if config.mode == "s2i_pose":
        # Each instrument by its own regressor; a shared model (several instruments)
        # keeps them by name, and its scale pictures apart.
        shared = config.gan.pose_models == "shared"
        poses = {}
        for name in config.gan.instruments or index.instruments:
            progress(f"pose fidelity, {name}: training the pose regressor ({pose_epochs} epochs)")
            picture = run_dir.scale_file(name) if shared else run_dir.SCALE_FILE
            poses[name] = evaluate_pose(
                gan,
                index,
                name,
                pose_epochs,
                drawn=pose_pictures,
                scale_picture=run_dir.path(model_dir, picture),
            )
        if shared:
            result["pose_by_instrument"] = poses
        else:
            (result["pose"],) = poses.values()
    run_dir.write_json(run_dir.path(model_dir, run_dir.EVALUATION_FILE), result)
    return result
