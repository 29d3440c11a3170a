"""The INIS builder on image folders and solo recordings written by the test."""

import collections
import csv
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile
from PIL import Image

from avgan.data import inis, layout

CATEGORIES = ("drum", "piano", "violin")  # + guitar (images only) and harp (audio only)
IMAGES = {"drum": 4, "piano": 5, "violin": 5}
RECORDINGS = {"drum": 3, "piano": 5, "violin": 5}


def colour(category: int, image: int) -> tuple[int, int, int]:
    return (40 * category + 20, 40 * image + 10, 200)


def decode(pixels: np.ndarray) -> tuple[int, int]:
    r, g, _ = pixels[8:56, 8:56].reshape(-1, 3).mean(axis=0)
    return round((r - 20) / 40), round((g - 10) / 40)


def amplitude(category: int, recording: int) -> float:
    return 0.05 * (category + 1) + 0.02 * recording


def make_inputs(base) -> tuple[str, str]:
    images, sounds = base / "images", base / "audio"
    rng = np.random.default_rng(0)
    for c, category in enumerate(CATEGORIES + ("guitar",)):
        (images / category).mkdir(parents=True)
        for i in range(IMAGES.get(category, 2)):
            kind = "PNG" if (c + i) % 2 else "JPEG"
            name = f"img{i}.{'png' if kind == 'PNG' else 'jpg'}"
            pixels = np.full((48 + 8 * i, 80, 3), colour(c, i), np.uint8)
            Image.fromarray(pixels).save(images / category / name, kind)
    (images / "violin" / "broken.jpg").write_bytes(b"\xff\xd8\xff" + rng.bytes(500))
    for c, category in enumerate(CATEGORIES + ("harp",)):
        (sounds / category).mkdir(parents=True)
        for r in range(1, RECORDINGS.get(category, 1) + 1):
            rate = 44100 if r % 2 else 48000
            t = np.arange(int(1.6 * rate)) / rate  # 3 chunks of 0.5 s
            wave = amplitude(c, r) * np.sin(2 * np.pi * (200 + 50 * r) * t)
            if category == "piano" and r == 1:
                wave[int(0.5 * rate) : int(1.0 * rate)] = 0.0  # chunk 1 silent
            fmt = "WAV" if r % 2 else "FLAC"
            soundfile.write(sounds / category / f"take{r}.{fmt.lower()}", wave, rate, format=fmt)
    (sounds / "violin" / "take9.wav").write_bytes(b"RIFF" + rng.bytes(800))
    return str(images), str(sounds)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("inis")
    images, sounds = make_inputs(base)
    out = str(base / "out")
    return images, sounds, out, inis.build_inis(images, sounds, out, progress=False)


def _rows(out):
    rows = []
    for split in ("train", "validation"):
        with open(os.path.join(out, "metadata", f"{split}.csv"), newline="") as f:
            rows += list(csv.DictReader(f))
    return rows


def test_pairs_stay_within_a_category_and_layout_reads_them(built):
    _, _, out, summary = built
    index = layout.read_layout(out, progress=False)
    assert index.problems == ()
    assert index.instruments == CATEGORIES
    # 3 chunks per recording; piano's take1 has a silent chunk; violin's take9 is broken.
    assert len(index.pairs) == 3 * (3 + 5 + 5) - 1
    assert summary["silent_chunks_dropped"] == 1
    for pair in index.pairs:
        c, i = decode(np.asarray(Image.open(pair.image)))
        assert CATEGORIES[c] == pair.instrument, pair.stem
        assert 0 <= i < IMAGES[pair.instrument]
    rows = {row["stem"]: row for row in _rows(out)}
    assert [k for k in range(3) if f"piano01_{k}" in rows] == [0, 2]
    for row in rows.values():
        assert row["image_source"].split("/")[0] == row["instrument"]
        c, r = CATEGORIES.index(row["instrument"]), int(row["recording"][-2:])
        assert row["audio_source"] == f"{row['instrument']}/take{r}.{'wav' if r % 2 else 'flac'}"
        assert float(row["dbfs"]) == pytest.approx(
            20 * np.log10(amplitude(c, r) / 2**0.5), abs=0.05
        )


def test_split_by_recording_with_unseen_images(built):
    _, _, out, summary = built
    rows = _rows(out)
    by_split = collections.defaultdict(lambda: collections.defaultdict(set))
    for row in rows:
        by_split[row["split"]]["recording"].add(row["recording"])
        by_split[row["split"]]["image"].add(row["image_source"])
        by_split[row["split"]]["audio"].add(row["audio_source"])
    for kind in ("recording", "image", "audio"):
        assert by_split["train"][kind] and by_split["validation"][kind]
        assert not by_split["train"][kind] & by_split["validation"][kind], kind
    # 20% of 3 or 5 recordings (and of 4 or 5 images) is one, per category; violin has
    # 6 files, one of them broken, which may be the one held out.
    for category in CATEGORIES:
        held = {r["recording"] for r in rows if r["instrument"] == category
                and r["split"] == "validation"}  # fmt: skip
        assert len(held) == 1 or (category == "violin" and not held), (category, held)
        assert summary["images"][f"{category}/validation"] == 1
        assert summary["images"][f"{category}/train"] == IMAGES[category] - 1
    again = inis.build_inis(*built[:2], out, progress=False)  # rerun: everything resumed
    assert again["pairs"] == summary["pairs"]


def test_images_cycle_through_a_shuffle_of_the_split(built):
    _, _, out, summary = built
    sequences = collections.defaultdict(list)
    for row in _rows(out):  # metadata rows are in (recording, chunk) order
        sequences[(row["instrument"], row["split"])].append(row["image_source"])
    for (category, split), used in sequences.items():
        n = summary["images"][f"{category}/{split}"]
        assert len(set(used)) == min(n, len(used))
        assert all(used[i] == used[i + n] for i in range(len(used) - n))  # a cycle of n
        counts = collections.Counter(used).values()
        assert max(counts) - min(counts) <= 1


def test_bad_files_and_one_sided_categories_are_reported(built):
    images, sounds, out, summary = built
    found = {p["path"]: p["reason"] for p in summary["problems"]}
    assert set(found) == {
        os.path.join(images, "violin", "broken.jpg"),
        os.path.join(sounds, "violin", "take9.wav"),
        os.path.join(images, "guitar"),
        os.path.join(sounds, "harp"),
    }
    assert "cannot decode image" in found[os.path.join(images, "violin", "broken.jpg")]
    assert "images but no" in found[os.path.join(images, "guitar")]
    assert summary["recordings_skipped"] == 1
    assert "violin/broken.jpg" not in {r["image_source"] for r in _rows(out)}
    with open(os.path.join(out, "dataset.json")) as f:
        assert json.load(f)["problems"] == summary["problems"]


def test_rerun_after_deleting_a_part_file_redoes_only_that_recording(built, tmp_path):
    images, sounds, out, summary = built
    copy = str(tmp_path / "out")
    shutil.copytree(out, copy)
    os.remove(os.path.join(copy, ".parts", "piano03.json"))
    past = 1_000_000_000
    files = {}
    for kind in ("img", "chunk"):
        for folder, _, names in os.walk(os.path.join(copy, kind)):
            for name in names:
                path = os.path.join(folder, name)
                os.utime(path, (past, past))
                with open(path, "rb") as f:
                    files[path] = f.read()
    inis.build_inis(images, sounds, copy, progress=False)
    redone = set()
    for path, data in files.items():
        with open(path, "rb") as f:
            assert f.read() == data, path
        if os.path.getmtime(path) != past:
            redone.add(os.path.basename(path).split("_")[0])
    assert redone == {"piano03"}
    assert _rows(copy) == _rows(out)
    with pytest.raises(ValueError, match=r"a build made with other settings .*\(builder: INIS;"):
        inis.build_inis(images, sounds, copy, seed=3, progress=False)


def test_command_line(tmp_path):
    images, sounds = make_inputs(tmp_path)
    out = str(tmp_path / "out")
    result = subprocess.run(
        [sys.executable, "-m", "avgan.data.inis", f"--images={images}", f"--audio={sounds}",
         f"--out={out}", "--validation_fraction=0.4", "--min_dbfs=-25"],
        capture_output=True, text=True, timeout=120,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    # Run directly, as through `avgan-data inis`: TensorFlow's C++ log silenced (it loads
    # for the audio), not its ~10 CUDA/TensorRT lines.
    for noise in ("Unable to register", "TensorRT", "cuda"):
        assert noise not in result.stderr, result.stderr[-3000:]
    assert "problems: 4" in result.stdout and "take9.wav" in result.stdout
    with open(os.path.join(out, "dataset.json")) as f:
        summary = json.load(f)
    assert summary["images"]["piano/validation"] == 2  # 40% of 5
    # -25 dBFS also drops drum's take1: amplitude 0.07 is -26.1 dBFS.
    assert summary["silent_chunks_dropped"] == 1 + 3
    assert summary["pairs"]["train"] + summary["pairs"]["validation"] == 3 * (3 + 5 + 5) - 4
