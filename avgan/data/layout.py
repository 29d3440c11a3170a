"""Read a folder in the Sub-URMP layout into an index of sound-image pairs.

    ROOT/img/<split>/<instrument>/<stem>.jpg|.png
    ROOT/chunk/<split>/<instrument>/<stem>.wav
    ROOT/metadata/<split>.csv        optional: pitch and pose per stem

The authors' Sub-URMP release, the URMP and INIS builders' output and the synthetic
ensemble all have this shape. A stem is `<instrument><NN>_<k>`: recording NN, chunk
k. An image and a chunk with the same split, instrument and stem are a pair.

Every problem is listed in the index's report and the pair skipped; reading the rest
completes. The problems: a stem with only one half; a file that the pipeline's own
decoders (`avgan.data.pipeline.decode_picture`, `decode_sound`) refuse; a chunk that is not
16-bit PCM at 44.1 kHz or is shorter than 0.5 s; and a malformed metadata row (reported
by file and line). So whatever `read_layout` accepts, training can decode.
"""

from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import io
import logging
import math
import os
import re

import tensorflow as tf
from tqdm import tqdm

from avgan.data import pipeline
from avgan.data.audio import parse_wav_header
from avgan.data.constants import CHUNK_SAMPLES, CHUNK_SECONDS, SAMPLE_RATE

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
SOUND_EXTENSIONS = (".wav",)
POSE_FIELDS = ("playing", "hand", "string", "bow", "fingering")
_STEM = re.compile(r"^(?P<recording>.+?)_(?P<chunk>\d+)$")


@dataclasses.dataclass(frozen=True)
class Pair:
    """One sound-image pair.

    Attributes:
        stem: the shared file name without extension, e.g. 'violin01_12'.
        recording: the stem without its chunk number, e.g. 'violin01'; splits never
            share a recording.
        chunk: the chunk's position in its recording (k of the stem), or -1.
        pitch: MIDI pitch sounding at the chunk's start (-1 in a rest), or None
            when the layout has no metadata.
        pose: the pose parameters (POSE_FIELDS) when the metadata has them.
    """

    stem: str
    split: str
    instrument: str
    recording: str
    chunk: int
    image: str
    sound: str
    pitch: int | None = None
    pose: dict[str, float] | None = dataclasses.field(default=None, compare=False)


@dataclasses.dataclass(frozen=True)
class Problem:
    """A file (or a metadata row: the file and its line) that was skipped, and why."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.reason}"


@dataclasses.dataclass(frozen=True)
class PairIndex:
    """All readable pairs of a layout folder, and the report of what was skipped.

    Attributes:
        instruments: sorted instrument names over all splits; a pair's class label is
            its instrument's position here.
    """

    root: str
    pairs: tuple[Pair, ...]
    problems: tuple[Problem, ...]
    instruments: tuple[str, ...]

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(sorted({p.split for p in self.pairs}))

    def split(self, name: str) -> list[Pair]:
        """The pairs of split `name`; ValueError listing the splits if it has none."""
        pairs = [p for p in self.pairs if p.split == name]
        if not pairs:
            raise ValueError(
                f"{self.root}: no pairs in split {name!r}; splits: {', '.join(self.splits)}"
            )
        return pairs

    def label(self, instrument: str) -> int:
        return self.instruments.index(instrument)

    def report(self) -> str:
        """A readable summary: pair counts per split and every problem (file or row)."""
        lines = [f"{self.root}: {len(self.pairs)} pairs"]
        for split in self.splits:
            pairs = self.split(split)
            recordings = len({p.recording for p in pairs})
            lines.append(f"  {split}: {len(pairs)} pairs from {recordings} recordings")
        if self.problems:
            lines.append(f"  {len(self.problems)} problem(s), each skipped:")
            lines += [f"    {problem}" for problem in self.problems]
        return "\n".join(lines)


def _list_files(folder: str, extensions: tuple[str, ...]) -> dict[tuple[str, str, str], str]:
    """{(split, instrument, stem): path} for files under folder/<split>/<instrument>/."""
    found = {}
    if not os.path.isdir(folder):
        return found
    for split in sorted(os.listdir(folder)):
        for instrument in sorted(_subdirs(os.path.join(folder, split))):
            directory = os.path.join(folder, split, instrument)
            for name in sorted(os.listdir(directory)):
                stem, ext = os.path.splitext(name)
                if ext.lower() in extensions and not name.startswith("."):
                    found[(split, instrument, stem)] = os.path.join(directory, name)
    return found


def _subdirs(path: str) -> list[str]:
    if not os.path.isdir(path):
        return []
    return [d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d))]


def check_sound(path: str) -> str | None:
    """None if `path` is a pipeline-ready chunk, else the reason it is not.

    Pipeline-ready: 16-bit PCM at 44.1 kHz, at least 0.5 s, and read by the pipeline's
    own decoder (`avgan.data.pipeline.decode_sound`).
    """
    return _sound_header_problem(path) or _decode_problem(pipeline.decode_sound, path)


def check_image(path: str) -> str | None:
    """None if the pipeline's decoder (`avgan.data.pipeline.decode_picture`) reads `path`."""
    return _decode_problem(pipeline.decode_picture, path)


def _sound_header_problem(path: str) -> str | None:
    """What the WAV header says is wrong for a chunk (format, rate, length), or None."""
    try:
        with open(path, "rb") as f:
            info = parse_wav_header(f.read(), path)
    except (OSError, ValueError) as e:
        return str(e).removeprefix(f"{path}: ")
    if info.format_tag != 1 or info.bits != 16 or info.sample_rate != SAMPLE_RATE:
        return (
            f"wrong format: {info.bits}-bit format {info.format_tag} at {info.sample_rate} Hz "
            f"(pairs need 16-bit PCM at {SAMPLE_RATE} Hz)"
        )
    frames = info.data_bytes // (2 * info.channels)
    if frames < CHUNK_SAMPLES:
        return f"wrong size: {frames} samples, shorter than {CHUNK_SECONDS} s"
    return None


def _decode_problem(decoder, path: str) -> str | None:
    reason = pipeline.decode_error(decoder, path)
    if reason is None:
        return None
    what = "image" if decoder is pipeline.decode_picture else "WAV"
    return f"cannot decode {what}: {reason}"


def _undecodable(pictures: list[str], sounds: list[str], progress: bool) -> dict[str, str]:
    """{path: reason} for the files the pipeline's decoders refuse.

    All files are decoded in one tf.data pass (parallel, in TensorFlow's threads), where
    a failing file is dropped by `ignore_errors`; only those are decoded again, one by
    one, for the reason.
    """
    paths = pictures + sounds
    if not paths:
        return {}
    names = tf.constant(paths)

    def decode(i):
        # A value computed from the decoded tensor, so the decoder is not pruned away.
        def picture():
            return tf.cast(tf.reduce_max(pipeline.decode_picture(names[i])), tf.float32)

        def sound():
            return tf.reduce_max(pipeline.decode_sound(names[i]))

        return i, tf.cond(i < len(pictures), picture, sound)

    decoded = (
        tf.data.Dataset.range(len(paths))
        .map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
        .ignore_errors()
        .map(_first)
        .batch(256)
        .prefetch(2)
    )
    ok: set[int] = set()
    with tqdm(total=len(paths), unit="file", desc="decoding", disable=not progress) as bar:
        for batch in decoded.as_numpy_iterator():
            ok.update(batch.tolist())
            bar.update(len(batch))
        bar.update(len(paths) - bar.n)
    failed = {}
    for i, path in enumerate(paths):
        if i not in ok:
            decoder = pipeline.decode_picture if i < len(pictures) else pipeline.decode_sound
            failed[path] = _decode_problem(decoder, path) or "failed to decode once"
    return failed


def _first(first, _):
    return first


_PITCH_RANGE = (-1, 127)  # MIDI pitch; -1: a rest


@dataclasses.dataclass(frozen=True)
class _Row:
    """What a metadata row gives its pair (other columns are checked, not read)."""

    pitch: int | None
    pose: dict[str, float] | None


def _read_metadata(root: str) -> tuple[dict[tuple[str, str], _Row], set, list[Problem]]:
    """Reads ROOT/metadata/<split>.csv files, if any.

    Returns:
        ({(split, stem): row} of the good rows, {(split, stem)} of the bad rows, whose
        pairs are skipped, and the problems: each bad or duplicate row by file and line
        (the first row of a stem is the one kept), and each file that cannot be read.
    """
    rows: dict[tuple[str, str], _Row] = {}
    bad: set[tuple[str, str]] = set()
    problems: list[Problem] = []
    folder = os.path.join(root, "metadata")
    if not os.path.isdir(folder):
        return rows, bad, problems
    for name in sorted(os.listdir(folder)):
        split, ext = os.path.splitext(name)
        if ext == ".csv":
            path = os.path.join(folder, name)
            _read_metadata_file(path, split, rows, bad, problems)
    return rows, bad, problems


def _read_metadata_file(path: str, split: str, rows: dict, bad: set, problems: list) -> None:
    """_read_metadata for one file: adds to `rows`, `bad` and `problems`."""

    def refuse(reason: str, line: int | None = None) -> None:
        problems.append(Problem(path, f"{reason}; file not used", line))

    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        return refuse(f"cannot read ({e.strerror})")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return refuse("UTF-16 text; metadata files must be UTF-8")
    # Undecodable bytes become lone surrogates, so they can be found by line and field.
    text = raw.decode("utf-8-sig", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0  # the last line read
    try:
        header = next(reader, None)
        if header is None:
            return refuse("empty: no header row")
        if (byte := _non_utf8(",".join(header))) is not None:
            return refuse(f"header is not UTF-8 text (byte 0x{byte:02x})", 1)
        if "stem" not in header:
            return refuse(f"no 'stem' column (columns: {', '.join(header)})", 1)
        twice = sorted({c for c in header if header.count(c) > 1})
        if twice:
            return refuse(f"column(s) named twice: {', '.join(twice)}", 1)
        pose_fields = [f for f in POSE_FIELDS if f in header]
        if pose_fields and len(pose_fields) < len(POSE_FIELDS):
            missing = ", ".join(f for f in POSE_FIELDS if f not in header)
            problems.append(Problem(path, f"pose column(s) {missing} missing; pose not read", 1))
            pose_fields = []
        stem_column = header.index("stem")
        first_line: dict[str, int] = {}
        end = reader.line_num
        for fields in reader:
            line, end = end + 1, reader.line_num  # a quoted field may span lines
            if not fields:
                continue  # a blank line
            stem = fields[stem_column] if len(fields) > stem_column else ""
            if not stem:
                problems.append(Problem(path, "stem: empty; row not used", line))
                continue
            if stem in first_line:
                again = f"stem {stem} repeats line {first_line[stem]}; the first row is kept"
                problems.append(Problem(path, again, line))
                continue
            first_line[stem] = line
            row, reason = _parse_row(header, fields, pose_fields)
            if reason is not None:
                problems.append(Problem(path, f"{reason}; row not used, nor its pair", line))
                bad.add((split, stem))
            else:
                rows[(split, stem)] = row
    except csv.Error as e:  # e.g. a NUL byte: the rows read so far are kept
        problems.append(Problem(path, f"not CSV ({e}); the rest of the file not used", end + 1))


def _parse_row(
    header: list[str], fields: list[str], pose_fields: list[str]
) -> tuple[_Row | None, str | None]:
    """(the _Row, None), or (None, what is wrong: the field and its value)."""
    if len(fields) != len(header):
        return None, f"{len(fields)} fields, the header has {len(header)}"
    values = dict(zip(header, fields, strict=True))
    for column, value in values.items():
        if (byte := _non_utf8(value)) is not None:
            return None, f"{column}: not UTF-8 text (byte 0x{byte:02x})"
    pitch = None
    if values.get("pitch", "").strip():
        pitch = _integer(values["pitch"])
        if pitch is None or not _PITCH_RANGE[0] <= pitch <= _PITCH_RANGE[1]:
            return None, f"pitch: {values['pitch']!r} is not a MIDI pitch (-1 for a rest, 0-127)"
    pose = None
    if pose_fields and all(values[f].strip() for f in pose_fields):
        pose = {f: _finite(values[f]) for f in pose_fields}
        for f, value in pose.items():
            if value is None:
                return None, f"{f}: {values[f]!r} is not a finite number"
    return _Row(pitch, pose), None


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _integer(text: str) -> int | None:
    """int(text), also of an integral float ('48.0', as pandas writes); else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def _non_utf8(text: str) -> int | None:
    """The first byte that was not UTF-8 (a surrogate escape in `text`), or None."""
    for char in text:
        if "\udc80" <= char <= "\udcff":
            return ord(char) - 0xDC00
    return None


def _natural_key(pair: Pair) -> tuple:
    return (pair.split, pair.instrument, pair.recording, pair.chunk, pair.stem)


def read_layout(
    root: str | os.PathLike, check_files: bool = True, progress: bool = True, workers: int = 8
) -> PairIndex:
    """Reads a Sub-URMP-layout folder into a PairIndex.

    Args:
        root: the folder holding img/ and chunk/.
        check_files: parse every WAV header and decode every file with the pipeline's
            decoders, so a bad file is reported now rather than skipped in training.
        progress: show a progress bar while checking.
        workers: threads parsing WAV headers.

    Returns:
        The index, pairs sorted by split, instrument, recording and chunk. Skipped
        files and metadata rows are in `index.problems` and logged as a warning.

    Raises:
        ValueError: `root` has no img/ or chunk/ folder, or no pair at all.
    """
    root = os.path.abspath(os.fspath(root))
    for sub in ("img", "chunk"):
        if not os.path.isdir(os.path.join(root, sub)):
            raise ValueError(f"{root}: not a Sub-URMP layout (no {sub}/ folder)")
    images = _list_files(os.path.join(root, "img"), IMAGE_EXTENSIONS)
    sounds = _list_files(os.path.join(root, "chunk"), SOUND_EXTENSIONS)
    problems = [Problem(images[k], "no matching chunk WAV") for k in images if k not in sounds]
    problems += [Problem(sounds[k], "no matching image") for k in sounds if k not in images]
    keys = [k for k in images if k in sounds]
    bad = _check_pairs(keys, images, sounds, problems, workers, progress) if check_files else set()
    metadata, bad_rows, metadata_problems = _read_metadata(root)
    problems += metadata_problems
    pairs = [
        _pair(key, images[key], sounds[key], metadata.get((key[0], key[2])))
        for key in keys
        if key not in bad and (key[0], key[2]) not in bad_rows
    ]
    if not pairs:
        raise ValueError(f"{root}: no readable sound-image pairs ({len(problems)} problems)")
    pairs.sort(key=_natural_key)
    index = PairIndex(
        root=root,
        pairs=tuple(pairs),
        problems=tuple(sorted(problems, key=lambda p: (p.path, p.line or 0))),
        instruments=tuple(sorted({p.instrument for p in pairs})),
    )
    _warn_about(index)
    return index


def _check_pairs(
    keys: list[tuple],
    images: dict[tuple, str],
    sounds: dict[tuple, str],
    problems: list[Problem],
    workers: int,
    progress: bool,
) -> set[tuple]:
    """Checks both files of every pair; appends each bad file to `problems`.

    WAV headers are parsed in `workers` threads (format, rate and length, with plain
    reasons); then every picture and every chunk whose header is right is decoded by
    the pipeline's decoder (`_undecodable`). Measured on the `small` synthetic ensemble
    (3,838 files, 2 cores): see docs/data.md.

    Returns:
        The keys of the pairs with a bad file.
    """
    found: dict[str, str] = {}
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        paths = [sounds[k] for k in keys]
        headers = tqdm(
            pool.map(_sound_header_problem, paths),
            total=len(paths),
            unit="file",
            desc="reading WAV headers",
            disable=not progress,
        )
        found.update((p, reason) for p, reason in zip(paths, headers, strict=True) if reason)
    good_sounds = [sounds[k] for k in keys if sounds[k] not in found]
    found.update(_undecodable([images[k] for k in keys], good_sounds, progress))
    bad = set()
    for key in keys:
        for path in (images[key], sounds[key]):
            if path in found:
                problems.append(Problem(path, found[path]))
                bad.add(key)
    return bad


def _pair(key: tuple[str, str, str], image: str, sound: str, row: _Row | None) -> Pair:
    """The Pair of (split, instrument, stem), with pitch and pose from its metadata row."""
    split, instrument, stem = key
    match = _STEM.match(stem)
    return Pair(
        stem=stem,
        split=split,
        instrument=instrument,
        recording=match["recording"] if match else stem,
        chunk=int(match["chunk"]) if match else -1,
        image=image,
        sound=sound,
        pitch=row.pitch if row else None,
        pose=row.pose if row else None,
    )


def _warn_about(index: PairIndex) -> None:
    """Logs recordings found in more than one split and every problem."""
    splits_of: dict[str, set[str]] = {}
    for pair in index.pairs:
        splits_of.setdefault(pair.recording, set()).add(pair.split)
    leaked = sorted(r for r, splits in splits_of.items() if len(splits) > 1)
    if leaked:
        logging.warning(
            "%s: recordings in more than one split (the test is not held out): %s",
            index.root,
            ", ".join(leaked),
        )
    if index.problems:
        logging.warning(
            "%d problem(s) in %s, each skipped:\n%s",
            len(index.problems),
            index.root,
            "\n".join(f"  {p}" for p in index.problems),
        )
