"""avgan.data.layout: reading Sub-URMP-layout folders, reporting and skipping bad files."""

import csv
import os

import numpy as np
import pytest

from avgan.data import layout
from tests.data.layout_fixture import wav_bytes, write_layout


def test_reads_every_pair_with_split_instrument_and_recording(tmp_path):
    written = write_layout(tmp_path)
    index = layout.read_layout(tmp_path, progress=False)
    assert len(index.pairs) == len(written) == 36
    assert index.instruments == ("cello", "flute", "trumpet")
    assert index.splits == ("train", "validation")
    pair = index.split("validation")[0]
    assert (pair.instrument, pair.recording, pair.chunk) == ("cello", "cello03", 0)
    assert pair.image.endswith("img/validation/cello/cello03_0.jpg")
    assert pair.sound.endswith("chunk/validation/cello/cello03_0.wav")
    assert pair.pitch is None and pair.pose is None  # no metadata in this layout
    assert index.problems == ()
    # Natural order of chunks: 2 before 10.
    assert [p.chunk for p in index.split("train")[:4]] == [0, 1, 2, 3]


def test_metadata_supplies_pitch_and_pose(tmp_path):
    write_layout(tmp_path, instruments=("cello",), recordings=2)
    os.makedirs(tmp_path / "metadata")
    with open(tmp_path / "metadata" / "train.csv", "w", newline="") as f:
        writer = csv.DictWriter(
            f, ["stem", "pitch", "playing", "hand", "string", "bow", "fingering"]
        )
        writer.writeheader()
        writer.writerow(
            dict(stem="cello01_2", pitch=48, playing=1, hand=0.25, string=1, bow=0.5, fingering=0)
        )
    pair = next(
        p for p in layout.read_layout(tmp_path, progress=False).pairs if p.stem == "cello01_2"
    )
    assert pair.pitch == 48
    assert pair.pose == {"playing": 1.0, "hand": 0.25, "string": 1.0, "bow": 0.5, "fingering": 0.0}


def test_bad_files_are_reported_by_name_and_skipped(tmp_path, caplog):
    write_layout(tmp_path)
    corrupt_wav = tmp_path / "chunk/train/flute/flute01_1.wav"
    corrupt_wav.write_bytes(corrupt_wav.read_bytes()[:1000])  # truncated
    corrupt_jpeg = tmp_path / "img/train/cello/cello02_3.jpg"
    corrupt_jpeg.write_bytes(corrupt_jpeg.read_bytes()[: len(corrupt_jpeg.read_bytes()) // 2])
    orphan = tmp_path / "img/train/trumpet/trumpet01_9.jpg"
    orphan.write_bytes((tmp_path / "img/train/trumpet/trumpet01_0.jpg").read_bytes())
    short = tmp_path / "chunk/validation/cello/cello03_2.wav"
    short.write_bytes(wav_bytes(np.zeros(1000)))
    at_48k = tmp_path / "chunk/validation/cello/cello03_1.wav"
    at_48k.write_bytes(wav_bytes(np.zeros(24000), rate=48000))
    not_audio = tmp_path / "chunk/train/cello/cello01_0.wav"
    not_audio.write_bytes(b"this is not audio at all" * 10)

    index = layout.read_layout(tmp_path, progress=False)

    reasons = {p.path: p.reason for p in index.problems}
    assert "truncated" in reasons[str(corrupt_wav)]
    assert "cannot decode image" in reasons[str(corrupt_jpeg)]
    assert "no matching chunk" in reasons[str(orphan)]
    assert "wrong size" in reasons[str(short)]
    assert "48000 Hz" in reasons[str(at_48k)]
    assert "not a RIFF/WAVE" in reasons[str(not_audio)]
    stems = {p.stem for p in index.pairs}
    assert len(index.pairs) == 36 - 5
    assert not {"flute01_1", "cello02_3", "cello03_2", "cello03_1", "cello01_0"} & stems
    assert str(corrupt_wav) in index.report() and str(orphan) in caplog.text


def test_stereo_and_png_pairs_are_accepted(tmp_path):
    write_layout(tmp_path, instruments=("viola",), recordings=2, image_format="PNG")
    stereo = tmp_path / "chunk/train/viola/viola01_0.wav"
    stereo.write_bytes(wav_bytes(np.zeros(22050), channels=2))  # the release's chunks are stereo
    index = layout.read_layout(tmp_path, progress=False)
    assert len(index.pairs) == 8 and not index.problems


def test_not_a_layout_and_empty_layout_are_refused(tmp_path):
    with pytest.raises(ValueError, match="no img/ folder"):
        layout.read_layout(tmp_path, progress=False)
    os.makedirs(tmp_path / "img" / "train" / "cello")
    os.makedirs(tmp_path / "chunk" / "train" / "cello")
    with pytest.raises(ValueError, match="no readable sound-image pairs"):
        layout.read_layout(tmp_path, progress=False)


def test_unknown_split_names_the_splits(tmp_path):
    write_layout(tmp_path, instruments=("cello",), recordings=2)
    with pytest.raises(ValueError, match="splits: train, validation"):
        layout.read_layout(tmp_path, progress=False).split("test")
