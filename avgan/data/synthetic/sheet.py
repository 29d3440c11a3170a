"""A contact sheet of a built ensemble: every instrument, several recordings and pitches."""

from __future__ import annotations

import csv
import os

import numpy as np
from PIL import Image, ImageDraw

from avgan.data.files import atomic_path


def pick_samples(rows: list[dict], per_instrument: int) -> dict[str, list[dict]]:
    """Per instrument, `per_instrument` rows spread over recordings and pitches.

    Rows are taken round-robin over recordings, each time the one whose pitch is
    furthest from the pitches already picked, so the sheet shows pose changes.
    """
    by_instrument: dict[str, dict[str, list[dict]]] = {}
    for row in rows:
        by_instrument.setdefault(row["instrument"], {}).setdefault(row["recording"], []).append(row)
    picked: dict[str, list[dict]] = {}
    for name in sorted(by_instrument):
        recordings = [
            sorted(r, key=lambda row: int(row["chunk"])) for r in by_instrument[name].values()
        ]
        chosen: list[dict] = []
        while len(chosen) < per_instrument and any(recordings):
            for pool in recordings:
                if not pool or len(chosen) == per_instrument:
                    continue
                pitches = [int(c["pitch"]) for c in chosen]
                best = max(
                    pool,
                    key=lambda row: min((abs(int(row["pitch"]) - p) for p in pitches), default=0),
                )
                pool.remove(best)
                chosen.append(best)
        picked[name] = chosen
    return picked


def contact_sheet(root: str, out_png: str, per_instrument: int = 8, scale: int = 2) -> str:
    """Writes a grid PNG: a row per instrument, `per_instrument` pictures, labelled.

    Args:
        root: a built synthetic ensemble (reads metadata/*.csv and img/).
        out_png: where to write the sheet (atomically).
        scale: nearest-neighbour enlargement of the 64x64 pictures, for viewing.

    Returns:
        `out_png`.
    """
    rows: list[dict] = []
    for split in ("train", "validation"):
        path = os.path.join(root, "metadata", f"{split}.csv")
        if os.path.exists(path):
            with open(path, newline="") as f:
                rows += list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{root}: no metadata/*.csv; build the ensemble first")
    picked = pick_samples(rows, per_instrument)
    tiles = {
        name: [
            np.asarray(
                Image.open(os.path.join(root, "img", r["split"], name, r["stem"] + ".jpg")).convert(
                    "RGB"
                )
            )
            for r in chosen
        ]
        for name, chosen in picked.items()
    }
    size = next(iter(tiles.values()))[0].shape[0] * scale
    label_w, caption_h = 90, 12
    sheet = Image.new(
        "RGB", (label_w + per_instrument * size, len(tiles) * (size + caption_h)), "white"
    )
    pen = ImageDraw.Draw(sheet)
    for i, (name, images) in enumerate(tiles.items()):
        y = i * (size + caption_h)
        pen.text((4, y + size // 2 - 6), name, fill="black")
        for j, (pixels, row) in enumerate(zip(images, picked[name], strict=True)):
            tile = Image.fromarray(pixels).resize((size, size), Image.NEAREST)
            sheet.paste(tile, (label_w + j * size, y))
            pitch = "rest" if int(row["pitch"]) < 0 else f"p{row['pitch']}"
            pen.text(
                (label_w + j * size + 2, y + size), f"{row['recording'][-2:]} {pitch}", fill="black"
            )
    with atomic_path(out_png) as tmp:
        sheet.save(tmp, "PNG")
    return out_png
