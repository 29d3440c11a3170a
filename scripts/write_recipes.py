#!/usr/bin/env python
"""The recipe measurement (issue #21): the `avgan` recipe against the paper's, and the
`avgan` recipe minus each ingredient, as Markdown tables with their sample grids.

    .venv/bin/python scripts/write_recipes.py runs/r21 --reference results/runs \\
        --out results/recipes

RUN holds the `avgan` runs that `scripts/recipes.sh` makes (`s2i-c-avgan`, `i2s-avgan`,
the half-budget leave-one-out runs `s2i-avgan-h*`); REFERENCE the reproduction's
archived runs (the paper's recipe and its best variants, trained with the same encoders
and data). Writes OUT/recipes.md,
OUT/samples_<run>.png, and OUT/runs/<run>/{config,metrics,evaluation}.json, from which
`write_recipes.py OUT/runs --reference results/runs --out OUT` writes the page again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil

SUMMARIES = ("config.json", "metrics.json", "evaluation.json")

# (folder in RUN, folder in REFERENCE or None, name, what differs): the full-budget
# comparisons. scripts/recipes.sh trains every one of them with the same encoders; until
# it has, the reproduction's archived run stands in (marked, since its encoders differ).
S2I_HEADLINE = (
    ("s2i-c-paper", "s2i-c-long", "paper (GAN-CLS)", "the paper's recipe"),
    (
        "s2i-c-paper-diffaugment-acgan",
        "s2i-c-acgan",
        "paper + DiffAugment + AC-GAN",
        "the best variant before",
    ),
    ("s2i-c-avgan", None, "avgan", "the new recipe"),
    ("s2i-c-avgan-long", None, "avgan, continued", "3x the steps (minutes: the last 2/3)"),
)
I2S_HEADLINE = (
    ("i2s-paper", "i2s", "paper (GAN-CLS)", "the paper's recipe"),
    (
        "i2s-paper-diffaugment-acgan",
        "i2s-acgan",
        "paper + DiffAugment + AC-GAN",
        "the best variant before",
    ),
    ("i2s-avgan", None, "avgan", "the new recipe"),
    ("i2s-avgan-spectral", None, "avgan, spectral norm in D", "`--d_norm=spectral`"),
    ("i2s-avgan-acgan", None, "avgan + AC-GAN", "`--aux_weight=1`"),
    ("i2s-avgan-d2", None, "avgan, 2 extra D layers", "`--d_extra_layers=2` (the paper's 12)"),
    (
        "i2s-avgan-d2-acgan",
        None,
        "avgan, 2 extra D layers + AC-GAN",
        "`--d_extra_layers=2 --aux_weight=1`",
    ),
)
REFERENCE_MARK = "†"
# The leave-one-out runs at half the steps: (folder, ingredient changed, flag).
ABLATION = (
    ("s2i-avgan-h", "none (the full recipe)", ""),
    ("s2i-avgan-h-no-hinge", "hinge loss -> BCE", "--loss=bce"),
    ("s2i-avgan-h-spectral", "batch norm -> spectral norm in D", "--d_norm=spectral"),
    ("s2i-avgan-h-no-projection", "projection -> concat in D", "--d_conditioning=concat"),
    ("s2i-avgan-h-no-film", "FiLM in every G block -> input only", "--g_conditioning=input"),
    ("s2i-avgan-h-no-resize", "resize-conv -> deconv", "--upsampling=deconv"),
    ("s2i-avgan-h-no-diffaugment", "DiffAugment -> none", "--augment="),
    ("s2i-avgan-h-no-ema-half-life", "EMA half-life 200 -> decay 0.999", "--ema_half_life=0"),
    (
        "s2i-avgan-h-no-ttur",
        "two time-scale Adam -> the paper's Adam",
        "--learning_rate=2e-4 --d_learning_rate=0 --beta_1=0.5 --beta_2=0.999",
    ),
    ("s2i-avgan-h-no-r1", "lazy R1 -> none", "--r1_weight=0"),
    ("s2i-avgan-h-color", "+ colour in DiffAugment", "--augment=color,translation,cutout"),
    ("s2i-avgan-h-acgan", "+ AC-GAN head", "--aux_weight=1"),
    ("s2i-avgan-h-g-conv", "+ a 3x3 convolution at 64x64 draws the picture", "--g_output=conv"),
    (
        "s2i-avgan-h-spectral-g-conv",
        "spectral norm in D and the 3x3 output convolution",
        "--d_norm=spectral --g_output=conv",
    ),
)


def _load(folder: str, name: str) -> dict | None:
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def _row(folder: str) -> dict | None:
    """The figures of one run dir, or None when it has not finished."""
    metrics = _load(folder, "metrics.json")
    if metrics is None:
        return None
    evaluation = _load(folder, "evaluation.json") or {}
    return {"metrics": metrics, "evaluation": evaluation}


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _cells(row: dict) -> list[str]:
    m, e = row["metrics"], row["evaluation"]
    accuracy = m["generated_accuracy"]
    minutes = m.get("seconds_total", m["seconds_this_run"]) / 60
    return [
        f"{m['steps']:,}",
        _pct(accuracy["test"]),
        _pct(accuracy["train"]),
        f"{_num(e.get('frechet_distance'), 1)} ({_num(e.get('frechet_distance_real_split'), 1)})",
        f"{_num(e.get('roughness'))} ({_num(e.get('roughness_real'))})",
        f"{_num(e.get('diversity'), 2)} ({_num(e.get('diversity_real'), 2)})",
        _num(m.get("steps_per_second"), 2),
        f"{minutes:.1f}",
    ]


HEADER = (
    "| steps | test accuracy | train accuracy | Fréchet (real train vs test) | "
    "roughness (real) | diversity (real) | steps/s | minutes |"
)


def _table(title: str, runs: list[tuple[str, str, dict | None]]) -> list[str]:
    lines = [f"| {title} | what differs {HEADER}", "|---|---" + "|---" * 8 + "|"]
    for name, what, row in runs:
        cells = _cells(row) if row else ["not run"] + ["—"] * 7
        lines.append(f"| {name} | {what} | " + " | ".join(cells) + " |")
    return lines + [""]


def _finished(args, folder: str) -> dict | None:
    """The row of run `folder`: RUN's, else the one archived in OUT/runs. `archive` has
    removed archived rows of other encoders, so a run dir lost since it was archived (a
    new machine) keeps its row instead of reading "not run"."""
    return _row(os.path.join(args.run, folder)) or _row(os.path.join(args.out, "runs", folder))


def _headline(args, entries) -> list[tuple[str, str, dict | None]]:
    """(name, what differs, row) per entry: RUN's run, else the archived one, else the
    reference's (marked)."""
    rows = []
    for folder, reference, name, what in entries:
        row = _finished(args, folder)
        if row is None and reference is not None:
            row = _row(os.path.join(args.reference, reference))
            name = f"{name} {REFERENCE_MARK}" if row is not None else name
        rows.append((name, what, row))
    return rows


ENCODERS = ("sound_classifier", "image_classifier")


def _encoders_sentence(args) -> str:
    """Which encoders condition and judge the runs, with their held-out accuracy."""
    found = {
        name: _load(os.path.join(args.out, "runs", "encoders", name), "metrics.json")
        for name in ENCODERS
    }
    if not all(found.values()):
        return "the encoders of `scripts/recipes.sh` (ENCODERS, default `runs/enc`)."
    sound, image = (_pct(found[name]["accuracy"]) for name in ENCODERS)
    return (
        f"conditioned on and judged by the encoders of `scripts/recipes.sh` (sound "
        f"classifier {sound}, image classifier {image} on held-out recordings)."
    )


def write(args) -> str:
    os.makedirs(args.out, exist_ok=True)
    lines = [
        "# Recipes: `avgan` against the paper's GAN-CLS (issue #21)",
        "",
        "Preset `cpu` (width 32, batch 64) on the synthetic ensemble `small` (seed 0), "
        f"{_encoders_sentence(args)} Test = the validation split: recordings held out from "
        "training. Accuracy: generated samples under the separate classifier (pictures: "
        "the image classifier; spectrograms: the sound classifier). Fréchet distance in that "
        "classifier's 128-d feature space, beside the real train-vs-test distance; roughness "
        "(mean absolute difference of neighbouring pixels) beside the real samples'; "
        "diversity over noise draws beside the real samples' pairwise spread. "
        f"{REFERENCE_MARK} the reproduction's archived run (`results/runs`, "
        "`scripts/reproduce.sh`), judged by its own encoders, which were trained the same "
        "way on another machine: its figures are not exactly comparable until "
        "`scripts/recipes.sh` has trained the row with these encoders.",
        "",
        "## S2I, full budget",
        "",
    ]
    s2i = _headline(args, S2I_HEADLINE)
    lines += _table("S2I-C", s2i)
    lines += ["## I2S", ""]
    i2s = _headline(args, I2S_HEADLINE)
    lines += _table("I2S", i2s)
    lines += [
        "Harmonic lines: spectral flatness of the generated test log-mels (low: harmonic "
        "peaks over a floor, as notes have; near 1: noise), beside the real ones'.",
        "",
        "| I2S | spectral flatness (real) |",
        "|---|---|",
    ]
    for name, _, row in i2s:
        e = row["evaluation"] if row else {}
        lines.append(
            f"| {name} | {_num(e.get('spectral_flatness'))} "
            f"({_num(e.get('spectral_flatness_real'))}) |"
        )
    lines.append("")
    lines += [
        "## S2I ablation: the `avgan` recipe minus one ingredient, half the steps",
        "",
        "Each row changes one ingredient of the `avgan` recipe (the flag in brackets) and "
        "trains 1,440 steps, half the full budget, as every row does.",
        "",
        'Rows say "not run" until `scripts/recipes.sh` has trained them with this page\'s '
        "encoders; rows judged by earlier encoders, and the spectral-norm rows of earlier "
        "code, are in the git history of this page. Steps/s and minutes of rows trained "
        "beside other runs and the test suite are low: `scripts/bench_gan.py` measures speed.",
        "",
    ]
    ablation = [
        (f"`{f}`", f"{what}" + (f" (`{flag}`)" if flag else ""), _finished(args, f))
        for f, what, flag in ABLATION
    ]
    lines += _table("run", ablation)
    lines += _pictures(args)
    text = "\n".join(lines)
    with open(os.path.join(args.out, "recipes.md"), "w") as f:
        f.write(text)
    return text


def _pictures(args) -> list[str]:
    """Copies the avgan runs' sample grids into OUT and links them."""
    lines = ["## Sample grids", ""]
    for folder, caption in (
        (
            "s2i-c-avgan",
            "S2I-C, `avgan` recipe: held-out sounds' real pictures (left) and "
            "the pictures generated from the sounds (right)",
        ),
        (
            "s2i-c-avgan-long",
            "The same run continued to 3x the steps: held-out sounds' real pictures (left) "
            "and the pictures generated from the sounds (right)",
        ),
        (
            "s2i-avgan-h",
            "S2I-C, `avgan` recipe at 1,440 steps (the ablation's base): held-out sounds' "
            "real pictures (left) and the pictures generated from them (right)",
        ),
        (
            "s2i-avgan-h-spectral",
            "The same with spectral norm in D (`--d_norm=spectral`, the recipe before)",
        ),
        (
            "i2s-avgan",
            "I2S, `avgan` recipe: held-out pictures' real log-mel spectrograms "
            "(left) and the ones generated from the pictures (right)",
        ),
    ):
        source = os.path.join(args.run, folder, "samples_test.png")
        target = os.path.join(args.out, f"samples_{folder}.png")
        if os.path.exists(source) and os.path.abspath(source) != os.path.abspath(target):
            shutil.copyfile(source, target)
        if os.path.exists(target):
            lines += [f"{caption}:", "", f"![{folder}](samples_{folder}.png)", ""]
    return lines


def _identity(metrics: dict | None) -> dict | None:
    """An encoder's metrics.json without its wall-clock time: the seeded classifiers
    retrain to the same weights (the same held-out accuracy to the last digit) on
    another machine, in another time."""
    if metrics is None:
        return None
    return {k: v for k, v in metrics.items() if not k.startswith("seconds")}


def _encoders_changed(args) -> bool:
    """True when OUT/runs holds rows judged by other encoders than ENCODERS' (their
    metrics.json differ in more than the time taken): those rows must not share a table
    with the new ones."""
    for name in ENCODERS:
        kept = _load(os.path.join(args.out, "runs", "encoders", name), "metrics.json")
        new = _load(os.path.join(args.encoders, name), "metrics.json")
        if kept is not None and new is not None and _identity(kept) != _identity(new):
            return True
    return False


def archive(args) -> None:
    """OUT/runs/<run>/ gets each run's summaries, so the page can be written again.

    When the encoders differ from those OUT/runs's rows were judged by, those rows and
    their sample grids are removed first (they stay in git history), so that the page
    only ever compares runs under one set of encoders, however few have finished."""
    if _encoders_changed(args):
        print(f"{args.out}/runs: other encoders judged its rows; they are replaced")
        shutil.rmtree(os.path.join(args.out, "runs"))
        for name in os.listdir(args.out):
            if name.startswith("samples_") and name.endswith(".png"):
                os.remove(os.path.join(args.out, name))
    for name in ENCODERS:
        source = os.path.join(args.encoders, name, "metrics.json")
        if os.path.exists(source):
            target = os.path.join(args.out, "runs", "encoders", name)
            os.makedirs(target, exist_ok=True)
            shutil.copyfile(source, os.path.join(target, "metrics.json"))
    names = [f for f, *_ in ABLATION] + [f for f, *_ in S2I_HEADLINE + I2S_HEADLINE]
    for name in names:
        if not os.path.exists(os.path.join(args.run, name, "metrics.json")):
            continue  # not finished: nothing to report yet
        for summary in SUMMARIES:
            source = os.path.join(args.run, name, summary)
            if os.path.exists(source):
                os.makedirs(os.path.join(args.out, "runs", name), exist_ok=True)
                shutil.copyfile(source, os.path.join(args.out, "runs", name, summary))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the folder of the avgan runs (e.g. runs/r21)")
    parser.add_argument("--reference", default="results/runs")
    parser.add_argument("--out", default="results/recipes")
    parser.add_argument(
        "--encoders", default="runs/enc", help="the runs' encoders (their metrics.json)"
    )
    args = parser.parse_args()
    if os.path.abspath(args.run) != os.path.abspath(os.path.join(args.out, "runs")):
        archive(args)
    print(write(args))


if __name__ == "__main__":
    main()
