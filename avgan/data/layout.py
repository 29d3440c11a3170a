"""Read a folder in the Sub-URMP layout into an index of sound-image pairs.

    ROOT/img/<split>/<instrument>/<stem>.jpg|.png
    ROOT/chunk/<split>/<instrument>/<stem>.wav
    ROOT/metadata/<split>.csv        optional: pitch and pose per stem

The authors' Sub-URMP release, the URMP and INIS builders' output and the synthetic
ensemble all have this shape. A stem is `<instrument><NN>_<k>`: recording NN, chunk
k. An image and a chunk with the same split, instrument and stem are a pair.

Every problem (a stem with only one half, a file that does not decode, a chunk that
is not 16-bit PCM at 44.1 kHz or is shorter than 0.5 s) is listed in the index's
report and the pair skipped; reading the rest completes.
"""

from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import logging
import os
import re

from PIL import Image
from tqdm import tqdm

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
    """A file that was skipped, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


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
        """A readable summary: pair counts per split and every skipped file."""
        lines = [f"{self.root}: {len(self.pairs)} pairs"]
        for split in self.splits:
            pairs = self.split(split)
            recordings = len({p.recording for p in pairs})
            lines.append(f"  {split}: {len(pairs)} pairs from {recordings} recordings")
        if self.problems:
            lines.append(f"  skipped {len(self.problems)} file(s):")
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
    """None if `path` is a pipeline-ready chunk, else the reason it is not."""
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


def check_image(path: str) -> str | None:
    """None if `path` decodes as an RGB-convertible JPEG/PNG, else the reason."""
    try:
        with Image.open(path) as image:
            image.load()  # decode everything: a truncated file fails here, not in training
            if image.format not in ("JPEG", "PNG"):
                return f"not a JPEG or PNG ({image.format})"
            if min(image.size) < 1:
                return f"wrong size: {image.size[0]}x{image.size[1]}"
    except (OSError, ValueError, SyntaxError) as e:
        return f"cannot decode image: {e}"
    return None


def _read_metadata(root: str) -> dict[tuple[str, str], dict]:
    """{(split, stem): row} from ROOT/metadata/<split>.csv files, if any."""
    rows = {}
    folder = os.path.join(root, "metadata")
    if not os.path.isdir(folder):
        return rows
    for name in sorted(os.listdir(folder)):
        split, ext = os.path.splitext(name)
        if ext != ".csv":
            continue
        with open(os.path.join(folder, name), newline="") as f:
            for row in csv.DictReader(f):
                rows[(split, row["stem"])] = row
    return rows


def _natural_key(pair: Pair) -> tuple:
    return (pair.split, pair.instrument, pair.recording, pair.chunk, pair.stem)


def read_layout(
    root: str | os.PathLike, check_files: bool = True, progress: bool = True, workers: int = 8
) -> PairIndex:
    """Reads a Sub-URMP-layout folder into a PairIndex.

    Args:
        root: the folder holding img/ and chunk/.
        check_files: decode every image and parse every WAV header, so a bad file is
            reported now rather than failing a training run later.
        progress: show a progress bar while checking.
        workers: threads checking files.

    Returns:
        The index, pairs sorted by split, instrument, recording and chunk. Skipped
        files are in `index.problems` and logged as a warning.

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
    bad = _check_pairs(keys, images, sounds, problems, workers, progress) if check_files else {}
    metadata = _read_metadata(root)
    pairs = [
        _pair(key, images[key], sounds[key], metadata.get((key[0], key[2])))
        for key in keys
        if key not in bad
    ]
    if not pairs:
        raise ValueError(f"{root}: no readable sound-image pairs ({len(problems)} problems)")
    pairs.sort(key=_natural_key)
    index = PairIndex(
        root=root,
        pairs=tuple(pairs),
        problems=tuple(sorted(problems, key=lambda p: p.path)),
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
) -> dict[tuple, Problem]:
    """Decodes both files of every pair; appends each bad file to `problems`.

    Returns:
        {key: the first problem} of the pairs with a bad file.
    """
    bad: dict[tuple, Problem] = {}
    jobs = [(k, images[k], check_image) for k in keys]
    jobs += [(k, sounds[k], check_sound) for k in keys]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        results = pool.map(lambda job: job[2](job[1]), jobs)
        bar = tqdm(
            zip(jobs, results, strict=True),
            total=len(jobs),
            unit="file",
            desc="checking pairs",
            disable=not progress,
        )
        for (key, path, _), reason in bar:
            if reason is not None:
                problems.append(Problem(path, reason))
                bad.setdefault(key, problems[-1])
    return bad


def _pair(key: tuple[str, str, str], image: str, sound: str, row: dict | None) -> Pair:
    """The Pair of (split, instrument, stem), with pitch and pose from its metadata row."""
    split, instrument, stem = key
    match = _STEM.match(stem)
    pitch = int(row["pitch"]) if row and row.get("pitch") not in (None, "") else None
    pose = None
    if row and all(row.get(f) not in (None, "") for f in POSE_FIELDS):
        pose = {f: float(row[f]) for f in POSE_FIELDS}
    return Pair(
        stem=stem,
        split=split,
        instrument=instrument,
        recording=match["recording"] if match else stem,
        chunk=int(match["chunk"]) if match else -1,
        image=image,
        sound=sound,
        pitch=pitch,
        pose=pose,
    )


def _warn_about(index: PairIndex) -> None:
    """Logs recordings found in more than one split and every skipped file."""
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
            "skipped %d file(s) in %s:\n%s",
            len(index.problems),
            index.root,
            "\n".join(f"  {p}" for p in index.problems),
        )
