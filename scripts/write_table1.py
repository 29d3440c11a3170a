#!/usr/bin/env python
"""Markdown for paper Table 1 from the metrics.json files of scripts/reproduce_table1.sh."""

from __future__ import annotations

import argparse
import json
import os

REPRESENTATIONS = ("cqt", "mfcc", "stft", "ms", "lms")  # the paper's column order
LABELS = {"cqt": "CQT", "mfcc": "MFCC", "stft": "STFT", "ms": "MS", "lms": "LMS"}
# The paper's LMS figures on Sub-URMP (the other cells are lost from its text).
PAPER = {(3, "lms"): "84.12%", (4, "lms"): "87.44%"}


def table1_markdown(runs: str, command: str = "scripts/reproduce_table1.sh") -> str:
    """The Table 1 section from RUNS/<representation>-<layers>/metrics.json.

    Raises:
        FileNotFoundError: no run under `runs` has finished.
    """
    results, settings = {}, None
    for rep in REPRESENTATIONS:
        for layers in (3, 4):
            path = os.path.join(runs, f"{rep}-{layers}", "metrics.json")
            if os.path.exists(path):
                with open(path) as f:
                    results[layers, rep] = json.load(f)
                with open(os.path.join(runs, f"{rep}-{layers}", "config.json")) as f:
                    settings = settings or json.load(f)
    if not results:
        raise FileNotFoundError(f"no metrics.json under {runs}")
    header = "| Accuracy | " + " | ".join(LABELS[r] for r in REPRESENTATIONS) + " |"
    lines = ["# Table 1: sound classifier accuracy per representation", "",
             header, "|---|" + "---|" * len(REPRESENTATIONS)]  # fmt: skip
    for layers in (3, 4):
        cells = []
        for rep in REPRESENTATIONS:
            r = results.get((layers, rep))
            cell = f"{100 * r['accuracy']:.2f}%" if r else "not run"
            if (layers, rep) in PAPER:
                cell += f" (paper {PAPER[layers, rep]})"
            cells.append(cell)
        lines.append(f"| {layers} layers | " + " | ".join(cells) + " |")
    seconds = sum(r["seconds"] for r in results.values())
    data = settings["data"]
    source = (
        data["root"] or f"synthetic ensemble `{data['synthetic_preset']}` (seed {data['seed']})"
    )
    per_run = ", ".join(
        f"{LABELS[rep]}-{layers} {results[layers, rep]['seconds'] / 60:.1f}"
        for layers in (4, 3)
        for rep in REPRESENTATIONS
        if (layers, rep) in results
    )
    lines += [
        "",
        f"Test accuracy on the validation split (held-out recordings) of {source}; "
        f"preset `{settings['preset']}`, {settings['train']['epochs']} epochs, batch "
        f"{settings['train']['batch_size']}, best epoch by validation accuracy. Training time, "
        f"all {len(results)} runs: {seconds / 60:.1f} min on {os.cpu_count()} CPU cores "
        f"(minutes per run: {per_run}; the representation is computed in the graph every "
        "epoch, and the direct CQT is the slowest).",
        f"Produced by `{command.strip()}`.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", help="folder holding <representation>-<layers>/metrics.json")
    parser.add_argument("--command", default="scripts/reproduce_table1.sh")
    args = parser.parse_args()
    try:
        print(table1_markdown(args.runs, args.command))
    except FileNotFoundError as e:
        raise SystemExit(str(e)) from e


if __name__ == "__main__":
    main()
