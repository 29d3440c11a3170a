"""`summarize`: the statistics of the paper's Fig. 8 from the stored scores.

Per method, over all instruments and per instrument: number of ratings, mean score, share of
3s and share of scores >= 2. Inter-rater agreement: Krippendorff's alpha with the ordinal
metric (see agreement.py), over all images and per method. Writes STUDY/summary.md,
STUDY/summary.json and a bar chart STUDY/summary.png (drawn with Pillow).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from avgan.humaneval import SCORES, store
from avgan.humaneval.agreement import krippendorff_alpha
from avgan.humaneval.study import DB_FILE, load

ALL = "all"


def stats(scores: list[int]) -> dict:
    """{"ratings", "mean", "share_3", "share_ge_2"} (None for no ratings)."""
    a = np.asarray(scores, dtype=float)
    if not len(a):
        return {"ratings": 0, "mean": None, "share_3": None, "share_ge_2": None}
    return {
        "ratings": int(len(a)),
        "mean": float(a.mean()),
        "share_3": float((a == 3).mean()),
        "share_ge_2": float((a >= 2).mean()),
    }


def alpha_of(rows: list[tuple[str, str, int]], images: list[str]) -> float | None:
    """Ordinal alpha over `images` from (rater, image_id, score) rows; None if undefined."""
    wanted = set(images)
    rows = [r for r in rows if r[1] in wanted]
    raters = sorted({r[0] for r in rows})
    if len(raters) < 2:
        return None
    column = {im: j for j, im in enumerate(images)}
    row = {r: i for i, r in enumerate(raters)}
    matrix = np.full((len(raters), len(images)), np.nan)
    for rater, image_id, score in rows:
        matrix[row[rater], column[image_id]] = score
    alpha = krippendorff_alpha(matrix, "ordinal", values=SCORES)
    return None if np.isnan(alpha) else alpha


def summarize(study_dir: str, db_path: str | None = None) -> dict:
    """Computes the summary dict (also what summary.json holds)."""
    study = load(study_dir)
    meta = {}  # image id -> (method, instrument, set id)
    for s in study["sets"]:
        for im in s["images"]:
            meta[im["id"]] = (im["method"], s["instrument"], s["id"])
    db_path = db_path or os.path.join(study_dir, DB_FILE)
    conn = store.connect(db_path)
    try:
        rows = [(r, i, sc) for r, _set, i, sc, _t in store.all_scores(conn) if i in meta]
    finally:
        conn.close()

    by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    for _rater, image_id, score in rows:
        method, instrument, _set = meta[image_id]
        by_key[method, instrument].append(score)
        by_key[method, ALL].append(score)
    methods = study["methods"]
    instruments = study["instruments"]
    per_method = {}
    for method in methods:
        images = [i for i, m in meta.items() if m[0] == method]
        per_method[method] = {
            "all": stats(by_key[method, ALL]),
            "alpha": alpha_of(rows, images),
            "instruments": {inst: stats(by_key[method, inst]) for inst in instruments},
        }
    raters: dict[str, dict] = {}
    for rater in sorted({r for r, _, _ in rows}):
        mine = {i for r, i, _ in rows if r == rater}
        complete = sum(all(im["id"] in mine for im in s["images"]) for s in study["sets"])
        raters[rater] = {"ratings": len(mine), "sets_scored": complete}
    return {
        "sets": len(study["sets"]),
        "instruments": instruments,
        "methods": methods,
        "ground_truth": study.get("ground_truth"),
        "ratings": len(rows),
        "raters": raters,
        "alpha_metric": "Krippendorff's alpha, ordinal metric, scores 0-3",
        "alpha": alpha_of(rows, list(meta)),
        "per_method": per_method,
    }


def _num(x, fmt="{:.2f}") -> str:
    return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else fmt.format(x)


def _pct(x) -> str:
    return _num(None if x is None else 100 * x, "{:.0f}%")


def markdown(summary: dict) -> str:
    """The summary as Markdown tables."""
    lines = [
        "# Human evaluation summary",
        "",
        f"{summary['sets']} sets, {len(summary['instruments'])} instruments, "
        f"{len(summary['methods'])} methods"
        + (f" (ground truth: {summary['ground_truth']})" if summary["ground_truth"] else "")
        + f"; {len(summary['raters'])} raters, {summary['ratings']} ratings.",
        "Scores (Table 4 of Chen et al. 2017): 3 realistic & match instrument, 2 realistic & "
        "mismatch instrument, 1 fair (player visible, instrument not), 0 unrealistic.",
        "",
        "## Per method, all instruments",
        "",
        "| Method | Ratings | Mean score | Score 3 | Score >= 2 | Alpha (ordinal) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for method, m in summary["per_method"].items():
        a = m["all"]
        lines.append(
            f"| {method} | {a['ratings']} | {_num(a['mean'])} | {_pct(a['share_3'])} "
            f"| {_pct(a['share_ge_2'])} | {_num(m['alpha'], '{:.3f}')} |"
        )
    lines += [
        "",
        "## Per method and instrument",
        "",
        "| Instrument | Method | Ratings | Mean score | Score 3 | Score >= 2 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for instrument in summary["instruments"]:
        for method, m in summary["per_method"].items():
            s = m["instruments"][instrument]
            lines.append(
                f"| {instrument} | {method} | {s['ratings']} | {_num(s['mean'])} "
                f"| {_pct(s['share_3'])} | {_pct(s['share_ge_2'])} |"
            )
    lines += [
        "",
        "## Inter-rater agreement",
        "",
        f"Krippendorff's alpha, ordinal metric over the scores 0-3 (images are the units, raters "
        f"the coders, missing ratings allowed): **{_num(summary['alpha'], '{:.3f}')}** over all "
        f"images; per method in the first table. 1 = perfect agreement, 0 = chance level; "
        f"n/a with fewer than two raters of the same images.",
        "",
        "## Raters",
        "",
        "| Rater | Sets scored | Ratings |",
        "|---|---:|---:|",
    ]
    for rater, v in summary["raters"].items():
        lines.append(f"| {rater} | {v['sets_scored']} | {v['ratings']} |")
    return "\n".join(lines) + "\n"


PALETTE = [(47, 111, 222), (214, 137, 16), (142, 68, 173), (192, 57, 43), (93, 109, 126)]
GROUND_TRUTH_COLOUR = (30, 132, 73)


def _label_lines(name: str, width: int = 9) -> list[str]:
    """A method name in at most two lines of about `width` characters."""
    words, lines = name.replace("_", " ").split(), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    lines = [line if len(line) <= width else line[: width - 1] + "." for line in lines]
    return lines[:2] if len(lines) <= 2 else [lines[0], lines[1][: width - 1] + "."]


def chart(summary: dict, path: str) -> None:
    """Three bar panels like Fig. 8: mean score, share of 3s, share of >= 2, one bar per method."""
    methods = summary["methods"]
    panels = [
        ("Mean score", "mean", 3.0, lambda v: f"{v:.2f}"),
        ("Score 3", "share_3", 1.0, lambda v: f"{100 * v:.0f}%"),
        ("Score >= 2", "share_ge_2", 1.0, lambda v: f"{100 * v:.0f}%"),
    ]
    bar_w, gap, pad = 46, 14, 48
    panel_w = max(220, len(methods) * (bar_w + gap) + gap + pad)
    width, height = 3 * panel_w + 20, 362
    top, plot_h = 56, 230
    font = ImageFont.load_default(size=13)
    title_font = ImageFont.load_default(size=17)
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    d.text((12, 8), "Human evaluation (Chen et al. 2017, Fig. 8 statistics)", "black", title_font)
    colours = {}
    for i, m in enumerate(methods):
        colours[m] = (
            GROUND_TRUTH_COLOUR if m == summary["ground_truth"] else PALETTE[i % len(PALETTE)]
        )
    for p, (title, key, vmax, label) in enumerate(panels):
        x0 = 10 + p * panel_w + pad
        y_base = top + plot_h
        d.text((x0, top - 22), title, "black", font)
        for t in range(5):
            y = y_base - plot_h * t / 4
            d.line([(x0, y), (x0 + panel_w - pad - 10, y)], (225, 225, 225))
            tick = f"{vmax * t / 4:.2f}" if vmax != 1.0 else f"{25 * t}%"
            d.text((x0 - 6, y), tick, (90, 90, 90), font, anchor="rm")
        d.line([(x0, top), (x0, y_base)], (60, 60, 60))
        for i, m in enumerate(methods):
            value = summary["per_method"][m]["all"][key]
            bx = x0 + gap + i * (bar_w + gap)
            if value is not None:
                h = plot_h * value / vmax
                d.rectangle([bx, y_base - h, bx + bar_w, y_base], colours[m])
                d.text((bx + bar_w / 2, y_base - h - 3), label(value), "black", font, anchor="md")
            for j, line in enumerate(_label_lines(m)):
                d.text((bx + bar_w / 2, y_base + 6 + 15 * j), line, "black", font, anchor="ma")
        d.line([(x0, y_base), (x0 + panel_w - pad - 10, y_base)], (60, 60, 60))
    legend = f"{summary['ratings']} ratings by {len(summary['raters'])} raters; ordinal alpha "
    legend += _num(summary["alpha"], "{:.3f}")
    d.text((12, height - 26), legend, (60, 60, 60), font)
    img.save(path)


def run(study_dir: str, db_path: str | None = None, log=print) -> dict:
    """Writes STUDY/summary.{md,json,png}; returns the summary."""
    summary = summarize(study_dir, db_path)
    text = markdown(summary)
    with open(os.path.join(study_dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(study_dir, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1, allow_nan=False)
    chart(summary, os.path.join(study_dir, "summary.png"))
    log(text)
    return summary
