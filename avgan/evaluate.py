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

from absl import app, flags

from avgan import cli

FLAGS = flags.FLAGS
flags.DEFINE_multi_string("model_dir", None, "A GAN run dir (repeatable).", required=True)
flags.DEFINE_integer("draws", 8, "Noise draws per condition for diversity.", lower_bound=2)
flags.DEFINE_integer("pose_epochs", 15, "Epochs of the pose regressor (pose mode).")
flags.DEFINE_integer(
    "pose_pictures",
    4096,
    "Pictures drawn fresh by the synthetic renderer to train the pose regressor on, "
    "besides the instrument's real training pictures (pose mode; 0: real ones only).",
    lower_bound=0,
)


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    from avgan import run_dir
    from avgan.evaluation import run as evaluation

    try:
        dirs = run_dir.gan_run_dirs(FLAGS.model_dir)
    except ValueError as e:
        raise app.UsageError(str(e)) from e
    for model_dir in dirs:
        try:
            result = evaluation.evaluate_dir(
                model_dir, FLAGS.draws, FLAGS.pose_epochs, FLAGS.pose_pictures
            )
        except ValueError as e:
            raise app.UsageError(str(e)) from e
        print(json.dumps(result, indent=2))


def run() -> None:
    """Console-script entry point (`avgan-evaluate`)."""
    cli.run(main, "avgan-evaluate")


if __name__ == "__main__":
    run()
