"""Build the Sub-URMP layout from a raw URMP download: `python -m avgan.data.urmp`.

    python -m avgan.data.urmp --urmp DIR --out DIR [--min_dbfs -40] [--crop equal|none|FILE.json]
                              [--seed 0] [--validation_fraction 0.2] [--workers 1]

URMP (Li et al., 2016) holds one folder per piece, e.g. `01_Jupiter_vn_vc/`, with the
video `Vid_01_Jupiter_vn_vc.mp4`, one separated 48 kHz track per player
`AuSep_<n>_<code>_01_Jupiter.wav`, its notes `Notes_<n>_<code>_01_Jupiter.txt`, and
files this builder does not use (AuMix, F0s, Sco). Per separated track:

- the audio is read with `audio.load_audio` (resampled to 44.1 kHz, mono) and cut into
  0.5 s chunks; chunks under `min_dbfs` are dropped as silence (the stems keep gaps);
- the image of chunk k is the first video frame at or after k * 0.5 s (the video is
  decoded once per piece, sequentially), cropped to the player's region, resized to
  64x64 (`audio.resize_image`) and saved as JPEG. Crop `equal`: n equal vertical strips
  left to right, player n in strip n (URMP seats its players left to right in track
  order); `none`: the whole frame; a JSON file: {piece folder: [[x0, y0, x1, y1], ...]},
  fractional boxes per track (pieces missing from the file fall back to `equal`, and
  the fallback is reported);
- the pitch of a chunk is the MIDI number of the note sounding at its start, from the
  Notes file (-1 in a rest).

The Notes format, as found in independent public URMP readers (they parse column 2
with 69 + 12 log2(f / 440)): one note per line, whitespace-separated (the release uses
tabs), `onset_seconds  pitch  duration_seconds`, where pitch is the note's fundamental
frequency in Hz (e.g. 293.665 for D4), not a MIDI number. To be robust to files
written the other way, a Notes file whose every pitch is an integer in 0..127 is read
as MIDI numbers; any other file as Hz, rounded to the nearest MIDI number. A line that
is not three finite numbers (onset >= 0, pitch > 0, duration >= 0) is reported with
its line number and skipped; the rest of the file is used.

Output, for `--out ROOT` (read by `avgan.data.layout.read_layout`):

    ROOT/img/{train,validation}/<instrument>/<instrument><NN>_<k>.jpg   64x64 RGB
    ROOT/chunk/{train,validation}/<instrument>/<instrument><NN>_<k>.wav 0.5 s, 44.1 kHz
    ROOT/metadata/{train,validation}.csv   METADATA_COLUMNS, one row per pair
    ROOT/dataset.json                      settings, counts, tracks and problems

NN numbers the tracks of an instrument across pieces in (piece folder, track) order,
counting every AuSep file found, so a track skipped for bad input leaves a gap. Tracks
are split 80/20 per instrument by a permutation seeded from `seed` (one held out as soon
as an instrument has two tracks), never one track in both splits.

Each track's files and then its part file in ROOT/.parts/ are written atomically, so
rerunning a killed build redoes only unfinished tracks. Bad input (a missing or
unreadable video, audio that does not decode or is shorter than one chunk, a malformed
Notes line, a piece folder without tracks) is listed by path in the summary's
`problems`; the affected track (for Notes: only the line) is skipped and the rest of
the build completes.
"""

from __future__ import annotations

import dataclasses
import json
import math
import multiprocessing
import os
import re
import time

import av
import numpy as np
from tqdm import tqdm

from avgan.data.builder import (
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
from avgan.data.constants import CHUNK_SAMPLES as CHUNK_SAMPLES  # re-exported
from avgan.data.constants import CHUNK_SECONDS, IMAGE_SIZE
from avgan.data.files import write_text

FORMAT_VERSION = 1
INSTRUMENT_CODES = {
    "vn": "violin", "va": "viola", "vc": "cello", "db": "double_bass", "fl": "flute",
    "ob": "oboe", "cl": "clarinet", "sax": "sax", "bn": "bassoon", "tpt": "trumpet",
    "hn": "horn", "tbn": "trombone", "tba": "tuba",
}  # fmt: skip
METADATA_COLUMNS = (
    "stem", "split", "instrument", "recording", "chunk", "onset", "pitch", "dbfs",
    "piece", "track",
)  # fmt: skip
_AUSEP = re.compile(r"^AuSep_(?P<track>\d+)_(?P<code>[A-Za-z]+)_(?P<rest>.+)\.wav$", re.I)
_TIME_EPS = 1e-6  # frame times are rationals; 0.5 s may come back as 0.49999999


# ---------------------------------------------------------------------------------------
# Notes files.


@dataclasses.dataclass(frozen=True)
class Note:
    onset: float
    pitch: int  # MIDI
    duration: float


def read_notes(path: str) -> tuple[list[Note], list[dict]]:
    """Parses a URMP Notes file (module docstring). Returns (notes, problems per bad line).

    Raises:
        ValueError: naming the file: it cannot be read.
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise ValueError(f"{path}: cannot read Notes file ({e.strerror})") from e
    parsed, problems = [], []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        fields = text.replace(",", " ").split()
        reason = None
        if len(fields) != 3:
            reason = f"expected 3 numbers (onset, pitch, duration), found {len(fields)} fields"
        else:
            try:
                onset, pitch, duration = (float(x) for x in fields)
            except ValueError:
                reason = f"not a number in {text!r}"
            else:
                if not all(math.isfinite(x) for x in (onset, pitch, duration)):
                    reason = f"non-finite value in {text!r}"
                elif onset < 0 or duration < 0 or pitch <= 0:
                    reason = f"out of range (onset >= 0, pitch > 0, duration >= 0): {text!r}"
        if reason:
            problems.append(problem(path, f"malformed Notes line skipped: {reason}", number))
        else:
            parsed.append((onset, pitch, duration))
    is_midi = all(p == round(p) and 0 <= p <= 127 for _, p, _ in parsed)
    notes = [
        Note(onset, int(round(p)) if is_midi else hz_to_midi(p), duration)
        for onset, p, duration in parsed
    ]
    return sorted(notes, key=lambda n: n.onset), problems


def hz_to_midi(hz: float) -> int:
    return int(round(69.0 + 12.0 * math.log2(hz / 440.0)))


def pitch_at(notes: list[Note], t: float) -> int:
    """MIDI pitch of the note sounding at time t (the latest started), or -1 in a rest."""
    pitch = -1
    for note in notes:  # sorted by onset, so the latest started note wins
        if note.onset > t + _TIME_EPS:
            break
        if t < note.onset + note.duration - _TIME_EPS:
            pitch = note.pitch
    return pitch


# ---------------------------------------------------------------------------------------
# Discovery and planning.


@dataclasses.dataclass(frozen=True)
class Track:
    piece: str  # the piece folder's name, e.g. '01_Jupiter_vn_vc'
    track: int  # the player's number n, 1-based
    code: str
    wav: str
    notes: str | None
    number: int = 0  # NN
    split: str = "train"

    @property
    def instrument(self) -> str:
        return INSTRUMENT_CODES[self.code]

    @property
    def recording(self) -> str:
        return f"{self.instrument}{self.number:02d}"

    @property
    def part_name(self) -> str:
        return f"{self.piece}__{self.track}.json"


@dataclasses.dataclass(frozen=True)
class Piece:
    name: str
    folder: str
    video: str  # expected path; may not exist
    players: int
    tracks: tuple[Track, ...]


def discover(urmp_dir: str) -> tuple[list[Piece], list[dict]]:
    """Finds the piece folders and their AuSep tracks. Returns (pieces, problems)."""
    if not os.path.isdir(urmp_dir):
        raise ValueError(f"{urmp_dir}: no such folder (--urmp expects the URMP download)")
    pieces, problems = [], []
    for name in sorted(os.listdir(urmp_dir)):
        folder = os.path.join(urmp_dir, name)
        if name.startswith(".") or not os.path.isdir(folder):
            continue
        files = sorted(f for f in os.listdir(folder) if not f.startswith("."))
        tracks = []
        for file in files:
            match = _AUSEP.match(file)
            if not match:
                continue
            code = match["code"].lower()
            path = os.path.join(folder, file)
            if code not in INSTRUMENT_CODES:
                problems.append(problem(path, f"unknown instrument code {code!r}; track skipped"))
                continue
            notes = os.path.join(
                folder, f"Notes_{match['track']}_{match['code']}_{match['rest']}.txt"
            )
            if not os.path.exists(notes):
                others = [f for f in files if f.startswith(f"Notes_{match['track']}_")]
                notes = os.path.join(folder, others[0]) if len(others) == 1 else None
            tracks.append(Track(name, int(match["track"]), code, path, notes))
        if not tracks:
            problems.append(problem(folder, "piece folder has no AuSep_<n>_<code>_*.wav track"))
            continue
        video = os.path.join(folder, f"Vid_{name}.mp4")
        if not os.path.exists(video):
            videos = [f for f in files if f.lower().endswith(".mp4")]
            video = os.path.join(folder, videos[0]) if len(videos) == 1 else video
        codes = [t for t in name.split("_")[1:] if t.lower() in INSTRUMENT_CODES]
        players = max(len(codes), max(t.track for t in tracks))
        pieces.append(Piece(name, folder, video, players, tuple(tracks)))
    return pieces, problems


def plan(pieces: list[Piece], seed: int, fraction: float) -> list[Piece]:
    """Numbers every track per instrument (NN) and assigns its split."""
    by_instrument: dict[str, list[tuple[str, int]]] = {}
    for piece in pieces:
        for t in sorted(piece.tracks, key=lambda t: t.track):
            by_instrument.setdefault(t.instrument, []).append((piece.name, t.track))
    number, split = {}, {}
    for instrument, keys in by_instrument.items():
        names = [f"{p}__{n}" for p, n in keys]
        validation = held_out(names, instrument, seed, fraction)
        for i, (key, name) in enumerate(zip(keys, names, strict=True), start=1):
            number[key] = i
            split[key] = "validation" if name in validation else "train"
    return [
        dataclasses.replace(
            piece,
            tracks=tuple(
                dataclasses.replace(
                    t, number=number[(piece.name, t.track)], split=split[(piece.name, t.track)]
                )
                for t in sorted(piece.tracks, key=lambda t: t.track)
            ),
        )  # fmt: skip
        for piece in pieces
    ]


def read_crop(crop: str) -> tuple[str, dict[str, list[list[float]]] | None]:
    """('equal' | 'none' | 'file', boxes per piece for 'file'). ValueError on a bad file."""
    if crop in ("equal", "none"):
        return crop, None
    try:
        with open(crop) as f:
            boxes = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"--crop {crop}: not 'equal', 'none' or a readable JSON file ({e})") from e
    if not isinstance(boxes, dict):
        raise ValueError(f"{crop}: expected {{piece folder: [[x0, y0, x1, y1], ...]}}")
    for piece, entries in boxes.items():
        for box in entries if isinstance(entries, list) else [None]:
            ok = isinstance(box, list) and len(box) == 4
            ok = ok and all(isinstance(v, (int, float)) for v in box)
            if not ok or not (0 <= box[0] < box[2] <= 1 and 0 <= box[1] < box[3] <= 1):
                raise ValueError(
                    f"{crop}: {piece}: {box!r} is not a fractional box [x0, y0, x1, y1] "
                    "with 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1"
                )
    return "file", boxes


def crop_box(piece: Piece, track: int, mode: str, boxes: dict | None) -> tuple[float, ...]:
    """The fractional region (x0, y0, x1, y1) of player `track` in the piece's video."""
    if mode == "file" and piece.name in boxes and track <= len(boxes[piece.name]):
        return tuple(boxes[piece.name][track - 1])
    if mode == "none" or piece.players <= 1:
        return (0.0, 0.0, 1.0, 1.0)
    return ((track - 1) / piece.players, 0.0, track / piece.players, 1.0)


def crop_pixels(frame: np.ndarray, box: tuple[float, ...]) -> np.ndarray:
    height, width = frame.shape[:2]
    x0, x1 = int(round(box[0] * width)), int(round(box[2] * width))
    y0, y1 = int(round(box[1] * height)), int(round(box[3] * height))
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    return frame[y0:y1, x0:x1]


# ---------------------------------------------------------------------------------------
# One piece: its unfinished tracks.


@dataclasses.dataclass(frozen=True)
class _Job:
    root: str
    piece: Piece
    tracks: tuple[Track, ...]  # the unfinished ones
    min_dbfs: float
    crop_mode: str
    crop_boxes: dict | None


def first_frames(video: str, times: list[float], on_frame) -> float | None:
    """Decodes `video` once, calling on_frame(i, rgb) with the first frame at or after
    times[i] (sorted). Returns the time of the last frame decoded, or None if none.

    Raises:
        ValueError: naming the file: it cannot be opened or decoded, or has no video.
    """
    if not os.path.exists(video):
        raise ValueError(f"{video}: video file missing")
    last = None
    try:
        with av.open(video) as container:
            if not container.streams.video:
                raise ValueError(f"{video}: no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            start = 0.0
            if stream.start_time is not None and stream.time_base is not None:
                start = float(stream.start_time * stream.time_base)
            rate = float(stream.average_rate or 25)
            i = 0
            for index, frame in enumerate(container.decode(stream)):
                t = float(frame.time) - start if frame.time is not None else index / rate
                last = t
                rgb = None
                while i < len(times) and t >= times[i] - _TIME_EPS:
                    rgb = rgb if rgb is not None else frame.to_ndarray(format="rgb24")
                    on_frame(i, rgb)
                    i += 1
                if i == len(times):
                    break
    except (av.error.FFmpegError, OSError) as e:
        reason = getattr(e, "strerror", None) or str(e)  # strerror: without the path again
        raise ValueError(f"{video}: cannot decode video ({reason})") from e
    return last


def _build_piece(job: _Job) -> list[tuple[Track, dict | None, list[dict]]]:
    """Builds a piece's unfinished tracks. Returns [(track, part or None, problems)];
    a track with a part is finished (its problems are in the part), None is skipped."""
    loaded = {}  # track -> (chunks, dbfs, keep, pitches, problems)
    results = []
    for t in job.tracks:
        problems = []
        try:
            chunks, loudness = chunks_and_loudness(t.wav)
        except ValueError as e:
            results.append((t, None, [problem(t.wav, str(e).removeprefix(f"{t.wav}: ")
                                              + "; track skipped")]))  # fmt: skip
            continue
        notes = []
        if t.notes is None:
            problems.append(problem(t.wav, "no Notes file for this track; pitch -1"))
        else:
            try:
                notes, bad_lines = read_notes(t.notes)
                problems += bad_lines
            except ValueError as e:
                problems.append(problem(t.notes, str(e).removeprefix(f"{t.notes}: ")))
        keep = [k for k, db in enumerate(loudness) if db >= job.min_dbfs]
        pitches = {k: pitch_at(notes, k * CHUNK_SECONDS) for k in keep}
        loaded[t] = (chunks, loudness, keep, pitches, problems)

    needed = sorted({k for (_, _, keep, _, _) in loaded.values() for k in keep})
    times = [k * CHUNK_SECONDS for k in needed]
    boxes = {t: crop_box(job.piece, t.track, job.crop_mode, job.crop_boxes) for t in loaded}
    images: dict[Track, dict[int, np.ndarray]] = {t: {} for t in loaded}

    def on_frame(i: int, rgb: np.ndarray) -> None:
        k = needed[i]
        for t, (_, _, keep, _, _) in loaded.items():
            if k in keep:
                images[t][k] = to_64(crop_pixels(rgb, boxes[t]))

    last = None
    if times:
        try:
            last = first_frames(job.piece.video, times, on_frame)
        except ValueError as e:
            reason = str(e).removeprefix(f"{job.piece.video}: ")
            names = ", ".join(os.path.basename(t.wav) for t in loaded)
            entry = problem(job.piece.video, f"{reason}; tracks skipped: {names}")
            return results + [(t, None, [entry]) for t in loaded]

    for t, (chunks, loudness, keep, pitches, problems) in loaded.items():
        rows = []
        missing = [k for k in keep if k not in images[t]]
        if missing:
            ends = "has no frames" if last is None else f"ends at {last:.3f} s"
            problems.append(problem(job.piece.video, (
                f"video {ends}: {len(missing)} chunk(s) of {os.path.basename(t.wav)} from "
                f"{missing[0] * CHUNK_SECONDS:.1f} s have no frame and were dropped"
            )))  # fmt: skip
        for k in keep:
            if k not in images[t]:
                continue
            stem = f"{t.recording}_{k}"
            write_pair(job.root, t.split, t.instrument, stem, images[t][k], chunks[k])
            rows.append({
                "stem": stem, "split": t.split, "instrument": t.instrument,
                "recording": t.recording, "chunk": k,
                "onset": f"{k * CHUNK_SECONDS:.3f}", "pitch": pitches[k],
                "dbfs": f"{loudness[k]:.2f}", "piece": t.piece, "track": t.track,
            })  # fmt: skip
        part = {
            "piece": t.piece, "track": t.track, "recording": t.recording, "split": t.split,
            "chunks": len(chunks), "kept": len(rows), "silent": len(chunks) - len(keep),
            "no_frame": len(missing), "rows": rows, "problems": problems,
        }  # fmt: skip
        write_text(os.path.join(job.root, ".parts", t.part_name), json.dumps(part))  # last
        results.append((t, part, problems))
    return results


# ---------------------------------------------------------------------------------------
# The build.


def build_urmp(urmp_dir: str | os.PathLike, out_dir: str | os.PathLike, *,
               min_dbfs: float = -40.0, crop: str = "equal", seed: int = 0,
               validation_fraction: float = 0.2, workers: int = 1,
               progress: bool = True) -> dict:  # fmt: skip
    """Builds (or finishes building) the Sub-URMP layout from a raw URMP download.

    Args:
        urmp_dir: the folder holding the piece folders (01_Jupiter_vn_vc/, ...).
        out_dir: output folder; created if missing. Rerunning resumes a killed build.
        min_dbfs: chunks quieter than this are dropped as silence.
        crop: 'equal', 'none' or a JSON file of fractional boxes (module docstring).
        seed: the split's seed.
        validation_fraction: the share of each instrument's tracks held out.
        workers: processes building pieces in parallel (each loads TensorFlow).
        progress: show a progress bar over tracks.

    Returns:
        The summary written to ROOT/dataset.json: settings, pairs per split and
        instrument, tracks, dropped chunks and `problems` (path, line, reason).

    Raises:
        ValueError: urmp_dir is missing, `crop` is invalid, or out_dir holds a build
            with other settings or another track list.
    """
    urmp_dir = os.path.abspath(os.fspath(urmp_dir))
    root = os.path.abspath(os.fspath(out_dir))
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    crop_mode, crop_boxes = read_crop(crop)
    pieces, problems = _discover_and_plan(urmp_dir, crop, crop_mode, crop_boxes, seed,
                                          validation_fraction)  # fmt: skip
    tracks = [t for piece in pieces for t in piece.tracks]
    settings = {
        "format_version": FORMAT_VERSION, "source": "urmp", "min_dbfs": min_dbfs,
        "crop": crop if crop_mode != "file" else os.path.abspath(crop), "seed": seed,
        "validation_fraction": validation_fraction, "image_size": IMAGE_SIZE,
    }  # fmt: skip
    os.makedirs(os.path.join(root, ".parts"), exist_ok=True)
    check_settings(root, {"settings": {**settings, "crop_boxes": crop_boxes},
                          "tracks": [_track_fields(t) for t in tracks]}, "URMP")  # fmt: skip
    jobs = _unfinished_jobs(root, pieces, min_dbfs, crop_mode, crop_boxes)
    skipped = _run_jobs(jobs, len(tracks), workers, progress)
    rows, track_report, silent, no_frame = _read_parts(root, tracks, skipped, problems)
    return finish(root, settings, rows, METADATA_COLUMNS, {
        "tracks": track_report,
        "tracks_built": sum(1 for t in track_report if t["status"] == "built"),
        "tracks_skipped": sum(1 for t in track_report if t["status"] == "skipped"),
        "silent_chunks_dropped": silent,
        "chunks_without_frame": no_frame,
        "problems": problems,
    })  # fmt: skip


def _discover_and_plan(urmp_dir: str, crop: str, crop_mode: str, crop_boxes: dict | None,
                       seed: int, fraction: float) -> tuple[list[Piece], list[dict]]:  # fmt: skip
    """The planned pieces (`plan`) and the problems found so far, crop-file misses last."""
    pieces, problems = discover(urmp_dir)
    if crop_mode == "file":
        problems += [
            problem(p.folder, f"not in the crop file {crop}; equal strips used")
            for p in pieces
            if p.name not in crop_boxes
        ]
    return plan(pieces, seed, fraction), problems


def _track_fields(t: Track) -> dict:
    """How dataset.json and the settings record name a track."""
    return {"piece": t.piece, "track": t.track, "instrument": t.instrument,
            "recording": t.recording, "split": t.split}  # fmt: skip


def _unfinished_jobs(root: str, pieces: list[Piece], min_dbfs: float, crop_mode: str,
                     crop_boxes: dict | None) -> list[_Job]:  # fmt: skip
    """One job per piece with tracks that have no part file yet."""
    parts_dir = os.path.join(root, ".parts")
    jobs = []
    for piece in pieces:
        todo = tuple(
            t for t in piece.tracks if not os.path.exists(os.path.join(parts_dir, t.part_name))
        )
        if todo:
            jobs.append(_Job(root, piece, todo, min_dbfs, crop_mode, crop_boxes))
    return jobs


def _run_jobs(jobs: list[_Job], n_tracks: int, workers: int,
              progress: bool) -> dict[tuple[str, int], list[dict]]:  # fmt: skip
    """Builds the jobs' pieces. Returns {(piece, track): problems} of the skipped tracks."""
    bar = tqdm(total=n_tracks, initial=n_tracks - sum(len(j.tracks) for j in jobs),
               unit="track", desc="URMP -> Sub-URMP", disable=not progress)  # fmt: skip
    skipped: dict[tuple[str, int], list[dict]] = {}
    if workers > 1 and len(jobs) > 1:
        # spawn, not fork: the caller may have started TensorFlow's threads.
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            outcomes = pool.imap_unordered(_build_piece, jobs)
            for results in outcomes:
                _collect(results, skipped)
                bar.update(len(results))
    else:
        for job in jobs:
            results = _build_piece(job)
            _collect(results, skipped)
            bar.update(len(results))
    bar.close()
    return skipped


def _read_parts(root: str, tracks: list[Track], skipped: dict,
                problems: list[dict]) -> tuple[list[dict], list[dict], int, int]:  # fmt: skip
    """Reads every track's part file back, in track order; appends their problems.

    Returns:
        (metadata rows, the tracks' report, silent chunks dropped, chunks without frame).
    """
    rows, track_report = [], []
    silent = no_frame = 0
    for t in tracks:
        part = read_part(os.path.join(root, ".parts", t.part_name))
        entry = _track_fields(t)
        if part is None:
            problems += skipped.get((t.piece, t.track), [])
            track_report.append({**entry, "status": "skipped"})
            continue
        rows += part["rows"]
        problems += part["problems"]
        silent += part["silent"]
        no_frame += part["no_frame"]
        track_report.append({**entry, "status": "built", "chunks": part["chunks"],
                             "kept": part["kept"], "silent": part["silent"]})  # fmt: skip
    return rows, track_report, silent, no_frame


def _collect(results, skipped: dict) -> None:
    for t, part, problems in results:
        if part is None:
            skipped[(t.piece, t.track)] = problems


# ---------------------------------------------------------------------------------------
# Command line.


def _define_flags():
    from absl import flags

    flags.DEFINE_string("urmp", None, "The raw URMP folder (piece folders inside).", required=True)
    flags.DEFINE_string("out", None, "Output folder for the Sub-URMP layout.", required=True)
    flags.DEFINE_float("min_dbfs", -40.0, "Drop chunks quieter than this (dBFS).")
    flags.DEFINE_string("crop", "equal", "equal | none | FILE.json of fractional boxes per track.")
    flags.DEFINE_integer("seed", 0, "Seed of the train/validation split.")
    flags.DEFINE_float("validation_fraction", 0.2, "Share of each instrument's tracks held out.")
    flags.DEFINE_integer("workers", 1, "Parallel worker processes (pieces).", lower_bound=1)
    return flags.FLAGS


def _main(argv: list[str]) -> None:
    del argv
    from absl import flags

    f = flags.FLAGS
    start = time.perf_counter()
    summary = build_urmp(f.urmp, f.out, min_dbfs=f.min_dbfs, crop=f.crop, seed=f.seed,
                         validation_fraction=f.validation_fraction, workers=f.workers)  # fmt: skip
    print(f"built {f.out} in {time.perf_counter() - start:.1f} s")
    print(format_report(summary))


def run(argv: list[str] | None = None, flags_parser=None) -> None:
    """The command line (`python -m avgan.data.urmp`, `avgan-data urmp`): see
    `avgan.data.builder.run_command`."""
    run_command(_main, _define_flags, argv, flags_parser)
