"""`prepare`: build a blind rating study from per-method image folders.

Input layout (every source, one folder per method):

    DIR/<instrument>/<name>.{png,jpg,jpeg}     one picture per file, any size
    DIR/method.json                            optional: {"name": "S2I-C"}; else DIR's basename

The ground truth (`--ground_truth DIR`) uses the same layout; a Sub-URMP data-set root is
accepted too, in which case DIR/img/validation/ is used. Instruments are the folder names
found in every source. When all sources share at least `sets` file stems for an instrument
(pictures generated from the same validation sounds as the ground-truth frames), a set holds
the pictures with one common stem; otherwise each source's pictures are sampled on their own.

Output, STUDY/:

    images/<32 hex>.png     every picture re-encoded to a metadata-free PNG (and, by default,
                            resized to 64x64, the size of the paper's study), so neither the
                            file name, format, size nor embedded metadata tells the method
    study.json              sets, each set's (shuffled) image order and the method of every
                            image; read by `serve` and `summarize`, never served
"""

from __future__ import annotations

import datetime
import json
import os
import random
import secrets
import sys
from dataclasses import dataclass

from PIL import Image

STUDY_FILE = "study.json"
IMAGES_DIR = "images"
DB_FILE = "scores.sqlite"
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Source:
    """One method's pictures: name and {instrument: {stem: path}}."""

    name: str
    root: str
    images: dict[str, dict[str, str]]


def method_name(directory: str) -> str:
    """DIR/method.json's "name", else DIR's basename."""
    meta = os.path.join(directory, "method.json")
    if os.path.isfile(meta):
        with open(meta, encoding="utf-8") as f:
            name = json.load(f).get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{meta}: expected a non-empty string under 'name'")
        return name.strip()
    return os.path.basename(os.path.normpath(os.path.abspath(directory)))


def scan(directory: str, name: str | None = None) -> Source:
    """Reads DIR/<instrument>/<file> (or a Sub-URMP root's img/validation/)."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"not a directory: {directory}")
    root = directory
    sub_urmp = os.path.join(directory, "img", "validation")
    if os.path.isdir(sub_urmp):
        root = sub_urmp
    images: dict[str, dict[str, str]] = {}
    for instrument in sorted(os.listdir(root)):
        folder = os.path.join(root, instrument)
        if instrument.startswith(".") or not os.path.isdir(folder):
            continue
        files = {}
        for file in sorted(os.listdir(folder)):
            stem, ext = os.path.splitext(file)
            if ext.lower() in IMAGE_EXTENSIONS and os.path.isfile(os.path.join(folder, file)):
                files.setdefault(stem, os.path.join(folder, file))
        if files:
            images[instrument] = files
    if not images:
        raise ValueError(f"{directory}: no <instrument>/<name>.png|jpg pictures found")
    return Source(name or method_name(directory), os.path.abspath(root), images)


def _write_png(source: str, target: str, size: int) -> None:
    with Image.open(source) as im:
        im = im.convert("RGB")
        if size and im.size != (size, size):
            im = im.resize((size, size), Image.Resampling.LANCZOS)
        im.save(target, format="PNG")  # no info/EXIF/text chunks carried over


def prepare(
    models: list[str],
    out: str,
    ground_truth: str | None = None,
    sets: int = 10,
    seed: int | None = None,
    size: int = 64,
    instruments: list[str] | None = None,
    ground_truth_name: str = "ground truth",
    log=print,
) -> dict:
    """Builds STUDY (see the module docstring) and returns the study dict written to study.json.

    Args:
        models: one folder per method (`scan`).
        out: the study folder; must be new or empty.
        ground_truth: real pictures in the same layout, or a Sub-URMP root.
        sets: sets per instrument.
        seed: seeds the sets' choice and order; None draws one (recorded in study.json).
        size: every picture is resized to size x size; 0 keeps sizes.
        instruments: only these (each must be in every source); default: all common ones.
        ground_truth_name: the ground truth's method name.
        log: called with the one-line report.

    Returns:
        The study dict: sets, each set's images (id, file, method, source) in shown order.

    Raises:
        ValueError: bad --sets, clashing method names, fewer than two sources, an
            instrument missing, or too few pictures.
        FileNotFoundError: a source folder is missing.
        FileExistsError: `out` exists and is not empty.
    """
    if sets < 1:
        raise ValueError(f"--sets must be >= 1, got {sets}")
    sources = _sources(models, ground_truth, ground_truth_name)
    names = [s.name for s in sources]
    common = _common_instruments(sources, instruments, sets)
    if os.path.exists(out) and os.listdir(out):
        raise FileExistsError(f"{out} exists and is not empty")
    os.makedirs(os.path.join(out, IMAGES_DIR), exist_ok=True)

    seed = secrets.randbits(32) if seed is None else seed
    study_sets = _draw_sets(sources, common, sets, random.Random(seed), out, size)
    study = {
        "format_version": FORMAT_VERSION,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "image_size": size,
        "methods": names,
        "ground_truth": ground_truth_name if ground_truth else None,
        "sources": {s.name: s.root for s in sources},
        "instruments": common,
        "sets": study_sets,
    }
    tmp = os.path.join(out, STUDY_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(study, f, indent=1)
    os.replace(tmp, os.path.join(out, STUDY_FILE))
    n_images = sum(len(s["images"]) for s in study_sets)
    log(
        f"{out}: {len(study_sets)} sets ({sets} per instrument x {len(common)} instruments), "
        f"{n_images} images from {len(names)} sources: {', '.join(names)}"
    )
    return study


def _sources(models: list[str], ground_truth: str | None, ground_truth_name: str) -> list[Source]:
    """The scanned methods, then the ground truth; ValueError on clashing names or < 2."""
    sources = [scan(d) for d in models]
    if ground_truth:
        sources.append(scan(ground_truth, ground_truth_name))
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"method names must differ (basename or method.json): {names}")
    if len(sources) < 2:
        raise ValueError("need at least two sources (methods and/or --ground_truth)")
    return sources


def _common_instruments(
    sources: list[Source], instruments: list[str] | None, sets: int
) -> list[str]:
    """The instruments to rate: in every source (and in `instruments`), each with at least
    `sets` pictures per source. Says on stderr which ones are skipped; ValueError if none."""
    common = sorted(set.intersection(*(set(s.images) for s in sources)))
    if instruments:
        missing = sorted(set(instruments) - set(common))
        if missing:
            raise ValueError(f"instruments not found in every source: {missing}")
        common = [i for i in common if i in instruments]
    else:
        skipped = sorted(set.union(*(set(s.images) for s in sources)) - set(common))
        if skipped:
            print(f"skipping instruments missing from some source: {skipped}", file=sys.stderr)
    if not common:
        raise ValueError("no instrument is present in every source")
    counts = {f"{s.name}/{i}": len(s.images[i]) for i in common for s in sources}
    short = {key: n for key, n in counts.items() if n < sets}
    if short:
        raise ValueError(f"fewer than --sets={sets} pictures for: {short}")
    return common


def _draw_sets(sources: list[Source], common: list[str], sets: int, rng: random.Random,
               out: str, size: int) -> list[dict]:  # fmt: skip
    """Picks `sets` sets per instrument and writes their pictures; returns the sets."""
    study_sets = []
    for instrument in common:
        stems = sorted(set.intersection(*(set(s.images[instrument]) for s in sources)))
        paired = len(stems) >= sets
        if paired:
            chosen = rng.sample(stems, sets)
            picks = {s.name: chosen for s in sources}
        else:
            picks = {s.name: rng.sample(sorted(s.images[instrument]), sets) for s in sources}
        for k in range(sets):
            images = _write_set(sources, instrument, [picks[s.name][k] for s in sources], rng,
                                out, size)  # fmt: skip
            study_sets.append(
                {
                    "id": f"set-{len(study_sets) + 1:04d}",
                    "instrument": instrument,
                    "paired_by_stem": paired,
                    "images": images,
                }
            )
    return study_sets


def _write_set(sources: list[Source], instrument: str, stems: list[str], rng: random.Random,
               out: str, size: int) -> list[dict]:  # fmt: skip
    """One set: source i's picture `stems[i]` under a new opaque id, shuffled, written."""
    images = []
    for s, stem in zip(sources, stems, strict=True):
        image_id = secrets.token_hex(16)
        original = s.images[instrument][stem]
        file = f"{IMAGES_DIR}/{image_id}.png"
        images.append({"id": image_id, "file": file, "method": s.name, "source": original})
    rng.shuffle(images)
    for im in images:  # written in the shown order: file times tell nothing either
        _write_png(im["source"], os.path.join(out, im["file"]), size)
    return images


def load(study_dir: str) -> dict:
    """Reads and checks STUDY/study.json."""
    with open(os.path.join(study_dir, STUDY_FILE), encoding="utf-8") as f:
        study = json.load(f)
    if study.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{study_dir}: unsupported study format {study.get('format_version')}")
    ids = [im["id"] for s in study["sets"] for im in s["images"]]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{study_dir}: duplicate image ids in {STUDY_FILE}")
    return study
