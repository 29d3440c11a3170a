"""avgan.data.layout: reading Sub-URMP-layout folders, reporting and skipping bad files."""

import csv
import os
import struct

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from avgan.data import layout, pipeline
from tests.data.layout_fixture import (
    SR,
    damaged_jpeg_bytes,
    extensible_wav_bytes,
    wav_bytes,
    write_layout,
)


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


# Issue #22: what read_layout accepts, training decodes; what it refuses, it names.


def test_a_jpeg_with_damaged_scan_data_is_refused(tmp_path):
    write_layout(tmp_path)
    damaged = tmp_path / "img/train/flute/flute02_1.jpg"
    damaged.write_bytes(damaged_jpeg_bytes())
    with Image.open(damaged) as image:  # the header is intact and PIL decodes it,
        image.load()
    with pytest.raises(tf.errors.InvalidArgumentError):  # but TensorFlow does not
        tf.io.decode_image(damaged.read_bytes(), channels=3, expand_animations=False)

    index = layout.read_layout(tmp_path, progress=False)

    assert [(p.path, p.line) for p in index.problems] == [(str(damaged), None)]
    assert "cannot decode image: jpeg::Uncompress failed" in index.problems[0].reason
    assert "flute02_1" not in {p.stem for p in index.split("train") if p.instrument == "flute"}
    assert len(index.pairs) == 35 and str(damaged) in index.report()


def test_an_extensible_16_bit_wav_is_accepted_and_decoded(tmp_path):
    write_layout(tmp_path, instruments=("cello", "flute"), recordings=2)
    t = np.arange(SR // 2) / SR
    tone = 0.4 * np.sin(2 * np.pi * 440.0 * t)
    extensible = tmp_path / "chunk/train/flute/flute01_3.wav"
    extensible.write_bytes(extensible_wav_bytes(tone))
    with pytest.raises(tf.errors.InvalidArgumentError, match="format chunk size"):
        tf.audio.decode_wav(extensible.read_bytes())  # what the pipeline used to call

    index = layout.read_layout(tmp_path, progress=False)

    assert index.problems == ()
    position = [p.sound for p in pipeline.select_pairs(index, "train", None)].index(str(extensible))
    sounds = pipeline.sound_dataset(index, "train", 64, shuffle=False)
    waveform = next(iter(sounds))[0].numpy()[position]
    np.testing.assert_allclose(waveform, tone, atol=1.0 / 32767)


def test_a_wav_the_pipeline_cannot_decode_is_refused(tmp_path):
    write_layout(tmp_path, instruments=("cello", "flute"), recordings=2)
    # A LIST chunk before 'fmt ': a valid RIFF file (the header parser reads it), but
    # tf.audio.decode_wav wants 'fmt ' first.
    wav = tmp_path / "chunk/train/cello/cello01_0.wav"
    plain = wav.read_bytes()
    info = b"LIST" + struct.pack("<I", 4) + b"INFO"
    body = plain[8:12] + info + plain[12:]
    wav.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    index = layout.read_layout(tmp_path, progress=False)
    assert [(p.path, p.reason.split(":")[0]) for p in index.problems] == [
        (str(wav), "cannot decode WAV")
    ]


def _write_metadata(root, lines: list[bytes]) -> str:
    """ROOT/metadata/train.csv from raw lines (bytes, so a test can write any)."""
    os.makedirs(root / "metadata", exist_ok=True)
    path = root / "metadata" / "train.csv"
    path.write_bytes(b"".join(line + b"\r\n" for line in lines))
    return str(path)


def _good_rows(stems) -> list[bytes]:
    """A header and one row per stem: pitch 40 + chunk, pose fields 0.5 (hand 0.25)."""
    header = ",".join(["stem", "pitch", *layout.POSE_FIELDS]).encode()
    rows = [f"{stem},{40 + int(stem[-1])},1,0.25,1,0.5,0".encode() for stem in stems]
    return [header, *rows]


STEMS = ["cello01_0", "cello01_1", "cello01_2", "cello01_3", "flute01_0", "flute01_1"]


BAD_ROWS = {  # fault: (cello01_2's row, the reason given)
    "non-numeric pitch": (
        b"cello01_2,C4,1,0.25,1,0.5,0",
        "pitch: 'C4' is not a MIDI pitch (-1 for a rest, 0-127)",
    ),
    "non-numeric pose": (b"cello01_2,42,1,left,1,0.5,0", "hand: 'left' is not a finite number"),
    "non-UTF-8 bytes": (b"cello01_2,42,1,0.25,1,0.5,\xe9", "fingering: not UTF-8 text (byte 0xe9)"),
}


@pytest.mark.parametrize("fault", BAD_ROWS)
def test_a_bad_metadata_row_is_named_by_file_line_and_field(tmp_path, caplog, fault):
    row, reason = BAD_ROWS[fault]
    write_layout(tmp_path, instruments=("cello", "flute"), recordings=2)
    lines = _good_rows(STEMS)
    lines[3] = row  # cello01_2's row, on line 4
    csv_path = _write_metadata(tmp_path, lines)

    index = layout.read_layout(tmp_path, progress=False)

    assert [str(p) for p in index.problems] == [
        f"{csv_path}:4: {reason}; row not used, nor its pair"
    ], fault
    assert f"{csv_path}:4: {reason}" in caplog.text and f"{csv_path}:4" in index.report()
    pitches = {p.stem: p.pitch for p in index.split("train")}
    assert "cello01_2" not in pitches  # the row's pair is skipped,
    assert {s: pitches[s] for s in STEMS if s != "cello01_2"} == {
        s: 40 + int(s[-1]) for s in STEMS if s != "cello01_2"
    }  # and the rest of the file is used
    assert index.split("train")[0].pose == {
        "playing": 1.0,
        "hand": 0.25,
        "string": 1.0,
        "bow": 0.5,
        "fingering": 0.0,
    }


def test_metadata_without_a_stem_column_is_named_and_not_used(tmp_path):
    write_layout(tmp_path, instruments=("cello", "flute"), recordings=2)
    lines = _good_rows(STEMS)
    lines[0] = lines[0].replace(b"stem", b"name")
    csv_path = _write_metadata(tmp_path, lines)
    index = layout.read_layout(tmp_path, progress=False)
    assert [str(p) for p in index.problems] == [
        f"{csv_path}:1: no 'stem' column (columns: name, pitch, playing, hand, string, bow, "
        "fingering); file not used"
    ]
    assert len(index.pairs) == 16 and all(p.pitch is None for p in index.pairs)


def test_a_metadata_file_in_another_encoding_is_named(tmp_path):
    write_layout(tmp_path, instruments=("cello", "flute"), recordings=2)
    text = b"".join(line + b"\r\n" for line in _good_rows(STEMS)).decode()
    os.makedirs(tmp_path / "metadata")
    (tmp_path / "metadata" / "train.csv").write_bytes(text.encode("utf-16"))
    index = layout.read_layout(tmp_path, progress=False)
    assert [p.reason for p in index.problems] == [
        "UTF-16 text; metadata files must be UTF-8; file not used"
    ]


def test_a_short_duplicate_row_is_reported_and_the_first_row_kept(tmp_path):
    write_layout(tmp_path, instruments=("cello", "flute"), recordings=2)
    csv_path = _write_metadata(tmp_path, [*_good_rows(STEMS), b"cello01_2,"])
    index = layout.read_layout(tmp_path, progress=False)
    assert [str(p) for p in index.problems] == [
        f"{csv_path}:8: stem cello01_2 repeats line 4; the first row is kept"
    ]
    pair = next(p for p in index.pairs if p.stem == "cello01_2")
    assert pair.pitch == 42 and pair.pose is not None
