"""The URMP builder on a URMP-shaped fixture written by the test (tests/data/urmp_fixture.py)."""

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

from avgan.data import audio, builder, layout, urmp
from tests.data import urmp_fixture as fx

DUET = "01_Duet_vn_fl"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("urmp")
    raw, out = str(base / "raw"), str(base / "out")
    fx.make_urmp(raw)
    summary = urmp.build_urmp(raw, out, progress=False)
    return raw, out, summary


def _rows(out):
    rows = []
    for split in builder.SPLITS:
        with open(os.path.join(out, "metadata", f"{split}.csv"), newline="") as f:
            rows += list(csv.DictReader(f))
    return {row["stem"]: row for row in rows}


def _by_recording(rows):
    found = {}
    for row in rows.values():
        found.setdefault(row["recording"], []).append(int(row["chunk"]))
    return {name: sorted(chunks) for name, chunks in found.items()}


def test_chunks_counted_from_track_length_and_exactly_the_silent_ones_dropped(built):
    _, out, summary = built
    rows = _rows(out)
    # violin01 = Duet player 1, flute01 = Duet player 2, violin02 = the solo piece.
    # 4.2 s tracks -> floor(4.2 / 0.5) = 8 chunks; 3.2 s -> 6.
    assert _by_recording(rows) == {
        "violin01": [0, 1, 2, 4, 5, 6, 7],  # chunk 3 is digital silence
        "flute01": [0, 1, 2, 3, 4, 6, 7],  # chunk 5 at -43 dBFS < -40; chunk 6 at -33.5 kept
        "violin02": [0, 1, 2, 3, 4, 5],
    }
    tracks = {(t["piece"], t["track"]): t for t in summary["tracks"]}
    assert tracks[(DUET, 1)]["chunks"] == tracks[(DUET, 2)]["chunks"] == 8
    assert tracks[("02_Solo_vn", 1)]["chunks"] == 6
    assert summary["silent_chunks_dropped"] == 2
    assert summary["pairs"] == {"train": 13, "validation": 7}
    # dBFS of a sine of amplitude a is 20 log10(a / sqrt 2).
    assert float(rows["flute01_6"]["dbfs"]) == pytest.approx(20 * np.log10(0.03 / 2**0.5), abs=0.05)
    assert float(rows["flute01_0"]["dbfs"]) == pytest.approx(20 * np.log10(0.3 / 2**0.5), abs=0.05)


def test_chunk_wav_is_the_resampled_track(built):
    raw, out, _ = built
    rows = _rows(out)
    row = rows["flute01_6"]
    path = os.path.join(out, "chunk", row["split"], "flute", "flute01_6.wav")
    samples, rate = soundfile.read(path, dtype="float32")
    assert rate == 44100 and samples.shape == (22050,)
    source = audio.load_audio(os.path.join(raw, DUET, "AuSep_2_fl_01_Duet.wav")).numpy()
    np.testing.assert_allclose(samples, source[6 * 22050 : 7 * 22050], atol=1.5 / 32768)


def test_image_is_the_first_frame_at_or_after_the_chunk_start_from_the_players_strip(built):
    _, out, _ = built
    rows = _rows(out)
    strip = {"violin01": 0, "flute01": 1, "violin02": 0}  # player n sits in strip n
    for stem, row in rows.items():
        onset = int(row["chunk"]) * 0.5
        pixels = np.asarray(Image.open(os.path.join(out, "img", row["split"], row["instrument"],
                                                    f"{stem}.jpg")))  # fmt: skip
        assert pixels.shape == (64, 64, 3)
        code = fx.frame_at(onset) + 64 * strip[row["recording"]]
        assert fx.decode_colour(pixels) == code, stem
        centre = pixels[16:48, 16:48].reshape(-1, 3).mean(axis=0)
        np.testing.assert_allclose(centre, fx.colour(code), atol=6, err_msg=stem)
    # 15 fps: chunk 1 (0.5 s) falls between frames 7 and 8, so frame 8 it is.
    assert fx.frame_at(0.5) == 8 and fx.frame_at(1.0) == 15


def test_pitch_from_the_notes_file_in_hz_or_midi(built):
    _, out, _ = built
    rows = _rows(out)
    pitch = {stem: int(row["pitch"]) for stem, row in rows.items()}
    # Hz file: A4 0-0.4 s, D4 0.45-1.45 s, (malformed line), C5 2.0-3.0 s.
    assert [pitch[f"violin01_{k}"] for k in (0, 1, 2, 4, 5, 6, 7)] == [69, 62, 62, 72, 72, -1, -1]
    # MIDI file: A5 0.5-1.7 s, C6 3.0-3.5 s.
    assert [pitch[f"flute01_{k}"] for k in (0, 1, 2, 3, 4, 6, 7)] == [-1, 81, 81, 81, -1, 84, -1]
    assert {pitch[f"violin02_{k}"] for k in range(6)} == {55}


def test_split_by_track_and_layout_reads_it_cleanly(built):
    _, out, summary = built
    index = layout.read_layout(out, progress=False)
    assert index.problems == ()
    assert len(index.pairs) == 20
    splits = {}
    for pair in index.pairs:
        splits.setdefault(pair.recording, set()).add(pair.split)
    assert all(len(s) == 1 for s in splits.values())  # never one track in both
    # violin has two tracks: one is held out; flute has one: it trains.
    assert sorted(splits["violin01"] | splits["violin02"]) == ["train", "validation"]
    assert splits["flute01"] == {"train"}
    pitches = {p.stem: p.pitch for p in index.pairs}
    assert pitches["violin01_0"] == 69 and pitches["flute01_0"] == -1
    assert summary["recordings"]["validation"] == [
        r for r, s in splits.items() if s == {"validation"}
    ]


def test_split_is_deterministic_from_the_seed():
    names = [f"t{i}" for i in range(10)]
    assert builder.held_out(names, "violin", 0, 0.2) == builder.held_out(names, "violin", 0, 0.2)
    assert len(builder.held_out(names, "violin", 0, 0.2)) == 2
    seen = {frozenset(builder.held_out(names, "violin", s, 0.2)) for s in range(6)}
    assert len(seen) > 1  # the seed matters
    assert builder.held_out(["a"], "x", 0, 0.2) == set()
    assert len(builder.held_out(["a", "b"], "x", 0, 0.2)) == 1
    assert len(builder.held_out(["a", "b"], "x", 0, 0.9)) == 1  # one always trains


def test_bad_input_is_reported_by_name_and_the_rest_completes(built):
    raw, out, summary = built
    found = {(p["path"], p.get("line")): p["reason"] for p in summary["problems"]}
    j = os.path.join
    expected = {
        (j(raw, "03_NoVideo_vc", "Vid_03_NoVideo_vc.mp4"), None): "video file missing",
        (j(raw, "04_Corrupt_va", "Vid_04_Corrupt_va.mp4"), None): "cannot decode video",
        (j(raw, "05_Short_tpt", "AuSep_1_tpt_05_Short.wav"), None): "shorter than one",
        (j(raw, DUET, "Notes_1_vn_01_Duet.txt"), 3): "malformed Notes line",
        (j(raw, "06_Empty_db"), None): "no AuSep",
    }
    assert set(found) == set(expected)
    for key, words in expected.items():
        assert words in found[key], (key, found[key])
    status = {t["recording"]: t["status"] for t in summary["tracks"]}
    built_tracks = {"violin01", "flute01", "violin02"}
    assert status == {r: "built" if r in built_tracks else "skipped" for r in status}
    assert set(status) == built_tracks | {"cello01", "viola01", "trumpet01"}
    with open(os.path.join(out, "dataset.json")) as f:
        assert json.load(f)["problems"] == summary["problems"]
    report = builder.format_report(summary)
    assert "Notes_1_vn_01_Duet.txt:3: malformed" in report
    assert "Vid_04_Corrupt_va.mp4" in report
    assert not os.path.exists(os.path.join(out, "img", "train", "cello"))


def test_rerun_after_deleting_a_part_file_redoes_only_that_track(built, tmp_path):
    raw, out, summary = built
    copy = str(tmp_path / "out")
    shutil.copytree(out, copy)
    os.remove(os.path.join(copy, ".parts", f"{DUET}__2.json"))  # flute01
    files = {}
    for kind in ("img", "chunk"):
        for folder, _, names in os.walk(os.path.join(copy, kind)):
            files.update({os.path.join(folder, n): None for n in names})
    past = 1_000_000_000
    for path in files:
        os.utime(path, (past, past))
        with open(path, "rb") as f:
            files[path] = f.read()
    again = urmp.build_urmp(raw, copy, progress=False)
    redone = set()
    for path, data in files.items():
        with open(path, "rb") as f:
            assert f.read() == data, path  # byte-identical either way
        if os.path.getmtime(path) != past:
            redone.add(os.path.basename(path).split("_")[0])
    assert redone == {"flute01"}
    assert again["pairs"] == summary["pairs"]
    assert again["problems"] == summary["problems"]  # resumed tracks keep their reports
    assert _rows(copy) == _rows(out)


def test_other_settings_refuse_the_existing_build(built):
    raw, out, _ = built
    with pytest.raises(ValueError, match="other settings"):
        urmp.build_urmp(raw, out, seed=1, progress=False)


def test_crop_file_and_none(tmp_path):
    raw = str(tmp_path / "raw")
    fx.make_urmp(raw, bad=False)
    boxes = tmp_path / "boxes.json"  # the duet's players swapped; the solo is not listed
    boxes.write_text(json.dumps({DUET: [[0.5, 0.0, 1.0, 1.0], [0.0, 0.0, 0.5, 1.0]]}))
    summary = urmp.build_urmp(raw, str(tmp_path / "swapped"), crop=str(boxes), progress=False)
    notes = os.path.join(raw, DUET, "Notes_1_vn_01_Duet.txt")  # its malformed line
    assert [p["path"] for p in summary["problems"]] == [os.path.join(raw, "02_Solo_vn"), notes]
    whole = urmp.build_urmp(raw, str(tmp_path / "whole"), crop="none", progress=False)
    assert [p["path"] for p in whole["problems"]] == [notes]

    def code(root, stem):
        row = _rows(root)[stem]
        path = os.path.join(root, "img", row["split"], row["instrument"], f"{stem}.jpg")
        return np.asarray(Image.open(path))

    frame = fx.frame_at(1.0)
    assert fx.decode_colour(code(str(tmp_path / "swapped"), "violin01_2")) == frame + 64
    assert fx.decode_colour(code(str(tmp_path / "swapped"), "flute01_2")) == frame
    # The whole frame: the left half shows code `frame`, the right half `frame + 64`.
    pixels = code(str(tmp_path / "whole"), "flute01_2")
    assert fx.decode_colour(pixels[:, 4:28]) == frame
    assert fx.decode_colour(pixels[:, 36:60]) == frame + 64


def test_read_notes_units_and_malformed_lines(tmp_path):
    path = tmp_path / "Notes.txt"
    path.write_text("0.5\t\t440.0\t\t1.0\n\n1.0 261.63\n2.0\t\t27.5\t\t0.5\n3 -5 1\n")
    notes, problems = urmp.read_notes(str(path))
    assert [(n.onset, n.pitch, n.duration) for n in notes] == [(0.5, 69, 1.0), (2.0, 21, 0.5)]
    assert [(p["line"], p["path"]) for p in problems] == [(3, str(path)), (5, str(path))]
    path.write_text("0 60 0.5\n0.5 64 0.5\n")  # integers in 0..127: MIDI numbers
    notes, problems = urmp.read_notes(str(path))
    assert [n.pitch for n in notes] == [60, 64] and problems == []
    assert urmp.pitch_at(notes, 0.0) == 60 and urmp.pitch_at(notes, 0.5) == 64
    assert urmp.pitch_at(notes, 1.0) == -1


def test_command_line(tmp_path):
    raw = str(tmp_path / "raw")
    fx.make_urmp(raw, bad=False)
    out = str(tmp_path / "out")
    result = subprocess.run(
        [sys.executable, "-m", "avgan.data.urmp", f"--urmp={raw}", f"--out={out}",
         "--min_dbfs=-20"],
        capture_output=True, text=True, timeout=120,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    # Run directly, as through `avgan-data urmp`: TensorFlow's C++ log silenced (it loads
    # for the audio), not its ~10 CUDA/TensorRT lines.
    for noise in ("Unable to register", "TensorRT", "cuda"):
        assert noise not in result.stderr, result.stderr[-3000:]
    assert "problems: 1\n" in result.stdout  # the malformed Notes line
    assert "Notes_1_vn_01_Duet.txt:3: malformed" in result.stdout
    with open(os.path.join(out, "dataset.json")) as f:
        summary = json.load(f)
    # At -20 dBFS the solo (-17 dBFS) stays, and the duet's quiet flute chunks go.
    assert summary["settings"]["min_dbfs"] == -20.0
    assert summary["silent_chunks_dropped"] == 3
    assert summary["pairs"]["train"] + summary["pairs"]["validation"] == 7 + 6 + 6
