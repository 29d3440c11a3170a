"""Evaluate trained GANs: `python -m avgan.evaluate --model_dir DIR [--model_dir DIR ...]`.

For each GAN run dir (from `python -m avgan.train --mode=s2i|s2i_pose|i2s`; a pose
mode's parent dir expands to its per-instrument runs) it restores the generator of the
newest checkpoint, measures it on the data set the run trained on, writes every figure
to MODEL_DIR/evaluation.json and says so. Progress goes to stderr, a line per stage (a
run takes a few minutes on 2 CPU cores). Then a table, one row per run:

  acc train, acc test  share of the samples generated for the train / test (held-out)
                       conditions that the evaluation classifier assigns to the
                       condition's instrument (paper Table 5, and I2S); one noise draw
                       per condition; the EMA generator's when the run keeps one
  test non-EMA         acc test of the trained generator itself, the weights the
                       optimizer moved (-: the run keeps no EMA copy)
  Fréchet (real)       Fréchet distance between real and generated test samples in the
                       classifier's 128-d feature space, lower is better; in brackets
                       the distance between the real train and test samples
  diversity (real)     mean pairwise distance among --draws samples of one condition
                       (0: the generator ignores its noise); in brackets, among real
                       samples
  roughness (real)     mean absolute difference between neighbouring pixels of the
                       generated test samples (per-pixel noise); in brackets, the real
                       ones'
  flatness (real)      I2S: spectral flatness of the generated spectrograms (a note's
                       harmonic lines are low, noise near 1); in brackets, the real ones'
  pose r (ceiling)     pose runs: pose fidelity, the mean correlation between the pose
                       read from generated pictures and the sound's true pose; in
                       brackets, the pose regressor's own on real test pictures; a
                       shared pose model (--pose_models=shared) has one per instrument

Why acc test differs from the accuracy training logged (metrics.json, TensorBoard): a
generated sample depends on its noise z, and evaluate draws other noise than training
did (the TensorBoard curve is also an earlier step, and at most 8 batches per split).
With one draw for each of a few hundred test conditions, the figure moves by about 2
points from one set of draws to another (binomial standard error sqrt(p(1-p)/n)).

Why test non-EMA can be higher than acc test: the EMA generator averages the trained
generator's weights over its recent steps (a half-life of 200 steps in the avgan recipe,
about 690 in the paper's, decay 0.999). That
smooths the step-to-step swings of GAN training, but lags behind: while the generator
still improves quickly, as in short runs, the average stands for an earlier, weaker
generator. See docs/evaluation.md and avgan/evaluation/run.py.
"""

from __future__ import annotations

import sys
import time

from absl import app, flags

from avgan import cli, run_dir

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
    from avgan.evaluation import run as evaluation

    try:
        dirs = run_dir.gan_run_dirs(FLAGS.model_dir)
    except ValueError as e:
        raise app.UsageError(str(e)) from e
    results = []
    for i, model_dir in enumerate(dirs, 1):
        say(f"evaluating {model_dir} ({i}/{len(dirs)})")
        start = time.perf_counter()

        def progress(stage: str, start: float = start) -> None:
            say(f"  [{time.perf_counter() - start:4.0f} s] {stage}")

        try:
            results.append(
                evaluation.evaluate_dir(
                    model_dir, FLAGS.draws, FLAGS.pose_epochs, FLAGS.pose_pictures, progress
                )
            )
        except ValueError as e:
            raise app.UsageError(str(e)) from e
        path = run_dir.path(model_dir, run_dir.EVALUATION_FILE)
        say(f"  wrote {path} ({time.perf_counter() - start:.0f} s)")
    print(table(results))
    print("columns, and why acc test differs from training's: `--help`, docs/evaluation.md")


def say(line: str) -> None:
    """A progress line, on stderr (stdout carries the table)."""
    print(line, file=sys.stderr, flush=True)


def table(results: list[dict]) -> str:
    """The results as a text table, one row per run (columns: the module docstring)."""

    def percent(value) -> str:
        return "-" if value is None else f"{100 * value:.1f}%"

    def pair(result: dict, key: str, digits: int) -> str:
        if result.get(key) is None:
            return "-"
        return f"{result[key]:.{digits}f} ({result[key + '_real']:.{digits}f})"

    columns = {
        "run": lambda r: r["model_dir"],
        "acc train": lambda r: percent(r["accuracy"]["train"]),
        "acc test": lambda r: percent(r["accuracy"]["test"]),
        "test non-EMA": lambda r: percent(r["accuracy"].get("test_without_ema")),
        "Fréchet (real)": lambda r: pair(
            {**r, "frechet_distance_real": r["frechet_distance_real_split"]},
            "frechet_distance",
            1,
        ),
        "diversity (real)": lambda r: pair(r, "diversity", 1),
        "roughness (real)": lambda r: pair(r, "roughness", 3),
    }
    if any("spectral_flatness" in r for r in results):
        columns["flatness (real)"] = lambda r: pair(r, "spectral_flatness", 3)
    if any(run_dir.pose_results(r) for r in results):
        columns["pose r (ceiling)"] = lambda r: (
            ", ".join(
                (f"{name} " if len(poses) > 1 else "")
                + f"{p['fidelity']['mean']:.2f} ({p['regressor_on_real']['mean']:.2f})"
                for name, p in poses.items()
            )
            if (poses := run_dir.pose_results(r))
            else "-"
        )
    rows = [list(columns)] + [[cell(r) for cell in columns.values()] for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    lines = [
        "  ".join(
            text.ljust(width) if i == 0 else text.rjust(width)
            for i, (text, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def run() -> None:
    """Console-script entry point (`avgan-evaluate`)."""
    cli.run(main, "avgan-evaluate")


if __name__ == "__main__":
    run()
