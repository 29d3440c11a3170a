"""Evaluate trained GANs: `python -m avgan.evaluate --model_dir DIR [--model_dir DIR ...]`.

For each GAN run dir (from `python -m avgan.train --mode=s2i|s2i_pose|i2s`; a pose
mode's parent dir expands to its per-instrument runs) writes MODEL_DIR/evaluation.json
and prints it: generated-sample accuracy on train and test conditions (paper Table 5,
I2S), Fréchet distance in the evaluation classifier's feature space, diversity over
noise draws, and for pose-oriented models the pose fidelity. See
avgan/evaluation/run.py.
"""

from __future__ import annotations

import json
import os

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_multi_string("model_dir", None, "A GAN run dir (repeatable).", required=True)
flags.DEFINE_integer("draws", 8, "Noise draws per condition for diversity.", lower_bound=2)
flags.DEFINE_integer("pose_epochs", 15, "Epochs of the pose regressor (pose mode).")


def run_dirs(paths: list[str]) -> list[str]:
    """The GAN run dirs named, a pose parent expanded to its instrument dirs."""
    out = []
    for path in paths:
        if os.path.exists(os.path.join(path, "run.json")):
            out.append(path)
            continue
        children = (
            sorted(
                os.path.join(path, d)
                for d in os.listdir(path)
                if os.path.exists(os.path.join(path, d, "run.json"))
            )
            if os.path.isdir(path)
            else []
        )
        if not children:
            raise app.UsageError(f"--model_dir {path}: no GAN run (run.json) there")
        out += children
    return out


def evaluate_dir(model_dir: str, draws: int, pose_epochs: int) -> dict:
    import keras

    from avgan.data import layout
    from avgan.data.synthetic import build
    from avgan.evaluation import run as evaluation
    from avgan.training import gan as gan_lib

    gan, config, run, paths = gan_lib.load_run(model_dir)
    root = config.data.root or build.ensure_built(config.data.synthetic_preset, config.data.seed)
    index = layout.read_layout(root, progress=False)
    evaluator = keras.models.load_model(paths["evaluator"])
    instruments = list(run.instruments) or None
    result = {
        "model_dir": model_dir,
        "mode": run.mode,
        "variant": run.variant if run.direction == "s2i" else None,
        "instruments": list(run.instruments),
        "preset": config.preset,
        "data": root,
        **evaluation.evaluate_gan(
            gan,
            evaluator,
            index,
            run.direction,
            instruments,
            "pose" if run.mode == "s2i_pose" else "instrument",
            draws=draws,
            seed=config.train.seed,
        ),
    }
    if run.mode == "s2i_pose":
        result["pose"] = evaluation.evaluate_pose(gan, index, run.instruments[0], pose_epochs)
    from avgan.data.files import write_text

    write_text(os.path.join(model_dir, "evaluation.json"), json.dumps(result, indent=2))
    return result


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    for model_dir in run_dirs(FLAGS.model_dir):
        try:
            result = evaluate_dir(model_dir, FLAGS.draws, FLAGS.pose_epochs)
        except ValueError as e:
            raise app.UsageError(str(e)) from e
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    app.run(main)
