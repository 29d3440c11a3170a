"""Shared pieces of the data-set builders (synthetic ensemble, URMP, INIS).

Every builder writes the same Sub-URMP layout: 16-bit mono 44.1 kHz WAV chunks and
quality-95 JPEG pictures, written atomically, a part file per finished unit (so a
killed build resumes), metadata/<split>.csv and a dataset.json summary whose
`problems` list every skipped input by path.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
import wave
import zlib

import numpy as np
from PIL import Image

from avgan.data.constants import CHUNK_SAMPLES, CHUNK_SECONDS, IMAGE_SIZE, SAMPLE_RATE
from avgan.data.files import atomic_path, write_bytes, write_text

# No TensorFlow at import: the synthetic builder's worker processes import this module.
SPLITS = ("train", "validation")


def wav_bytes(samples: np.ndarray) -> bytes:
    """[samples] float in [-1, 1] -> the bytes of a 16-bit mono WAV at 44.1 kHz."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())
    return buffer.getvalue()


def jpeg_bytes(pixels: np.ndarray) -> bytes:
    """[h, w, 3] uint8 -> the bytes of a quality-95 JPEG."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def held_out(names: list[str], key: str, seed: int, fraction: float) -> set[str]:
    """The names held out for validation: a seeded permutation's first round(fraction * n).

    At least one is held out as soon as there are two names, and at least one is kept
    for training. `key` (an instrument or category) gives each group its own stream,
    so adding a group leaves the others' splits unchanged.
    """
    n = len(names)
    if n < 2:
        return set()
    count = min(max(int(round(fraction * n)), 1), n - 1)
    rng = np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])
    order = rng.permutation(n)
    return {names[i] for i in order[:count]}


def problem(path: str, reason: str, line: int | None = None) -> dict:
    """One skipped input, as listed in dataset.json: path, (line,) reason."""
    entry = {"path": path}
    if line is not None:
        entry["line"] = line
    entry["reason"] = reason
    return entry


def format_problem(entry: dict) -> str:
    where = entry["path"] + (f":{entry['line']}" if "line" in entry else "")
    return f"{where}: {entry['reason']}"


def check_settings(root: str, record: dict, what: str) -> None:
    """Writes ROOT/.parts/settings.json, or refuses a ROOT built with other settings."""
    path = os.path.join(root, ".parts", "settings.json")
    if os.path.exists(path):
        with open(path) as f:
            found = json.load(f)
        if found != record:
            keys = sorted(k for k in set(found) | set(record) if found.get(k) != record.get(k))
            raise ValueError(
                f"{root} holds a build made with other settings or inputs (builder: {what}; "
                f"differs in: {', '.join(keys)}); choose another --out or delete it"
            )
        return
    write_text(path, json.dumps(record, indent=2))


def write_csv(path: str, rows: list[dict], columns: tuple[str, ...]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)


def read_part(path: str) -> dict | None:
    """A finished unit's part file, or None if the unit is not finished."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_pair(root: str, split: str, instrument: str, stem: str, pixels: np.ndarray,
               samples: np.ndarray) -> None:  # fmt: skip
    """Writes one image/chunk pair of the Sub-URMP layout, each file atomically."""
    write_bytes(os.path.join(root, "img", split, instrument, f"{stem}.jpg"), jpeg_bytes(pixels))
    write_bytes(os.path.join(root, "chunk", split, instrument, f"{stem}.wav"), wav_bytes(samples))


def finish(root: str, settings: dict, rows: list[dict], columns: tuple[str, ...],
           extra: dict) -> dict:  # fmt: skip
    """Writes metadata/<split>.csv and dataset.json from all rows; returns the summary."""
    counts: dict[str, dict[str, int]] = {split: {} for split in SPLITS}
    recordings: dict[str, set[str]] = {split: set() for split in SPLITS}
    for split in SPLITS:
        split_rows = [row for row in rows if row["split"] == split]
        write_csv(os.path.join(root, "metadata", f"{split}.csv"), split_rows, columns)
        for row in split_rows:
            counts[split][row["instrument"]] = counts[split].get(row["instrument"], 0) + 1
            recordings[split].add(row["recording"])
    summary = {
        "settings": settings,
        "pairs": {split: sum(c.values()) for split, c in counts.items()},
        "pairs_per_instrument": {split: dict(sorted(c.items())) for split, c in counts.items()},
        "recordings": {split: sorted(r) for split, r in recordings.items()},
        **extra,
    }
    write_text(os.path.join(root, "dataset.json"), json.dumps(summary, indent=2))
    if summary.get("problems"):
        listing = "\n".join("  " + format_problem(p) for p in summary["problems"])
        logging.warning("%s: %d problem(s):\n%s", root, len(summary["problems"]), listing)
    return summary


def format_report(summary: dict) -> str:
    """The build report: pairs per split and every problem, one per line."""
    lines = [
        f"pairs: {summary['pairs']['train']} train, {summary['pairs']['validation']} validation "
        f"(recordings: {len(summary['recordings']['train'])} train, "
        f"{len(summary['recordings']['validation'])} validation)"
    ]
    if "silent_chunks_dropped" in summary:
        lines.append(f"silent chunks dropped: {summary['silent_chunks_dropped']}")
    problems = summary.get("problems", [])
    lines.append(f"problems: {len(problems)}")
    lines += [f"  {format_problem(p)}" for p in problems]
    return "\n".join(lines)


def chunks_and_loudness(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Loads a recording at 44.1 kHz: ([chunks, 22050] float32, [chunks] dBFS).

    Raises:
        ValueError: naming the file: it does not decode or is shorter than one chunk.
    """
    from avgan.data import audio

    waveform = audio.load_audio(path, SAMPLE_RATE)
    if waveform.shape[0] < CHUNK_SAMPLES:
        raise ValueError(
            f"{path}: shorter than one {CHUNK_SECONDS} s chunk "
            f"({waveform.shape[0] / SAMPLE_RATE:.3f} s)"
        )
    chunks = audio.chunk_waveform(waveform)
    return chunks.numpy(), audio.dbfs(chunks).numpy()


def to_64(pixels: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """[h, w, 3] uint8 -> [size, size, 3] uint8, antialiased (`audio.resize_image`)."""
    from avgan.data import audio

    return audio.resize_image(pixels, size).numpy()


def run_command(main, define_flags, argv: list[str] | None = None, flags_parser=None) -> None:
    """A builder's command line: defines its absl flags, parses `argv` and runs `main`.

    Args:
        main: absl main of the builder; define_flags: defines its flags (once per process).
        argv: the program name, then the flags; default sys.argv.
        flags_parser: absl's flag parser, default `absl.app.parse_flags_with_usage`.
            The command lines (`avgan-data urmp|inis` and `python -m avgan.data.urmp|inis`,
            both through `avgan.data.cli.run_builder`) pass `avgan.cli.flags_parser`:
            help with exit 0, one-line errors, TensorFlow's log silenced.
    """
    from absl import app

    define_flags()
    parser = flags_parser or app.parse_flags_with_usage
    app.run(main, argv=sys.argv if argv is None else argv, flags_parser=parser)
