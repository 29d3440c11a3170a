#!/usr/bin/env python
"""results/REPORT.md and its plots from a finished `scripts/reproduce.sh` run folder.

    .venv/bin/python scripts/write_report.py runs/reproduce --out results --seconds 5400

Reads RUN/<name>/metrics.json (training) and RUN/<name>/evaluation.json (from
`python -m avgan.evaluate`) of the encoders and GANs that reproduce.sh trains, and
RUN/table1/ for Table 1. Writes OUT/REPORT.md, OUT/fig9_accuracy.png (generated-image
accuracy over epochs), OUT/i2s_accuracy.png (the same for I2S),
OUT/fig11_spectrograms*.png (I2S: real next to generated) and
OUT/samples_<run>.png (held-out conditions, real next to generated). A run that has not
finished is reported as "not run", never left out silently.

    .venv/bin/python scripts/write_report.py runs/reproduce --out results --archive results/runs
    .venv/bin/python scripts/write_report.py results/runs --out results

The first also keeps the JSON summaries the report reads (SUMMARY_FILES) in
results/runs; the second rebuilds the report from them alone, keeping the pictures
already in results/. The time at the top is RUN/reproduce_seconds unless --seconds says.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from write_table1 import table1_markdown  # noqa: E402

from avgan import run_dir  # noqa: E402
from avgan.data.files import atomic_path, write_text  # noqa: E402

# Paper Table 5 (Sub-URMP): generated-image accuracy under the image classifier.
PAPER_TABLE5 = {"c": ("87.37%", "75.56%"), "a": ("10.63%", "10.95%"), "n": ("12.62%", "12.32%")}
S2I_RUNS = (("c", "S2I-C"), ("n", "S2I-N"), ("a", "S2I-A"))
# Each of them continued past the equal budget (reproduce.sh's LONG_EPOCHS): variant ->
# (folder, name in the tables).
S2I_LONG = {v: (f"s2i-{v}-long", f"{name} continued") for v, name in S2I_RUNS}
# S2I-C variants that are not in the paper, each trained from scratch: (folder, name).
S2I_C_VARIANTS = (
    ("s2i-c-diffaugment", "S2I-C + DiffAugment"),
    ("s2i-c-resize", "S2I-C + DiffAugment + resize-conv"),
    ("s2i-c-acgan", "S2I-C + DiffAugment + AC-GAN"),
)
# I2S runs: (folder, name in the tables, figure name of its real-vs-generated picture).
I2S_RUNS = (
    ("i2s", "I2S", "fig11_spectrograms.png"),
    ("i2s-diffaugment", "I2S + DiffAugment", "fig11_spectrograms_diffaugment.png"),
    (
        "i2s-diffaugment-long",
        "I2S + DiffAugment continued",
        "fig11_spectrograms_diffaugment_long.png",
    ),
    ("i2s-acgan", "I2S + DiffAugment + AC-GAN", "fig11_spectrograms_acgan.png"),
)
# Runs trained on from a copy of another run's last checkpoint (reproduce.sh's
# continue_from): run -> its continuation. A continuation's minutes come on top of the
# run's, and its curve points follow the run's in the plots.
CONTINUED = {f"s2i-{v}": folder for v, (folder, _) in S2I_LONG.items()}
CONTINUED["i2s-diffaugment"] = "i2s-diffaugment-long"
# The S2I runs past the equal budget, in the order of the tables: (folder, name).
S2I_EXTRA = (*S2I_LONG.values(), *S2I_C_VARIANTS)
NOT_RUN = "not run"
# What the report reads of each run (and the reproduction's summed wall time at the
# top): the archive kept beside the report (--archive).
PROVENANCE_FILE = "provenance.json"  # an archive's record of the report's header facts
SUMMARY_FILES = ("metrics.json", "evaluation.json", "run.json", "config.json", "reproduce_seconds")


def _load(run: str, name: str, file: str) -> dict | None:
    path = os.path.join(run, name, file)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def _pct(x: float | None) -> str:
    return NOT_RUN if x is None else f"{100 * x:.2f}%"


def _field(metrics: dict | None, key: str) -> str:
    return NOT_RUN if metrics is None else str(metrics[key])


def _minutes(metrics: dict | None, key: str) -> str:
    return NOT_RUN if metrics is None or key not in metrics else f"{metrics[key] / 60:.1f} min"


def _gan_minutes(metrics: dict) -> float:
    """Training minutes of a GAN run over all its legs (a run extended by more epochs)."""
    return metrics.get("seconds_total", metrics["seconds_this_run"]) / 60


def _pose_models(run: str) -> list[str]:
    """The folders under RUN of the pose models: RUN/s2i_pose*/<instrument> of one model
    per instrument (s2i_pose: the reproduction's), RUN/s2i_pose* itself of a model
    shared by several instruments (--pose_models=shared)."""
    found = []
    tops = os.listdir(run) if os.path.isdir(run) else []
    for top in sorted(d for d in tops if d.startswith("s2i_pose")):
        parent = os.path.join(run, top)
        if not os.path.isdir(parent):
            continue
        if any(os.path.exists(os.path.join(parent, f)) for f in SUMMARY_FILES):
            found.append(top)
            continue
        found += [
            os.path.join(top, d)
            for d in sorted(os.listdir(parent))
            if os.path.isdir(os.path.join(parent, d))
        ]
    return found


def _pose_label(folder: str, instrument: str | None = None) -> str:
    """'cello' for the reproduction's s2i_pose/cello, else the folder, and for a shared
    model the `instrument` asked for."""
    top, _, child = folder.partition("/")
    if child:
        return child if top == "s2i_pose" else f"{child}, `{top}`"
    return f"{instrument}, `{top}` (shared)" if instrument else f"`{top}` (shared)"


def encoders_section(run: str) -> list[str]:
    sound = _load(run, "sound_classifier", "metrics.json")
    image = _load(run, "image_classifier", "metrics.json")
    pitch = _load(run, "pitch_sound_classifier", "metrics.json")
    auto = _load(run, "sound_autoencoder", "metrics.json")
    mse = ", ".join(f"{m:.4f}" for m in auto["mse"]) if auto else NOT_RUN
    return [
        "## Encoders",
        "",
        "| encoder | measured on held-out recordings | paper (Sub-URMP) | epochs | time |",
        "|---|---|---|---|---|",
        f"| sound classifier, LMS, 4 conv layers (S2I-C/N encoding; I2S evaluator) | "
        f"{_pct(sound and sound['accuracy'])} | 87.44% | {_field(sound, 'epochs')} | "
        f"{_minutes(sound, 'seconds')} |",
        f"| image classifier (S2I evaluator; I2S encoding) | "
        f"{_pct(image and image['accuracy'])} | > 95% | {_field(image, 'epochs')} | "
        f"{_minutes(image, 'seconds')} |",
        f"| pitch-aware sound classifier: instrument / pitch (pose-mode encoding) | "
        f"{_pct(pitch and pitch['accuracy'])} / {_pct(pitch and pitch.get('pitch_accuracy'))} "
        f"| — (the paper's future work) | {_field(pitch, 'epochs')} | "
        f"{_minutes(pitch, 'seconds')} |",
        f"| sound autoencoder (S2I-A encoding): validation MSE of stacks 1-4 | {mse} | — | "
        f"{_field(auto, 'epochs_per_stack')} per stack | {_minutes(auto, 'seconds')} |",
        "",
    ]


def table5_section(run: str) -> list[str]:
    lines = [
        "## Table 5: accuracy of generated pictures under the image classifier",
        "",
        "| | S2I-C | S2I-N | S2I-A |",
        "|---|---|---|---|",
    ]
    metrics = {v: _load(run, f"s2i-{v}", "metrics.json") for v, _ in S2I_RUNS}
    longer = {v: _load(run, folder, "metrics.json") for v, (folder, _) in S2I_LONG.items()}
    for row, split, k in (("train sounds", "train", 0), ("test sounds", "test", 1)):
        cells = [
            f"{_pct(m and m['generated_accuracy'][split])} (paper {PAPER_TABLE5[v][k]})"
            for v, m in metrics.items()
        ]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    if any(longer.values()):
        lengths = {m["steps"] for m in longer.values() if m}
        to = f" to {lengths.pop()} steps" if len(lengths) == 1 else ""
        for row, split in (("train sounds", "train"), ("test sounds", "test")):
            cells = [_pct(m and m["generated_accuracy"][split]) for m in longer.values()]
            lines.append(f"| {row}, continued{to} | " + " | ".join(cells) + " |")
    variants = [
        (name, m) for folder, name in S2I_C_VARIANTS if (m := _load(run, folder, "metrics.json"))
    ]
    if variants:
        lines += [
            "",
            "S2I-C variants that are not in the paper, each trained from scratch "
            "(described below):",
            "",
            "| | " + " | ".join(f"{name} ({m['steps']} steps)" for name, m in variants) + " |",
            "|---|" + "---|" * len(variants),
        ]
        for row, split in (("train sounds", "train"), ("test sounds", "test")):
            cells = [_pct(m["generated_accuracy"][split]) for _, m in variants]
            lines.append(f"| {row} | " + " | ".join(cells) + " |")
    extra = [
        (name, m, folder in CONTINUED.values())
        for folder, name in S2I_EXTRA
        if (m := _load(run, folder, "metrics.json"))
    ]
    steps = [
        f"{name} {m['steps']} steps at {m['steps_per_second']} steps/s ({_gan_minutes(m):.1f} min)"
        for (v, name), m in zip(S2I_RUNS, metrics.values(), strict=True)
        if m
    ]
    steps += [
        f"{name} {m['steps']} steps at {m['steps_per_second']} steps/s "
        f"({_gan_minutes(m):.1f} min{' more' if continues else ''})"
        for name, m, continues in extra
    ]
    lines += [
        "",
        "Chance is 1/13 = 7.7%. The image classifier's own accuracy on real held-out "
        "pictures (Encoders, above) bounds these figures."
        + (
            " A continued run is the equal-budget run trained on from its last checkpoint."
            if any(longer.values())
            else ""
        )
        + (f" Training: {'; '.join(steps)}." if steps else ""),
        "",
    ]
    peaks = [
        f"{name}: {_pct(peak['validation'])} on test sounds, {_pct(peak['train'])} on "
        f"train sounds, at epoch {peak['epoch']} (step {peak['step']})"
        for name, m, _ in extra
        if m.get("curve") and (peak := max(m["curve"], key=lambda p: p["validation"]))
    ]
    if peaks:
        lines += [
            f"Peaks of the Fig. 9 curves: {'; '.join(peaks)}. Train figures are a sample "
            "of 8 batches. A peak is chosen on the test sounds themselves, so it is an "
            "optimistic figure; the table gives the end of training.",
            "",
        ]
    names = {name for name, _, _ in extra}
    if "S2I-C + DiffAugment" in names:
        policy = _policy(run, "s2i-c-diffaugment")
        lines += [
            "S2I-C + DiffAugment is not in the paper: the same S2I-C, trained from scratch "
            "with the discriminator seeing every picture (real, wrong and generated) "
            f"through DiffAugment (Zhao et al. 2020; `--augment={policy}`).",
            "",
        ]
    if "S2I-C + DiffAugment + resize-conv" in names:
        policy = _policy(run, "s2i-c-resize")
        lines += [
            "S2I-C + DiffAugment + resize-conv is not in the paper either: S2I-C + "
            f"DiffAugment (`--augment={policy}`) with each of the generator's "
            "deconvolutions replaced by nearest-neighbour upsampling and a 3x3 "
            "convolution (`--upsampling=resize`; Odena et al. 2016), trained from scratch.",
            "",
        ]
    if "S2I-C + DiffAugment + AC-GAN" in names:
        lines += _acgan_note(run, "s2i-c-acgan", "S2I-C", "pictures", "image classifier")
    return lines


def _acgan_note(run: str, folder: str, base: str, samples: str, evaluator: str) -> list[str]:
    """The paragraph that says what a `--aux_weight` run (BASE + DiffAugment + AC-GAN) is."""
    weight = _gan_settings(run, folder).get("aux_weight")
    return [
        f"{base} + DiffAugment + AC-GAN is not in the paper: {base} + DiffAugment "
        f"(`--augment={_policy(run, folder)}`) with an auxiliary instrument "
        "classifier on the discriminator (Odena et al. 2017; "
        f"`--aux_weight={'?' if weight is None else format(weight, 'g')}`): the "
        f"discriminator also learns to name the instrument of real {samples}, and the "
        f"generator to make its {samples} named as the condition's. The evaluator above "
        f"is the separate {evaluator}, not that head. Trained from scratch.",
        "",
    ]


def _gan_settings(run: str, folder: str) -> dict:
    """A GAN run's settings: config.json's gan section, or run.json for runs made before
    config.json held them (like those archived in results/runs)."""
    config = _load(run, folder, "config.json") or {}
    if "gan" in config:
        return config["gan"]
    return _load(run, folder, "run.json") or {}


def _policy(run: str, folder: str) -> str:
    """The DiffAugment policy a run trained with."""
    return _gan_settings(run, folder).get("augment", "?")


def i2s_section(run: str) -> list[str]:
    sound = _load(run, "sound_classifier", "metrics.json")
    lines = [
        "## I2S: accuracy of generated spectrograms under the sound classifier",
        "",
        "Generated log-mel spectrograms, 128x34 resized to 128x44 as the paper does.",
        "",
        "| | train pictures | test pictures | training |",
        "|---|---|---|---|",
    ]
    augmented = False
    for folder, name, _ in I2S_RUNS:
        m = _load(run, folder, "metrics.json")
        if m is None and folder != "i2s":
            continue  # an optional run that was not made
        augmented |= folder != "i2s"
        more = " more" if folder in CONTINUED.values() else ""
        training = (
            f"{m['steps']} steps at {m['steps_per_second']} steps/s "
            f"({_gan_minutes(m):.1f} min{more})"
            if m
            else ""
        )
        lines.append(
            f"| {name} | {_pct(m and m['generated_accuracy']['train'])} | "
            f"{_pct(m and m['generated_accuracy']['test'])} | {training} |"
        )
    lines += [
        f"| real log-mel of the test sounds (the classifier's own accuracy) | | "
        f"{_pct(sound and sound['accuracy'])} | |",
        "",
        "The paper's I2S figures are lost from its text. Chance is 7.7%.",
        "",
    ]
    if augmented:
        lines += [
            "I2S + DiffAugment is not in the paper: the same I2S, trained from scratch "
            "with the discriminator seeing every spectrogram (real, wrong and generated) "
            f"through DiffAugment (`--augment={_policy(run, 'i2s-diffaugment')}`; "
            "translation along time only, since a shift along the mels would change the "
            "pitch)."
            + (
                " I2S + DiffAugment continued is that run trained on from its last "
                "checkpoint; its curve points follow the run's own in the plot."
                if _load(run, "i2s-diffaugment-long", "metrics.json")
                else ""
            ),
            "",
        ]
    if _load(run, "i2s-acgan", "metrics.json"):
        lines += _acgan_note(run, "i2s-acgan", "I2S", "spectrograms", "sound classifier")
    peaks = [
        f"{name}: {_pct(peak['validation'])} on test pictures, {_pct(peak['train'])} on "
        f"train pictures, at epoch {peak['epoch']} (step {peak['step']})"
        for folder, name, _ in I2S_RUNS
        if (m := _load(run, folder, "metrics.json"))
        and m.get("curve")
        and (peak := max(m["curve"], key=lambda p: p["validation"]))
    ]
    if peaks:
        lines += [
            f"Peaks of the curves (below): {'; '.join(peaks)}. A peak is chosen on the "
            "test pictures themselves, so it is an optimistic figure; the table gives the "
            "end of training.",
            "",
        ]
    return lines


def beyond_section(run: str) -> list[str]:
    lines = [
        "## Beyond the paper: Fréchet distance, diversity and roughness",
        "",
        "Fréchet distance between real and generated samples of the test conditions in "
        "the evaluation classifier's 128-d feature space (float64); as a reference, the "
        "distance between the real train and real test samples. Diversity: mean "
        "pairwise L2 distance between samples generated for one condition over 8 noise "
        "draws, averaged over 32 test conditions (0 = the generator ignores its noise); "
        "as a reference, the mean pairwise distance among 32 real samples. Roughness: "
        "mean absolute difference between neighbouring pixels of the samples generated "
        "for all test conditions, on the generators' [-1, 1] scale (per-pixel noise and "
        "checkerboards); as a reference, the real test samples'. EMA: "
        "test-condition accuracy of samples from the EMA generator (used everywhere "
        "else in this report) and from the trained generator itself.",
        "",
        "| model | Fréchet distance (real train vs test) | diversity (real samples) "
        "| roughness (real samples) | test accuracy, EMA / trained generator |",
        "|---|---|---|---|---|",
    ]
    names = [(f"s2i-{v}", name) for v, name in S2I_RUNS]
    names += [(f, n) for f, n in S2I_EXTRA if os.path.isdir(os.path.join(run, f))]
    names += [(f, n) for f, n, _ in I2S_RUNS if f == "i2s" or os.path.isdir(os.path.join(run, f))]
    names += [(f, f"pose S2I, {_pose_label(f)}") for f in _pose_models(run)]
    for folder, name in names:
        e = _load(run, folder, "evaluation.json")
        if e is None:
            lines.append(f"| {name} | {NOT_RUN} | {NOT_RUN} | {NOT_RUN} | {NOT_RUN} |")
            continue
        accuracy = e["accuracy"]
        rough = (  # absent from evaluations made before the metric existed
            f"{e['roughness']:.3f} ({e['roughness_real']:.3f})" if "roughness" in e else "—"
        )
        lines.append(
            f"| {name} | {e['frechet_distance']:.1f} ({e['frechet_distance_real_split']:.1f}) | "
            f"{e['diversity']:.2f} ({e['diversity_real']:.2f}) | {rough} | "
            f"{_pct(accuracy['test'])} / {_pct(accuracy.get('test_without_ema'))} |"
        )
    return lines + [""]


def pose_section(run: str, out: str | None = None) -> list[str]:
    lines = [
        "## Pose-oriented S2I: pose fidelity",
        "",
        "A pose regressor reads the pose (11 parameters: hand, bow, string, playing, "
        "fingering) off pictures generated from held-out sounds. It is trained on the "
        "instrument's real training pictures and on pictures drawn fresh by the synthetic "
        "renderer (random players, rooms and poses; counts below); "
        "the table gives the Pearson correlation with the ground-truth pose "
        "behind each sound, and the regressor's correlation on the real held-out "
        "pictures (its ceiling). The paper shows pose variety (Fig. 10) but measures none. "
        "`s2i_pose` is the reproduction (the paper's recipe, one model per instrument); "
        "other folders name their run, `(shared)` one model for several instruments. "
        "Instrument named: the share of pictures generated from held-out sounds that the "
        "image classifier assigns to the sound's instrument (all the model's instruments "
        "together).",
        "",
        "| instrument | mean r, generated | mean r, real (ceiling) | per parameter, generated "
        "| regressor's pictures | instrument named | steps | data |",
        "|---|---|---|---|---|---|---|---|",
    ]
    models = _pose_models(run)
    if not models:
        return lines + [f"| {NOT_RUN} | | | | | | | |", ""]
    figures = []
    for folder in models:
        e = _load(run, folder, "evaluation.json")
        poses = run_dir.pose_results(e or {})
        if not poses:
            lines.append(f"| {_pose_label(folder)} | {NOT_RUN} | | | | | | |")
            continue
        metrics = _load(run, folder, "metrics.json") or {}
        named = _pct(e["accuracy"]["test"]) if "accuracy" in e else ""
        steps = f"{metrics['steps']:,}" if "steps" in metrics else ""
        data = (_load(run, folder, "config.json") or {}).get("data", {})
        source = os.path.basename(data.get("root") or "") or data.get("synthetic_preset", "")
        source = f"`{source}`" if source else ""
        for instrument, pose in poses.items():
            fid, real = pose["fidelity"], pose["regressor_on_real"]
            per = ", ".join(f"{k} {v:.2f}" for k, v in fid["correlation"].items())
            pictures = pose.get("regressor_pictures")
            trained_on = f"{pictures['real']} real + {pictures['drawn']} drawn" if pictures else ""
            lines.append(
                f"| {_pose_label(folder, instrument)} | {fid['mean']:.3f} | {real['mean']:.3f} "
                f"| {per} | {trained_on} | {named} | {steps} | {source} |"
            )
            if out:
                figures += scale_figure(run, out, folder, instrument, pose)
    lines.append("")
    if out:
        lines += figures or [
            "Fig. 10 as a measurement (the pose read off the pictures of a rising scale, "
            f"`avgan.evaluation.scale`): {NOT_RUN} (no pose run evaluated since it exists).",
            "",
        ]
    return lines


def scale_figure(run: str, out: str, folder: str, instrument: str, pose: dict) -> list[str]:
    """Fig. 10 as a measurement, for a pose model's instrument whose evaluation has
    `pose.scale`: the hand and string the regressor reads off the pictures of a rising
    scale, against the note's pitch and beside the note's true pose
    (OUT/scale_<name>.png), and the pictures themselves (the run's scale picture, copied
    to OUT/scale_row_<name>.png); <name> is the instrument for the reproduction's models,
    else the folder and the instrument."""
    found = pose.get("scale")
    if not found or "pitches" not in found:
        return []
    label = _pose_label(folder, instrument)
    top = folder.split("/")[0]
    name = instrument if top == "s2i_pose" else f"{top}_{instrument}"
    plot = _plot_scale(found, label.replace("`", ""), os.path.join(out, f"scale_{name}.png"))
    r = found["correlation"]["correlation"]
    said = ", ".join(f"{k} r {r[k]:.2f}" for k in ("hand", "string") if k in r)
    steady = ""
    if "real_spread" in found:
        steady = (
            f" How much the pictures differ from one another (per-pixel standard "
            f"deviation, 0-1): {found['spread']:.3f}, against {found['real_spread']:.3f} "
            f"for the pictures of one real held-out recording (one player, one room)."
        )
    lines = [
        f"Fig. 10, {label}: a rising scale ({len(found['pitches'])} notes rendered by "
        f"FluidSynth) under one noise draw; the pose read off each picture against the "
        f"note's ({said}).{steady}",
        "",
        f"![Fig. 10, {label}]({os.path.basename(plot)})",
        "",
    ]
    shared = "/" not in folder
    picture = run_dir.scale_file(instrument) if shared else run_dir.SCALE_FILE
    row = os.path.join(run, folder, picture)
    kept = os.path.join(out, f"scale_row_{name}.png")
    if os.path.exists(row):
        with atomic_path(kept) as tmp:
            shutil.copyfile(row, tmp)
    if os.path.exists(kept):
        lines += [f"![Fig. 10 pictures, {label}]({os.path.basename(kept)})", ""]
    return lines


def _plot_scale(found: dict, instrument: str, path: str) -> str:
    """Read (markers) and true (lines) hand and string against MIDI pitch."""
    fig, ax = _axes(3.2)
    pitches = found["pitches"]
    for name, color in (("hand", "tab:blue"), ("string", "tab:orange")):
        ax.plot(pitches, found["expected"][name], "-", color=color, lw=1, label=f"{name}, true")
        ax.plot(pitches, found["read"][name], "o", color=color, ms=3, label=f"{name}, read")
    title = f"{instrument}: pose read off the pictures of a rising scale"
    return _save(fig, ax, "MIDI pitch of the note", "pose (0-1; string / 3)", title, path)


def _axes(height: float):
    """A figure 7 inches wide for the report, drawn without a display: (fig, ax)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(7, height), dpi=110)


def _save(fig, ax, xlabel: str, ylabel: str, title: str, path: str) -> str:
    """Labels, legend and grid; the figure written to `path` atomically, then closed."""
    import matplotlib.pyplot as plt

    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path


PROBE_FILE = os.path.join("pose", "probe.json")  # under OUT: `avgan-probe --out`


def probe_section(out: str) -> list[str]:
    """What each conditioning encoding carries of the pose (OUT/pose/probe.json, written
    by `avgan-probe`): the held-out r of a ridge probe per parameter, the ceiling to
    quote beside a pose model's fidelity; nothing when there is no probe."""
    path = os.path.join(out, PROBE_FILE)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        probe = json.load(f)
    names = ("hand", "bow", "string", "playing")
    rows = []
    for instrument, entry in probe["instruments"].items():
        chunks = entry["chunks"]
        for encoding, result in entry["probe"].items():
            r = result["correlation"]
            cells = " | ".join(f"{r[n]:.2f}" if n in r else "-" for n in names)
            rows.append(
                f"| {instrument} | {encoding} | {cells} | {result['mean']:.2f} "
                f"| {chunks['train']:,} / {chunks['test']:,} |"
            )
    data = os.path.basename(probe["data"].rstrip("/"))
    return [
        "### What the condition carries: a linear probe",
        "",
        f"`avgan-probe` on `{data}`: a ridge regression from each encoding of a 0.5 s chunk "
        "to each pose parameter, fitted on the training recordings and scored by Pearson r "
        "on the held-out ones (docs/evaluation.md). A generator conditioned on the "
        "encoding is unlikely to follow the pose better: the probe is the ceiling beside "
        "the fidelity above. `log-mel (raw)` is the spectrogram itself.",
        "",
        "| instrument | encoding | hand | bow | string | playing | mean | chunks (train / test) |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def _plot_curves(curves: list, title: str, ylabel: str, path: str) -> str | None:
    """Train (solid) and test (dashed) accuracy over epochs, one colour per run, with
    chance (1/13) dotted. curves: [(name, colour, [{"epoch", "train", "validation"}])].
    None, and no file, when there is no curve."""
    if not curves:
        return None
    fig, ax = _axes(4)
    for name, color, curve in curves:
        epochs = [p["epoch"] for p in curve]
        ax.plot(epochs, [100 * p["train"] for p in curve], "-o", color=color, ms=3,
                label=f"{name} train")  # fmt: skip
        ax.plot(epochs, [100 * p["validation"] for p in curve], "--s", color=color, ms=3,
                label=f"{name} test")  # fmt: skip
    ax.axhline(100 / 13, color="gray", lw=0.8, ls=":", label="chance")
    return _save(fig, ax, "epoch", ylabel, title, path)


def _continued(run: str, curve: list, folder: str | None) -> list:
    """A run's curve, followed by the points of the run that continued it (if any)."""
    longer = _load(run, folder, "metrics.json") if folder else None
    if not longer:
        return list(curve)
    return list(curve) + [p for p in longer["curve"] if p["epoch"] > curve[-1]["epoch"]]


def fig9(run: str, out: str) -> str | None:
    """Generated accuracy over epochs of the S2I variants (paper Fig. 9: S2I-C)."""
    curves = []  # (name, colour, [{"epoch", "train", "validation"}, ...])
    for (v, name), color in zip(S2I_RUNS, ("tab:blue", "tab:orange", "tab:green"), strict=True):
        m = _load(run, f"s2i-{v}", "metrics.json")
        if not m or not m.get("curve"):
            continue
        curves.append((name, color, _continued(run, m["curve"], CONTINUED.get(f"s2i-{v}"))))
    for (folder, name), color in zip(
        S2I_C_VARIANTS, ("tab:red", "tab:brown", "tab:purple"), strict=True
    ):
        m = _load(run, folder, "metrics.json")
        if m and m.get("curve"):  # a run of its own from scratch: its own line
            curves.append((name, color, m["curve"]))
    return _plot_curves(
        curves,
        "Generated-picture accuracy under the image classifier (paper Fig. 9)",
        "accuracy of generated pictures (%)",
        os.path.join(out, "fig9_accuracy.png"),
    )


def i2s_curves(run: str, out: str) -> str | None:
    """Generated-spectrogram accuracy over epochs of the I2S runs (no paper figure)."""
    continued = set(CONTINUED.values())  # drawn as the end of the run they continue
    own = [(folder, name) for folder, name, _ in I2S_RUNS if folder not in continued]
    curves = [
        (name, color, _continued(run, m["curve"], CONTINUED.get(folder)))
        for (folder, name), color in zip(own, ("tab:purple", "tab:red", "tab:olive"), strict=True)
        if (m := _load(run, folder, "metrics.json")) and m.get("curve")
    ]
    return _plot_curves(
        curves,
        "Generated-spectrogram accuracy under the sound classifier (I2S)",
        "accuracy of generated spectrograms (%)",
        os.path.join(out, "i2s_accuracy.png"),
    )


def _provenance(run: str, archived: str | None) -> dict:
    """The header's facts of a report on RUN: those recorded in RUN/provenance.json when
    RUN is an archive (so a rebuilt report says what the original said), else today's."""
    path = os.path.join(run, PROVENANCE_FILE)
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {
        "date": datetime.date.today().isoformat(),
        "cpu_count": os.cpu_count(),
        "run": run,
        "archived": archived,
    }


def archive(run: str, dest: str) -> list[str]:
    """Replaces DEST with the SUMMARY_FILES of every run under RUN, at the same relative
    paths, so that `write_report.py DEST` rebuilds the report without the checkpoints and
    logs. Returns the relative paths archived."""
    tmp = dest.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    copied = []
    for folder, dirs, files in os.walk(run):
        dirs[:] = sorted(d for d in dirs if d not in ("checkpoints", "logs"))
        rel = os.path.relpath(folder, run)
        for name in SUMMARY_FILES:
            if name in files and (name != "reproduce_seconds" or rel == "."):
                os.makedirs(os.path.join(tmp, rel), exist_ok=True)
                shutil.copyfile(os.path.join(folder, name), os.path.join(tmp, rel, name))
                copied.append(os.path.normpath(os.path.join(rel, name)))
    # What the report's header says of the reproduction, so a rebuild says it again.
    os.makedirs(tmp, exist_ok=True)
    with open(os.path.join(tmp, PROVENANCE_FILE), "w") as f:
        json.dump(_provenance(run, dest), f, indent=2)
    copied.append(PROVENANCE_FILE)
    # Swapped in whole: an archive never mixes two reproductions.
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    return copied


def copy_samples(run: str, out: str) -> dict[str, str]:
    """OUT/samples_<run>.png (and OUT/fig11_spectrograms*.png for I2S) from each GAN dir.
    A run that was made but has no samples_test.png here (a report rebuilt from an
    archive) keeps the picture already in OUT."""
    copied = {}
    figures = {f: figure for f, _, figure in I2S_RUNS}
    names = [f"s2i-{v}" for v, _ in S2I_RUNS] + [f for f, _ in S2I_EXTRA] + list(figures)
    names += _pose_models(run)
    for name in names:
        src = os.path.join(run, name, "samples_test.png")
        base = figures.get(name, f"samples_{name.replace('/', '_')}.png")
        dst = os.path.join(out, base)
        if not os.path.exists(src):
            if _load(run, name, "metrics.json") and os.path.exists(dst):
                copied[name] = base
            continue
        with atomic_path(dst) as tmp:
            shutil.copyfile(src, tmp)
        copied[name] = base
    return copied


# The `avgan` recipe's runs quoted from results/recipes (issue #21): (folder, what).
RECIPE_RUNS = (
    ("s2i-c-avgan", "S2I-C, 2,880 steps"),
    ("s2i-c-avgan-long", "S2I-C, continued to 8,640 steps"),
    ("s2i-avgan-h", "S2I-C, 1,440 steps"),
    ("i2s-avgan", "I2S, 864 steps"),
)


def recipes_section(out: str) -> list[str]:
    """The `avgan` recipe's headline figures from OUT/recipes/runs, beside a link to
    OUT/recipes/recipes.md (`scripts/recipes.sh`); nothing when that page is absent."""
    folder = os.path.join(out, "recipes")
    if not os.path.exists(os.path.join(folder, "recipes.md")):
        return []
    lines = [
        "## Beyond the paper's recipe: `avgan` (the default for users)",
        "",
        "The tables above use the paper's GAN-CLS (`--recipe=paper`). The default recipe, "
        "`avgan`, its ablation and its baselines are measured in "
        "[recipes/recipes.md](recipes/recipes.md) (`scripts/recipes.sh`); its runs so far:",
        "",
        "| run | test accuracy | Fréchet (real train vs test) | roughness (real) |",
        "|---|---|---|---|",
    ]
    for name, what in RECIPE_RUNS:
        metrics = _load(os.path.join(folder, "runs"), name, "metrics.json")
        if metrics is None:
            lines.append(f"| {what} | not run | — | — |")
            continue
        e = _load(os.path.join(folder, "runs"), name, "evaluation.json") or {}
        frechet, split = e.get("frechet_distance"), e.get("frechet_distance_real_split")
        rough, rough_real = e.get("roughness"), e.get("roughness_real")
        lines.append(
            f"| {what} | {_pct(metrics['generated_accuracy']['test'])} | "
            + (f"{frechet:.1f} ({split:.1f})" if frechet is not None else "—")
            + " | "
            + (f"{rough:.3f} ({rough_real:.3f})" if rough is not None else "—")
            + " |"
        )
    return lines + [""]


# Headline runs of the `avgan` recipe on the larger synthetic ensemble, their summaries
# kept in OUT/full (`scripts/full.sh`; issue #21): (folder, what).
LARGER_DATA_RUNS = (
    (
        "s2i-c-avgan",
        "S2I-C",
        "held-out sounds' real pictures (left), generated from the sounds (right)",
    ),
    (
        "i2s-avgan",
        "I2S",
        "held-out pictures' real log-mels (left), generated from the pictures (right)",
    ),
)


def larger_data_section(out: str) -> list[str]:
    """The `avgan` recipe's runs kept in OUT/full (trained on the synthetic `full`
    ensemble): steps, held-out accuracy (evaluate's, and the evaluator's own accuracy
    on real held-out samples), Fréchet, roughness and diversity beside the real
    samples', and their sample grids; nothing when there are none."""
    run = os.path.join(out, "full")
    rows, grids = [], []
    for folder, what, caption in LARGER_DATA_RUNS:
        metrics = _load(run, folder, "metrics.json")
        config = _load(run, folder, "config.json")
        e = _load(run, folder, "evaluation.json")
        if metrics is None or config is None or e is None:
            continue
        data = config.get("data", {})
        source = data.get("root") or f"`{data.get('synthetic_preset')}`"
        judge = (
            "image_classifier"
            if metrics.get("mode", "s2i").startswith("s2i")
            else ("sound_classifier")
        )
        evaluator = _load(os.path.join(run, folder), "encoders", f"{judge}.json") or {}
        acc = e["accuracy"]
        rows.append(
            f"| {what} | {source} | {metrics['steps']:,} | {_pct(acc['test'])} "
            f"| {_pct(acc['train'])} | {_pct(evaluator.get('accuracy'))} "
            f"| {e['frechet_distance']:.1f} ({e['frechet_distance_real_split']:.1f}) "
            f"| {e['roughness']:.3f} ({e['roughness_real']:.3f}) "
            f"| {e['diversity']:.1f} ({e['diversity_real']:.1f}) |"
        )
        if os.path.exists(os.path.join(run, f"samples_{folder}.png")):
            grids += [f"{what}, {caption}:", "", f"![{what}, full](full/samples_{folder}.png)", ""]
    if not rows:
        return []
    return [
        "### On the larger synthetic ensemble",
        "",
        "The `avgan` recipe on the synthetic ensemble `full` (seed 0; about 14,400 training "
        "pairs; `small` has about 1,550), with encoders trained on the same data; the "
        "evaluator's accuracy is its own on the real held-out samples, the ceiling of the "
        "generated figure. Test = recordings held out from training.",
        "",
        "| run | data | steps | test accuracy | train accuracy | evaluator on real "
        "| Fréchet (real train vs test) | roughness (real) | diversity (real) |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        *grids,
    ]


def report(
    run: str,
    out: str,
    seconds: float | None,
    command: str,
    notes: str | None = None,
    archived: str | None = None,
) -> str:
    """Writes OUT/REPORT.md (and its plots); `notes`, a Markdown file of reading and
    caveats written by a person, is appended when it exists; `archived` names the
    folder that holds the runs' summaries (archive())."""
    os.makedirs(out, exist_ok=True)
    config = None
    for name in ("s2i-c", "sound_classifier"):
        path = os.path.join(run, name, "config.json")
        if os.path.exists(path):
            with open(path) as f:
                config = json.load(f)
            break
    data = config["data"] if config else {}
    facts = _provenance(run, archived)
    archived = facts["archived"]
    source = data.get("root") or (
        f"the synthetic ensemble `{data.get('synthetic_preset')}` (seed {data.get('seed')})"
    )
    lines = [
        "# avgan reproduction report",
        "",
        f"Preset `{config['preset'] if config else '?'}` on {source}, produced by "
        f"`{command}` on {facts['date']}"
        + (f" in {seconds / 3600:.2f} h" if seconds else "")
        + f" on {facts['cpu_count']} CPU cores (no GPU). Run folder: `{facts['run']}` (per-run "
        "`metrics.json`, `evaluation.json`, TensorBoard logs)."
        + (
            f" The summaries of the runs are kept in `{archived}`; "
            f"`python scripts/write_report.py {archived}` rebuilds this report from them."
            if archived
            else ""
        )
        + " Test = the validation split: recordings held out from training.",
        "",
    ]
    lines += encoders_section(run)
    try:
        table1 = table1_markdown(os.path.join(run, "table1"), "scripts/reproduce_table1.sh")
        lines += ["## " + table1.removeprefix("# "), ""]
    except FileNotFoundError:
        lines += ["## Table 1: sound classifier accuracy per representation", "", NOT_RUN, ""]
    lines += table5_section(run)
    figure = fig9(run, out)
    if figure:
        lines += [f"![Fig. 9]({os.path.basename(figure)})", ""]
    lines += i2s_section(run)
    curves = i2s_curves(run, out)
    if curves:
        lines += [f"![I2S accuracy]({os.path.basename(curves)})", ""]
    samples = copy_samples(run, out)
    for folder, name, _ in I2S_RUNS:
        if folder in samples:
            lines += [
                f"Fig. 11, {name}: log-mel spectrograms of held-out sounds, real (left) and "
                "generated from their pictures (right):",
                "",
                f"![Fig. 11, {name}]({samples[folder]})",
                "",
            ]
    lines += beyond_section(run)
    lines += recipes_section(out)
    lines += larger_data_section(out)
    lines += pose_section(run, out)
    lines += probe_section(out)
    i2s = {f for f, _, _ in I2S_RUNS}
    grids = [(n, f) for n, f in samples.items() if n not in i2s]
    if grids:
        lines += [
            "## Sample grids",
            "",
            "Held-out sounds: real picture (left), generated (right).",
            "",
        ]
        lines += [f"- {n}: ![{n}]({f})" for n, f in grids]
        lines.append("")
    if notes and os.path.exists(notes):
        with open(notes) as f:
            lines += [f.read().strip(), ""]
    text = "\n".join(lines)
    path = os.path.join(out, "REPORT.md")
    write_text(path, text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the run folder of scripts/reproduce.sh")
    parser.add_argument("--out", default="results")
    parser.add_argument(
        "--seconds",
        type=float,
        help="wall time of the whole reproduction, summed over resumed invocations "
        "(default: RUN/reproduce_seconds, which scripts/reproduce.sh keeps)",
    )
    parser.add_argument(
        "--archive",
        help="copy the runs' summaries (metrics, evaluation, run and config JSON) here, "
        "replacing what it held, so the report can be rebuilt from them",
    )
    parser.add_argument("--command", default="scripts/reproduce.sh")
    parser.add_argument(
        "--notes",
        default="results/report_notes.md",
        help="Markdown appended to the report when the file exists (the reading of the numbers)",
    )
    args = parser.parse_args()
    if not os.path.isdir(args.run):
        raise SystemExit(f"{args.run}: no such run folder")
    seconds = args.seconds
    spent = os.path.join(args.run, "reproduce_seconds")
    if seconds is None and os.path.exists(spent):
        with open(spent) as f:
            seconds = float(f.read())
    if args.archive:
        if os.path.realpath(args.archive) == os.path.realpath(args.run):
            raise SystemExit(f"--archive={args.archive} is the run folder being reported")
        archive(args.run, args.archive)
    print(report(args.run, args.out, seconds, args.command, args.notes, args.archive))


if __name__ == "__main__":
    main()
