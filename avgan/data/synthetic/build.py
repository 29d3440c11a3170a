"""Build the synthetic ensemble: render, cut, drop silence, draw, write the Sub-URMP layout.

Output, for `--out ROOT`:

    ROOT/img/{train,validation}/<instrument>/<instrument><NN>_<k>.jpg    64x64 RGB
    ROOT/chunk/{train,validation}/<instrument>/<instrument><NN>_<k>.wav  0.5 s, 44.1 kHz
    ROOT/metadata/{train,validation}.csv   one row per pair (METADATA_COLUMNS)
    ROOT/dataset.json                      the build's settings and counts

NN is the recording (01, 02, ...), k the chunk's position in the recording, so the
chunks dropped as silent leave gaps in k, as in Sub-URMP. Recordings are split
80/20 into train and validation, never one recording in both.

Each recording is one job: its files and a part file in ROOT/.parts/ are written
atomically, the part last, so a killed build resumes at the first unfinished
recording. Jobs run in `workers` spawned processes (no TensorFlow in them). A job
renders in a scratch folder ROOT/.render-<host>-<pid>-<8 characters>; those of killed
workers are removed when the next build starts (`remove_abandoned_scratch`).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import logging
import multiprocessing
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator

import numpy as np
from tqdm import tqdm

from avgan.data import builder
from avgan.data.constants import CHUNK_SAMPLES, IMAGE_SIZE, SAMPLE_RATE
from avgan.data.files import write_text
from avgan.data.synthetic import draw, render
from avgan.data.synthetic.instruments import INSTRUMENT_NAMES, instrument, pose_for
from avgan.data.synthetic.score import melody, sounding_at

SPLITS = builder.SPLITS
METADATA_COLUMNS = (
    "stem",
    "split",
    "instrument",
    "recording",
    "chunk",
    "onset",
    "pitch",
    "playing",
    "hand",
    "string",
    "bow",
    "fingering",
    "dbfs",
    "player",
    "room",
)
FORMAT_VERSION = 4
PLAYER_POOL = 16  # players shared by all instruments
ROOM_POOL = 12


@dataclasses.dataclass(frozen=True)
class BuildConfig:
    """What to build. Two builds with equal configs are byte-identical.

    Attributes:
        recordings: recordings (players) per instrument.
        seconds: length of each recording's melody.
        validation_recordings: how many of each instrument's recordings are held out
            (the last ones); default: 20% of them, at least one.
        min_dbfs: chunks quieter than this are dropped as silence.
    """

    preset: str = "small"
    seed: int = 0
    instruments: tuple[str, ...] = INSTRUMENT_NAMES
    recordings: int = 8
    seconds: float = 10.0
    validation_recordings: int | None = None
    min_dbfs: float = -40.0
    image_size: int = IMAGE_SIZE
    soundfont: str | None = None

    def held_out(self) -> int:
        if self.validation_recordings is not None:
            return self.validation_recordings
        return max(1, round(0.2 * self.recordings))


# `full` gives about the paper's 17,555 Sub-URMP pairs (13 x 40 x 40 chunks, some silent).
# Many short recordings rather than few long ones: more (player, room) scenes per
# instrument, so classifiers learn instruments, not the scenes. Measured with the image
# classifier (cpu preset, 10 epochs) on held-out recordings of the same audio amount:
# 8 recordings of 10 s: 54.5%; 32 of 2.5 s: 81.2%.
PRESETS: dict[str, dict] = {
    "tiny": dict(instruments=("cello", "flute", "trumpet"), recordings=2, seconds=4.0),
    "small": dict(recordings=32, seconds=2.5),
    "full": dict(recordings=40, seconds=20.0),
}


def preset_config(preset: str, **overrides) -> BuildConfig:
    """The BuildConfig of a named preset, with `overrides` applied."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; valid: {', '.join(PRESETS)}")
    fields = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    for name in fields.get("instruments", ()):
        instrument(name)  # validates the name
    return BuildConfig(preset=preset, **fields)


@dataclasses.dataclass(frozen=True)
class _Job:
    root: str
    config: BuildConfig
    instrument: str
    recording: int  # 1-based

    @property
    def name(self) -> str:
        return f"{self.instrument}{self.recording:02d}"

    @property
    def split(self) -> str:
        held_out = self.config.held_out()
        return "validation" if self.recording > self.config.recordings - held_out else "train"

    @property
    def part_path(self) -> str:
        return os.path.join(self.root, ".parts", f"{self.name}.csv")


def chunk_dbfs(chunks: np.ndarray) -> np.ndarray:
    """[..., samples] -> [...] dBFS, 20 log10(rms); as avgan.data.audio.dbfs, in NumPy."""
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(np.sqrt(np.mean(np.square(chunks, dtype=np.float64), axis=-1)))


def _build_recording(job: _Job) -> tuple[str, int, int]:
    """Renders, cuts, draws and writes one recording. Returns (name, kept, dropped)."""
    cfg = job.config
    inst = instrument(job.instrument)
    index = INSTRUMENT_NAMES.index(job.instrument)
    # Independent streams per recording: adding instruments or recordings to a config
    # leaves the others unchanged.
    score_rng, player_rng, camera_rng = (
        np.random.default_rng([cfg.seed, index, job.recording, stream]) for stream in range(3)
    )
    notes = melody(inst, cfg.seconds, score_rng)
    # Players and rooms come from pools shared by all instruments, so who plays and
    # where does not tell the instrument: a classifier must learn the instrument itself.
    # (With a player of its own per recording, a classifier reached 94% on training
    # pictures and 27% on held-out recordings: it had learned the players.)
    player_id = int(player_rng.integers(PLAYER_POOL))
    room_id = int(player_rng.integers(ROOM_POOL))
    player = draw.random_player(np.random.default_rng([cfg.seed, 1000, player_id]), job.instrument)
    room = draw.random_room(np.random.default_rng([cfg.seed, 2000, room_id]))

    with scratch_dir(job.root) as tmp:
        wav = render.render_notes(
            notes,
            inst.program,
            os.path.join(tmp, "take.wav"),
            sample_rate=SAMPLE_RATE,
            soundfont=cfg.soundfont,
        )
        waveform = render.read_mono_wav(wav)
    n_chunks = int(cfg.seconds * SAMPLE_RATE) // CHUNK_SAMPLES
    waveform = np.pad(waveform, (0, max(0, n_chunks * CHUNK_SAMPLES - len(waveform))))
    chunks = waveform[: n_chunks * CHUNK_SAMPLES].reshape(n_chunks, CHUNK_SAMPLES)
    loudness = chunk_dbfs(chunks)

    rows = []
    for k, (chunk, db) in enumerate(zip(chunks, loudness, strict=True)):
        jitter = tuple(camera_rng.uniform(-1.5, 1.5, size=2))  # drawn for every chunk
        if not db >= cfg.min_dbfs:
            continue
        onset = k * CHUNK_SAMPLES / SAMPLE_RATE
        now = sounding_at(notes, onset)
        pitch = now.note.pitch if now.note else None
        pose = pose_for(inst, pitch, now.fraction, now.index)
        pixels = draw.draw_frame(job.instrument, player, room, pose, jitter, cfg.image_size)
        stem = f"{job.name}_{k}"
        builder.write_pair(job.root, job.split, job.instrument, stem, pixels, chunk)
        rows.append(
            {
                "stem": stem,
                "split": job.split,
                "instrument": job.instrument,
                "recording": job.name,
                "chunk": k,
                "onset": f"{onset:.3f}",
                "pitch": -1 if pitch is None else pitch,
                **pose.as_dict(),
                "dbfs": f"{db:.2f}",
                "player": player_id,
                "room": room_id,
            }
        )
    builder.write_csv(job.part_path, rows, METADATA_COLUMNS)  # last: marks the recording done
    return job.name, len(rows), n_chunks - len(rows)


# A job's scratch folder in ROOT: the host and process that made it are in its name, so a
# later build can tell a killed worker's (its process gone) from a running build's.
_SCRATCH_PREFIX = ".render-"
_SCRATCH = re.compile(r"^\.render-(?P<host>.+)-(?P<pid>\d+)-[a-z0-9_]{8}$")
# How earlier builds named it (tempfile's default), so their leftovers go too.
_OLD_SCRATCH = re.compile(r"^tmp[a-z0-9_]{8}$")
# What a scratch folder can hold: the rendered take, and render_notes' own temporary
# folder (an _OLD_SCRATCH name) with the score and FluidSynth's output.
_SCRATCH_FILES = {"take.wav"}
_RENDER_FILES = {"score.mid", "out.wav"}


@contextlib.contextmanager
def scratch_dir(root: str) -> Iterator[str]:
    """A job's scratch folder in `root`, removed on exit (but not if the process is killed)."""
    prefix = f"{_SCRATCH_PREFIX}{socket.gethostname()}-{os.getpid()}-"
    with tempfile.TemporaryDirectory(dir=root, prefix=prefix) as tmp:
        yield tmp


def remove_abandoned_scratch(root: str) -> list[str]:
    """Removes from `root` the scratch folders of build workers that were killed.

    A folder is removed only if its name is a scratch folder's, it holds nothing but
    what a job writes there, and (for the names with a host and process id) the process
    that made it is not running on this host. Nothing else can match: a folder of
    another name, or holding any other file, is left alone.

    Returns:
        The removed folders.
    """
    removed = []
    host = socket.gethostname()
    for entry in sorted(os.scandir(root), key=lambda e: e.name) if os.path.isdir(root) else []:
        match = _SCRATCH.match(entry.name)
        if match:
            if match["host"] != host or _running(int(match["pid"])):
                continue
        elif not _OLD_SCRATCH.match(entry.name):
            continue
        if entry.is_dir(follow_symlinks=False) and _holds_only_scratch(entry.path):
            shutil.rmtree(entry.path)
            removed.append(entry.path)
    if removed:
        logging.info("removed %d scratch folder(s) of killed build workers", len(removed))
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, someone else's
    return True


def _holds_only_scratch(path: str) -> bool:
    """Whether `path` holds only a job's files (see _SCRATCH_FILES), at any stage."""
    for entry in os.scandir(path):
        if entry.is_symlink():
            return False
        if entry.is_file() and entry.name in _SCRATCH_FILES:
            continue
        if entry.is_dir() and _OLD_SCRATCH.match(entry.name):
            inner = list(os.scandir(entry.path))
            if all(e.is_file(follow_symlinks=False) and e.name in _RENDER_FILES for e in inner):
                continue
        return False
    return True


def _read_csv(path: str) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def build(
    root: str | os.PathLike, config: BuildConfig, workers: int = 2, progress: bool = True
) -> dict:
    """Builds (or finishes building) the synthetic ensemble in `root`.

    Args:
        root: output folder; created if missing.
        config: what to build.
        workers: processes rendering and drawing recordings in parallel.
        progress: show a progress bar over recordings.

    Returns:
        The summary written to ROOT/dataset.json: settings, and pair counts per split
        and instrument.

    Raises:
        ValueError: `root` holds a build with different settings.
        FileNotFoundError: fluidsynth or the soundfont is missing.
    """
    root = os.path.abspath(os.fspath(root))
    settings = {"format_version": FORMAT_VERSION, **dataclasses.asdict(config)}
    settings["instruments"] = list(config.instruments)
    summary_path = os.path.join(root, "dataset.json")
    settings_path = os.path.join(root, ".parts", "settings.json")
    for path in (summary_path, settings_path):
        if os.path.exists(path):
            with open(path) as f:
                found = json.load(f)
            found = found.get("settings", found)
            if found != settings:
                raise ValueError(
                    f"{root} holds a synthetic ensemble built with other settings "
                    f"({_settings_diff(found, settings)}); choose another --out or delete it"
                )
    remove_abandoned_scratch(root)
    if os.path.exists(summary_path):
        with open(summary_path) as f:
            return json.load(f)

    render.find_soundfont(config.soundfont)  # fail before any work if it is missing
    os.makedirs(os.path.join(root, ".parts"), exist_ok=True)
    write_text(settings_path, json.dumps(settings, indent=2))
    jobs = [
        _Job(root, config, name, r)
        for name in config.instruments
        for r in range(1, config.recordings + 1)
    ]
    todo = [job for job in jobs if not os.path.exists(job.part_path)]
    bar = tqdm(
        total=len(jobs),
        initial=len(jobs) - len(todo),
        unit="recording",
        desc="synthetic ensemble",
        disable=not progress,
    )
    if workers > 1 and len(todo) > 1:
        # spawn, not fork: the caller may have started TensorFlow's threads.
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for _ in pool.imap_unordered(_build_recording, todo):
                bar.update()
    else:
        for job in todo:
            _build_recording(job)
            bar.update()
    bar.close()

    rows = [row for job in jobs for row in _read_csv(job.part_path)]
    chunks_total = len(jobs) * (int(config.seconds * SAMPLE_RATE) // CHUNK_SAMPLES)
    return builder.finish(
        root, settings, rows, METADATA_COLUMNS, {"silent_chunks_dropped": chunks_total - len(rows)}
    )


def default_root(preset: str = "small", seed: int = 0) -> str:
    """Where the embedded default lives: $AVGAN_DATA_DIR or ~/.cache/avgan, per preset and seed."""
    base = os.environ.get("AVGAN_DATA_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "avgan"
    )
    # The format version is in the name: a preset whose definition changed builds anew.
    return os.path.join(base, f"synthetic-{preset}-seed{seed}-v{FORMAT_VERSION}")


def ensure_built(
    preset: str = "small", seed: int = 0, root: str | None = None, workers: int | None = None
) -> str:
    """The folder of the synthetic ensemble `preset`/`seed`, building it first if needed."""
    root = root or default_root(preset, seed)
    build(root, preset_config(preset, seed=seed), workers=workers or os.cpu_count() or 1)
    return root


def _settings_diff(found: dict, wanted: dict) -> str:
    keys = sorted(k for k in set(found) | set(wanted) if found.get(k) != wanted.get(k))
    return ", ".join(f"{k}: {found.get(k)!r} there, {wanted.get(k)!r} asked" for k in keys)
