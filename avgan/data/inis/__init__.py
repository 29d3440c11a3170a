"""Build INIS-style pairs from image folders and solo recordings: `python -m avgan.data.inis`.

    python -m avgan.data.inis --images DIR --audio DIR --out DIR [--min_dbfs -40] [--seed 0]
                              [--validation_fraction 0.2]

INIS (the paper's second data set) pairs pictures of an instrument being played with
sound of the same instrument, by category only: there is no video. Input:

    IMAGES/<category>/*.jpg|*.jpeg|*.png     any category names (the paper: piano,
    AUDIO/<category>/*                       saxophone, violin, drum, guitar)

Audio files may be in any format `audio.load_audio` reads (WAV, FLAC, MP3). Per
category, the recordings are split 80/20 by recording and the images 80/20 the same
way (seeded from `seed`), so validation pairs use recordings and images never seen in
training. Each recording is cut into 0.5 s chunks at 44.1 kHz; chunks under `min_dbfs`
are dropped. The kept chunks of a split, in (recording, chunk) order, take the split's
images in turn from a seeded shuffle, cycling when the chunks outnumber the images.
Images are resized to 64x64 (`audio.resize_image`) and written as JPEG.

Output, for `--out ROOT` (the Sub-URMP layout, read by `avgan.data.layout.read_layout`):

    ROOT/img/{train,validation}/<category>/<category><NN>_<k>.jpg
    ROOT/chunk/{train,validation}/<category>/<category><NN>_<k>.wav
    ROOT/metadata/{train,validation}.csv     METADATA_COLUMNS
    ROOT/dataset.json                        settings, counts and problems

NN numbers a category's recordings in file-name order (a recording that does not
decode leaves a gap). Unreadable images and recordings, and categories found in only
one of the two folders, are listed by path in the summary's `problems` and skipped.
Each recording's files and then its part file in ROOT/.parts/ are written atomically;
rerunning a killed build redoes only the unfinished recordings.
"""

from __future__ import annotations

import json
import os
import time
import zlib

import numpy as np
from tqdm import tqdm

from avgan.data.builder import (
    SPLITS,
    check_settings,
    chunks_and_loudness,
    finish,
    format_report,
    held_out,
    problem,
    read_part,
    run_command,
    to_64,
    write_pair,
)
from avgan.data.constants import CHUNK_SECONDS, IMAGE_SIZE
from avgan.data.files import write_text

FORMAT_VERSION = 1
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
METADATA_COLUMNS = (
    "stem", "split", "instrument", "recording", "chunk", "onset", "dbfs", "image_source",
    "audio_source",
)  # fmt: skip


def _listdir(folder: str) -> list[str]:
    return sorted(n for n in os.listdir(folder) if not n.startswith("."))


def _categories(folder: str) -> set[str]:
    if not os.path.isdir(folder):
        raise ValueError(f"{folder}: no such folder")
    return {n for n in _listdir(folder) if os.path.isdir(os.path.join(folder, n))}


def _load_images(folder: str, problems: list[dict]) -> dict[str, np.ndarray]:
    """{file name: 64x64x3 uint8} of the readable images of one category folder."""
    from avgan.data import audio  # TensorFlow: loaded when a build starts, not on import

    images = {}
    for name in _listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            continue
        if not name.lower().endswith(IMAGE_EXTENSIONS):
            problems.append(problem(path, "not a .jpg/.jpeg/.png file; skipped"))
            continue
        try:
            images[name] = to_64(audio.load_image(path))
        except ValueError as e:
            problems.append(problem(path, str(e).removeprefix(f"{path}: ") + "; skipped"))
    return images


def build_inis(images_dir: str | os.PathLike, audio_dir: str | os.PathLike,
               out_dir: str | os.PathLike, *, min_dbfs: float = -40.0, seed: int = 0,
               validation_fraction: float = 0.2, progress: bool = True) -> dict:  # fmt: skip
    """Builds (or finishes building) INIS-style pairs in the Sub-URMP layout.

    Args:
        images_dir: IMAGES/<category>/ folders of JPEG/PNG pictures.
        audio_dir: AUDIO/<category>/ folders of solo recordings.
        out_dir: output folder; created if missing. Rerunning resumes a killed build.
        min_dbfs: chunks quieter than this are dropped as silence.
        seed: seeds the splits and the image order.
        validation_fraction: the share of each category's recordings (and images) held out.
        progress: show a progress bar over recordings.

    Returns:
        The summary written to ROOT/dataset.json: settings, pairs per split and
        category, and `problems` (path, reason).

    Raises:
        ValueError: a folder is missing, no category is in both, or out_dir holds a
            build with other settings or other input files.
    """
    images_dir = os.path.abspath(os.fspath(images_dir))
    audio_dir = os.path.abspath(os.fspath(audio_dir))
    root = os.path.abspath(os.fspath(out_dir))
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    categories, problems = _common_categories(images_dir, audio_dir)
    pictures, recordings, image_order = _plan(images_dir, audio_dir, categories, seed,
                                              validation_fraction, problems)  # fmt: skip
    settings = {
        "format_version": FORMAT_VERSION, "source": "inis", "min_dbfs": min_dbfs,
        "seed": seed, "validation_fraction": validation_fraction,
        "image_size": IMAGE_SIZE,
    }  # fmt: skip
    os.makedirs(os.path.join(root, ".parts"), exist_ok=True)
    check_settings(root, {
        "settings": settings, "recordings": recordings,
        "images": {f"{c}/{s}": names for (c, s), names in image_order.items()},
    }, "INIS")  # fmt: skip
    rows, silent, skipped = _build_recordings(
        root, audio_dir, images_dir, recordings, min_dbfs, image_order, pictures, problems, progress
    )
    return finish(root, settings, rows, METADATA_COLUMNS, {
        "categories": categories,
        "recordings_skipped": skipped,
        "silent_chunks_dropped": silent,
        "images": {f"{c}/{s}": len(names) for (c, s), names in sorted(image_order.items())},
        "problems": problems,
    })  # fmt: skip


def _common_categories(images_dir: str, audio_dir: str) -> tuple[list[str], list[dict]]:
    """(the categories in both folders, a problem per category in only one).

    Raises:
        ValueError: a folder is missing or no category is in both.
    """
    image_categories, audio_categories = _categories(images_dir), _categories(audio_dir)
    problems = [
        problem(os.path.join(images_dir, c), f"category {c!r} has images but no {audio_dir}/{c}/")
        for c in sorted(image_categories - audio_categories)
    ] + [
        problem(os.path.join(audio_dir, c), f"category {c!r} has audio but no {images_dir}/{c}/")
        for c in sorted(audio_categories - image_categories)
    ]  # fmt: skip
    categories = sorted(image_categories & audio_categories)
    if not categories:
        raise ValueError(f"no category has both {images_dir}/<category> and {audio_dir}/<category>")
    return categories, problems


def _plan(images_dir: str, audio_dir: str, categories: list[str], seed: int, fraction: float,
          problems: list[dict]) -> tuple[dict, list[dict], dict]:  # fmt: skip
    """The plan: each category's recordings (numbered, split) and each split's image order.

    Returns:
        ({category: {image file: 64x64x3 uint8}}, the recordings in (category, number)
        order, {(category, split): image files in the order chunks take them}); the
        unreadable images are appended to `problems`.
    """
    pictures: dict[str, dict[str, np.ndarray]] = {}
    recordings, image_order = [], {}
    for category in categories:
        pictures[category] = _load_images(os.path.join(images_dir, category), problems)
        names = sorted(pictures[category])
        validation_images = held_out(names, category + "/images", seed, fraction)
        files = [n for n in _listdir(os.path.join(audio_dir, category))
                 if os.path.isfile(os.path.join(audio_dir, category, n))]  # fmt: skip
        validation = held_out(files, category, seed, fraction)
        for s, split in enumerate(SPLITS):
            chosen = [n for n in names if (n in validation_images) == (split == "validation")]
            rng = np.random.default_rng([seed, zlib.crc32(category.encode("utf-8")), s])
            image_order[(category, split)] = [chosen[i] for i in rng.permutation(len(chosen))]
        for number, name in enumerate(files, start=1):
            recordings.append({
                "category": category, "file": name, "number": number,
                "recording": f"{category}{number:02d}",
                "split": "validation" if name in validation else "train",
            })  # fmt: skip
    return pictures, recordings, image_order


def _build_recordings(root: str, audio_dir: str, images_dir: str, recordings: list[dict],
                      min_dbfs: float, image_order: dict, pictures: dict, problems: list[dict],
                      progress: bool) -> tuple[list[dict], int, int]:  # fmt: skip
    """Builds the recordings without a part file; reads the others' back.

    Returns:
        (metadata rows, silent chunks dropped, recordings skipped); the skipped
        recordings' problems are appended to `problems`.
    """
    # Recordings in (category, number) order: a split's image cycle continues from the
    # kept chunks of the recordings before it, read back from their part files.
    used = {key: 0 for key in image_order}
    bar = tqdm(total=len(recordings), unit="recording", desc="INIS pairs", disable=not progress)
    rows, silent, skipped = [], 0, 0
    for rec in recordings:
        category, split = rec["category"], rec["split"]
        part_path = os.path.join(root, ".parts", f"{rec['recording']}.json")
        part = read_part(part_path)
        if part is None:
            part, error = _build_recording(root, audio_dir, images_dir, rec, min_dbfs,
                                           image_order[(category, split)],
                                           pictures[category], used[(category, split)])  # fmt: skip
            if error:
                problems.append(error)
                skipped += 1
            else:
                write_text(part_path, json.dumps(part))  # last: marks the recording done
        if part is not None:
            rows += part["rows"]
            silent += part["silent"]
            used[(category, split)] += len(part["rows"])
        bar.update()
    bar.close()
    return rows, silent, skipped


def _build_recording(root: str, audio_dir: str, images_dir: str, rec: dict, min_dbfs: float,
                     order: list[str], pictures: dict[str, np.ndarray],
                     start: int) -> tuple[dict | None, dict | None]:  # fmt: skip
    """Cuts one recording and writes its pairs. Returns (part, None) or (None, problem)."""
    category, split = rec["category"], rec["split"]
    path = os.path.join(audio_dir, category, rec["file"])
    try:
        chunks, loudness = chunks_and_loudness(path)
    except ValueError as e:
        return None, problem(path, str(e).removeprefix(f"{path}: ") + "; skipped")
    keep = [k for k, db in enumerate(loudness) if db >= min_dbfs]
    if keep and not order:
        return None, problem(path, f"no readable {split} image of category {category!r}; skipped")
    rows = []
    for i, k in enumerate(keep):
        image = order[(start + i) % len(order)]
        stem = f"{rec['recording']}_{k}"
        write_pair(root, split, category, stem, pictures[image], chunks[k])
        rows.append({
            "stem": stem, "split": split, "instrument": category,
            "recording": rec["recording"], "chunk": k,
            "onset": f"{k * CHUNK_SECONDS:.3f}", "dbfs": f"{loudness[k]:.2f}",
            "image_source": f"{category}/{image}", "audio_source": f"{category}/{rec['file']}",
        })  # fmt: skip
    return {"rows": rows, "chunks": len(chunks), "silent": len(chunks) - len(keep)}, None


# ---------------------------------------------------------------------------------------
# Command line.


def _define_flags():
    from absl import flags

    flags.DEFINE_string("images", None, "IMAGES/<category>/*.jpg|png folders.", required=True)
    flags.DEFINE_string("audio", None, "AUDIO/<category>/ solo recordings.", required=True)
    flags.DEFINE_string("out", None, "Output folder for the Sub-URMP layout.", required=True)
    flags.DEFINE_float("min_dbfs", -40.0, "Drop chunks quieter than this (dBFS).")
    flags.DEFINE_integer("seed", 0, "Seed of the splits and the image order.")
    flags.DEFINE_float("validation_fraction", 0.2, "Share of each category held out.")
    return flags.FLAGS


def _main(argv: list[str]) -> None:
    del argv
    from absl import flags

    f = flags.FLAGS
    start = time.perf_counter()
    summary = build_inis(f.images, f.audio, f.out, min_dbfs=f.min_dbfs, seed=f.seed,
                         validation_fraction=f.validation_fraction)  # fmt: skip
    print(f"built {f.out} in {time.perf_counter() - start:.1f} s")
    print(format_report(summary))


def run(argv: list[str] | None = None, flags_parser=None) -> None:
    """The command line (`python -m avgan.data.inis`, `avgan-data inis`): see
    `avgan.data.builder.run_command`."""
    run_command(_main, _define_flags, argv, flags_parser)
