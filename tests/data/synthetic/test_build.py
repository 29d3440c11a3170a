"""The synthetic ensemble builder, end to end on a tiny preset (FluidSynth renders for real)."""

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import wave

import numpy as np
import pytest
from PIL import Image

from avgan.data import audio, layout
from avgan.data.synthetic import build, sheet
from avgan.data.synthetic.instruments import instrument, pose_for
from tests.conftest import require_fluidsynth

TINY = dict(instruments=("cello", "flute", "trumpet"), recordings=2, seconds=4.0)


def _rows(root) -> list[dict]:
    rows = []
    for split in build.SPLITS:
        with open(os.path.join(root, "metadata", f"{split}.csv"), newline="") as f:
            rows += list(csv.DictReader(f))
    return rows


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    require_fluidsynth()
    root = str(tmp_path_factory.mktemp("tiny") / "ensemble")
    summary = build.build(root, build.preset_config("tiny", seed=5), workers=2, progress=False)
    return root, summary


def test_layout_and_files(tiny):
    root, summary = tiny
    rows = _rows(root)
    assert len(rows) == summary["pairs"]["train"] + summary["pairs"]["validation"] > 0
    for row in rows:
        img = os.path.join(root, "img", row["split"], row["instrument"], row["stem"] + ".jpg")
        wav = os.path.join(root, "chunk", row["split"], row["instrument"], row["stem"] + ".wav")
        assert row["stem"] == f"{row['recording']}_{row['chunk']}"
        with Image.open(img) as image:
            assert (image.format, image.size, image.mode) == ("JPEG", (64, 64), "RGB")
        with wave.open(wav) as w:
            assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (44100, 2, 1)
            assert w.getnframes() == 22050
    # Every chunk of the recordings is accounted for: kept or dropped as silent.
    assert len(rows) + summary["silent_chunks_dropped"] == 3 * 2 * 8


def test_metadata_pitch_and_pose_agree_with_the_instrument(tiny):
    root, _ = tiny
    for row in _rows(root):
        inst = instrument(row["instrument"])
        pitch = int(row["pitch"])
        assert pitch == -1 or inst.low <= pitch <= inst.high
        expected = pose_for(inst, None if pitch < 0 else pitch)
        assert int(row["playing"]) == int(expected.playing)
        assert int(row["fingering"]) == expected.fingering  # fingering depends on pitch only
    assert {int(r["pitch"]) for r in _rows(root)} - {-1}  # real notes were written
    # Players and rooms come from pools shared by all instruments, fixed per recording.
    for rows in _by_recording(_rows(root)).values():
        assert len({(r["player"], r["room"]) for r in rows}) == 1
        assert 0 <= int(rows[0]["player"]) < build.PLAYER_POOL
        assert 0 <= int(rows[0]["room"]) < build.ROOM_POOL


def _by_recording(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["recording"], []).append(row)
    return out


def test_loudness_is_measured_and_silence_dropped(tiny, tmp_path):
    root, _ = tiny
    for row in _rows(root)[:12]:
        wav = os.path.join(root, "chunk", row["split"], row["instrument"], row["stem"] + ".wav")
        measured = float(audio.dbfs(audio.load_audio(wav)))
        assert float(row["dbfs"]) >= -40.0
        assert abs(measured - float(row["dbfs"])) < 0.05  # 16-bit rounding only
    # A stricter threshold drops more chunks, and what is kept passes it.
    strict = build.build(
        tmp_path / "strict",
        build.preset_config("tiny", seed=5, min_dbfs=-24.0),
        workers=1,
        progress=False,
    )
    kept = _rows(tmp_path / "strict")
    assert all(float(r["dbfs"]) >= -24.0 for r in kept)
    assert strict["silent_chunks_dropped"] > tiny[1]["silent_chunks_dropped"]


def test_split_is_by_recording(tiny):
    root, _ = tiny
    rows = _rows(root)
    train = {r["recording"] for r in rows if r["split"] == "train"}
    validation = {r["recording"] for r in rows if r["split"] == "validation"}
    assert train == {"cello01", "flute01", "trumpet01"}
    assert validation == {"cello02", "flute02", "trumpet02"}


def test_same_seed_same_data_other_seed_other_data(tiny, tmp_path):
    root, _ = tiny
    again = tmp_path / "again"
    build.build(again, build.preset_config("tiny", seed=5), workers=1, progress=False)
    assert _rows(again) == _rows(root)
    first = _rows(root)[0]
    rel = os.path.join("img", first["split"], first["instrument"], first["stem"] + ".jpg")
    with open(os.path.join(root, rel), "rb") as a, open(again / rel, "rb") as b:
        assert a.read() == b.read()
    other = tmp_path / "other"
    build.build(other, build.preset_config("tiny", seed=6), workers=1, progress=False)
    assert [r["pitch"] for r in _rows(other)] != [r["pitch"] for r in _rows(root)]


def test_layout_reader_reads_the_build_with_pose(tiny):
    root, summary = tiny
    index = layout.read_layout(root, progress=False)
    assert not index.problems
    assert len(index.pairs) == sum(summary["pairs"].values())
    assert all(p.pose is not None and p.pitch is not None for p in index.pairs)


def test_an_interrupted_build_resumes(tmp_path):
    require_fluidsynth()
    root = tmp_path / "resume"
    config = build.preset_config("tiny", seed=2)
    build.build(root, config, workers=1, progress=False)
    before = _rows(root)
    keep = (
        root / "img" / before[0]["split"] / before[0]["instrument"] / (before[0]["stem"] + ".jpg")
    )
    keep_mtime = os.stat(keep).st_mtime_ns
    # As if killed: the summary was never written and the last recording never finished.
    os.remove(root / "dataset.json")
    os.remove(root / ".parts" / "trumpet02.csv")
    build.build(root, config, workers=1, progress=False)
    assert _rows(root) == before
    assert os.stat(keep).st_mtime_ns == keep_mtime  # finished recordings were not redone


def test_other_settings_in_the_same_folder_are_refused(tiny):
    root, _ = tiny
    with pytest.raises(ValueError, match="seed: 5 there, 9 asked"):
        build.build(root, build.preset_config("tiny", seed=9), progress=False)


def test_presets_and_bad_names():
    assert build.preset_config("small").recordings == 32
    assert len(build.preset_config("full").instruments) == 13
    with pytest.raises(ValueError, match="valid: tiny, small, full"):
        build.preset_config("huge")
    with pytest.raises(ValueError, match="unknown instrument 'banjo'"):
        build.preset_config("tiny", instruments=("banjo",))


def test_contact_sheet(tiny, tmp_path):
    root, _ = tiny
    out = sheet.contact_sheet(root, str(tmp_path / "sheet.png"), per_instrument=4)
    with Image.open(out) as image:
        pixels = np.asarray(image)
    assert pixels.shape[0] == 3 * (128 + 12)  # a row per instrument
    picked = sheet.pick_samples(_rows(root), 4)
    assert all(len({r["recording"] for r in rows}) == 2 for rows in picked.values())


def test_summary_file(tiny):
    root, summary = tiny
    with open(os.path.join(root, "dataset.json")) as f:
        assert json.load(f) == summary
    assert set(summary["pairs_per_instrument"]["train"]) == set(TINY["instruments"])


# A build worker killed while rendering: the builder's own code, with FluidSynth's run
# replaced by a kill once render_notes has made its scratch files.
_KILLED_WORKER = """
import os, signal, sys, tempfile
from avgan.data.synthetic import build, render

def killed_mid_render(notes, program, out_wav, **kwargs):
    tmp = tempfile.mkdtemp(dir=os.path.dirname(out_wav))  # as render_notes makes it
    for name in ("score.mid", "out.wav"):
        open(os.path.join(tmp, name), "wb").close()
    os.kill(os.getpid(), signal.SIGKILL)

render.render_notes = killed_mid_render
config = build.preset_config("tiny", seed=3, instruments=("flute",), recordings=2, seconds=1.0)
build._build_recording(build._Job(sys.argv[1], config, "flute", 1))
"""


def test_scratch_folders_of_killed_workers_are_removed_by_the_next_build(tmp_path):
    require_fluidsynth()
    root = tmp_path / "ensemble"
    root.mkdir()
    killed = subprocess.run([sys.executable, "-c", _KILLED_WORKER, str(root)], check=False)
    assert killed.returncode == -signal.SIGKILL
    (leftover,) = os.listdir(root)
    # What the builder made before its scratch folders had their own names.
    old_style = tempfile.mkdtemp(dir=root)
    open(os.path.join(old_style, "take.wav"), "wb").close()
    # Folders that must stay: a running build's (this process), another host's, and
    # folders the builder did not make (another name, or something else inside).
    keep = {
        f".render-{socket.gethostname()}-{os.getpid()}-abcdefgh": "take.wav",
        ".render-otherhost-1-abcdefgh": "take.wav",
        "tmp_my_notes": "take.wav",
        "tmpabcdefgh": "notes.txt",
    }
    for name, file in keep.items():
        (root / name).mkdir()
        (root / name / file).write_bytes(b"mine")

    config = build.preset_config("tiny", seed=3, instruments=("flute",), recordings=2, seconds=1)
    summary = build.build(root, config, workers=1, progress=False)

    assert summary["pairs"]["train"] > 0
    assert not (root / leftover).exists() and not os.path.exists(old_style)
    assert all((root / name / file).read_bytes() == b"mine" for name, file in keep.items())
    scratch = {n for n in os.listdir(root) if n.startswith((".render-", "tmp"))}
    assert scratch == set(keep)  # the build's own scratch folders are gone too
