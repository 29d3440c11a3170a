"""avgan.data.pipeline: matched pairs, wrong pairs (paper Eq. 5 and 6), determinism."""

import logging
import os

import numpy as np
import pytest
import tensorflow as tf

from avgan.data import layout, pipeline
from tests.data.layout_fixture import (
    damaged_jpeg_bytes,
    decode_colour,
    write_layout,
    write_pitches,
)

INSTRUMENTS = ("cello", "flute", "trumpet")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("layout")
    write_layout(root, instruments=INSTRUMENTS, recordings=3, chunks=4)
    return layout.read_layout(root, progress=False)


def _batches(dataset, n):
    return [tf.nest.map_structure(lambda t: t.numpy(), b) for b in dataset.take(n)]


def test_right_pairs_are_matched_sound_and_picture(index):
    batch = _batches(pipeline.paired_dataset(index, "train", 8, seed=1), 1)[0]
    assert batch["sound"].shape == (8, 22050) and batch["sound"].dtype == np.float32
    assert batch["image"].shape == (8, 64, 64, 3) and batch["image"].dtype == np.uint8
    for sound, image, label in zip(batch["sound"], batch["image"], batch["label"], strict=True):
        inst, _, chunk = decode_colour(image)
        assert inst == label  # the fixture's colour code uses the sorted instrument order
        # The chunk's sine has amplitude 0.1 * (chunk + 1) and frequency 200 * (inst + 1).
        assert abs(np.abs(sound).max() - 0.1 * (chunk + 1)) < 1e-3
        peak_hz = np.argmax(np.abs(np.fft.rfft(sound))) * 2  # 0.5 s: 2 Hz per bin
        assert peak_hz == 200 * (inst + 1)


def test_instrument_wrong_pairs_never_share_the_instrument(index):
    dataset = pipeline.paired_dataset(
        index, "train", 16, wrong_pairs="instrument", seed=3, repeat=True
    )
    seen = set()
    for batch in _batches(dataset, 40):
        assert np.all(batch["wrong_label"] != batch["label"])
        for image, sound, label in zip(
            batch["wrong_image"], batch["wrong_sound"], batch["wrong_label"], strict=True
        ):
            assert decode_colour(image)[0] == label  # the picture is what the label says
            peak_hz = np.argmax(np.abs(np.fft.rfft(sound))) * 2  # and so is the sound
            assert peak_hz == 200 * (label + 1)
        seen.update(batch["wrong_label"].tolist())
    assert seen == {0, 1, 2}


def test_pose_wrong_pairs_share_the_instrument_but_not_the_picture(index):
    dataset = pipeline.paired_dataset(index, "train", 16, wrong_pairs="pose", seed=3, repeat=True)
    wrong_per_right: dict[int, set[int]] = {}
    for batch in _batches(dataset, 40):
        assert np.all(batch["wrong_label"] == batch["label"])
        assert np.all(batch["wrong_position"] != batch["position"])
        for right, wrong in zip(batch["image"], batch["wrong_image"], strict=True):
            assert decode_colour(right)[0] == decode_colour(wrong)[0]
            assert decode_colour(right) != decode_colour(wrong)
        for p, w in zip(batch["position"], batch["wrong_position"], strict=True):
            wrong_per_right.setdefault(int(p), set()).add(int(w))
    # Draws are spread over the class, not a fixed partner.
    assert max(len(w) for w in wrong_per_right.values()) >= 3


def _window(pairs, pool, i, k):
    """Brute force: the pairs of `pool` that i's wrong pair may be at `near_pitch=k`."""
    pitch = pairs[i].pitch
    if pitch < 0:  # a rest: any note
        return {j for j in pool if pairs[j].pitch >= 0}
    other = {j for j in pool if pairs[j].pitch != pitch}
    if not k:
        return other
    return {j for j in other if pairs[j].pitch >= 0 and abs(pairs[j].pitch - pitch) <= k}


def _near_pitch_candidates(pairs, i, k, same_recording=False):
    """Brute force: the positions `near_pitch=k` (and `same_recording`) may draw as i's
    wrong pair: in its recording, else in its instrument, else any other note, else any
    other picture."""
    same = [j for j, q in enumerate(pairs) if q.instrument == pairs[i].instrument and j != i]
    recording = [j for j in same if pairs[j].recording == pairs[i].recording]
    return (
        (same_recording and _window(pairs, recording, i, k))
        or _window(pairs, same, i, k)
        or _window(pairs, same, i, 0)
        or set(same)
    )


def _pitched_layout(root):
    """Cello, flute, trumpet, 3 recordings of 6 chunks; chunk k of recording r plays MIDI
    60 + 3k + r - 1, chunk 5 rests. Recordings 1 and 2 are training, 3 held out."""
    written = write_layout(root, instruments=INSTRUMENTS, recordings=3, chunks=6)
    os.makedirs(root / "metadata")
    for split in ("train", "validation"):
        with open(root / "metadata" / f"{split}.csv", "w") as f:
            f.write("stem,pitch\n")
            for s, _, stem in written:
                if s == split:
                    r, k = int(stem[-4:-2]), int(stem[-1])
                    f.write(f"{stem},{-1 if k == 5 else 60 + 3 * k + r - 1}\n")
    return layout.read_layout(root, progress=False)


def _drawn(index, **wrong) -> dict[int, set[int]]:
    """Position -> the wrong positions drawn for it in 60 batches of 16."""
    dataset = pipeline.paired_dataset(
        index, "train", 16, wrong_pairs="pose", seed=3, repeat=True, **wrong
    )
    drawn: dict[int, set[int]] = {}
    for batch in _batches(dataset, 60):
        for p, w in zip(batch["position"], batch["wrong_position"], strict=True):
            drawn.setdefault(int(p), set()).add(int(w))
    return drawn


def test_near_pitch_wrong_pairs_play_another_note_of_the_instrument_nearby(tmp_path):
    """Harder Eq. 6 pairs: the wrong picture shows the same instrument playing a different
    note at most k semitones away, every such picture is drawn, and a rest's is a note."""
    pitched = _pitched_layout(tmp_path)
    pairs = pipeline.select_pairs(pitched, "train", None)
    drawn = _drawn(pitched, near_pitch=2)
    assert len(drawn) == len(pairs) == 36
    for i, wrongs in drawn.items():
        candidates = _near_pitch_candidates(pairs, i, 2)
        if pairs[i].pitch >= 0:  # at most 4 candidates: all of them drawn
            assert wrongs == candidates, pairs[i]
        else:  # any of the instrument's 10 notes: spread over them
            assert wrongs <= candidates and len(wrongs) >= 5, pairs[i]
    # e.g. cello01_0 (60): the one note within 2 semitones is cello02_0 (61).
    first = next(i for i, q in enumerate(pairs) if q.stem == "cello01_0")
    assert [pairs[j].stem for j in drawn[first]] == ["cello02_0"]
    write_layout(tmp_path / "plain")
    unpitched = layout.read_layout(tmp_path / "plain", progress=False)
    with pytest.raises(ValueError, match="near_pitch: .* has no pitch metadata"):
        pipeline.paired_dataset(unpitched, "train", 4, wrong_pairs="pose", near_pitch=2)
    with pytest.raises(ValueError, match="near_pitch must be >= 0 and is for wrong_pairs 'pose'"):
        pipeline.paired_dataset(pitched, "train", 4, near_pitch=2)


def test_same_recording_wrong_pairs_keep_the_player_and_room(tmp_path):
    """--same_recording: the wrong picture is of the pair's own recording (player and
    room) playing another note (within near_pitch if set); where the recording has
    none that near, the instrument's, as without it."""
    pitched = _pitched_layout(tmp_path)
    pairs = pipeline.select_pairs(pitched, "train", None)
    for near in (0, 3):
        drawn = _drawn(pitched, near_pitch=near, same_recording=True)
        assert len(drawn) == 36
        for i, wrongs in drawn.items():
            candidates = _near_pitch_candidates(pairs, i, near, same_recording=True)
            assert wrongs == candidates, (near, pairs[i])
            assert {pairs[j].recording for j in wrongs} == {pairs[i].recording}
    # cello01_1 (63) at near 3: its recording's 60 and 66; at near 0 all 5 other chunks.
    second = next(i for i, q in enumerate(pairs) if q.stem == "cello01_1")
    assert sorted(
        pairs[j].stem for j in _drawn(pitched, near_pitch=3, same_recording=True)[second]
    ) == ["cello01_0", "cello01_2"]
    # At near 2 no note of a recording is that near (steps of 3): the instrument's 61, 64.
    near2 = _drawn(pitched, near_pitch=2, same_recording=True)
    assert sorted(pairs[j].stem for j in near2[second]) == ["cello02_0", "cello02_1"]
    with pytest.raises(ValueError, match="same_recording is for wrong_pairs 'pose'"):
        pipeline.paired_dataset(pitched, "train", 4, same_recording=True)


def test_paired_batches_carry_the_note_pitch_and_minus_one_without(index, tmp_path):
    """The pitch of each pair's note (for an auxiliary head that names it): -1 for a rest,
    and for every pair of a layout without pitch metadata."""
    (batch,) = _batches(pipeline.paired_dataset(index, "train", 8, seed=1), 1)
    assert batch["pitch"].dtype == np.int32 and np.all(batch["pitch"] == -1)
    write_pitches(tmp_path, write_layout(tmp_path, instruments=INSTRUMENTS, chunks=4))
    pitched = layout.read_layout(tmp_path, progress=False)
    pairs = pipeline.select_pairs(pitched, "train", None)
    ds = pipeline.paired_dataset(pitched, "train", 8, shuffle=False, drop_remainder=False)
    seen = set()
    for batch in _batches(ds, 10):
        for pitch, position in zip(batch["pitch"], batch["position"], strict=True):
            pair = pairs[position]
            rest = pair.stem.endswith("_3")
            assert pitch == (-1 if rest else 55 + 12 * INSTRUMENTS.index(pair.instrument))
            seen.add(int(pitch))
    assert seen == {-1, 55, 67, 79}


def test_same_seed_same_batches_other_seed_other_batches(index):
    def positions(seed):
        batches = _batches(pipeline.paired_dataset(index, "train", 8, seed=seed, repeat=True), 6)
        return [(b["position"].tolist(), b["wrong_position"].tolist()) for b in batches]

    assert positions(7) == positions(7)
    assert positions(7) != positions(8)


def test_skipping_batches_resumes_the_same_stream(index):
    full = _batches(pipeline.paired_dataset(index, "train", 8, seed=4, repeat=True), 7)
    resumed = _batches(
        pipeline.paired_dataset(index, "train", 8, seed=4, repeat=True, skip_batches=4), 3
    )
    for a, b in zip(full[4:], resumed, strict=True):
        np.testing.assert_array_equal(a["position"], b["position"])
        np.testing.assert_array_equal(a["wrong_position"], b["wrong_position"])
        np.testing.assert_array_equal(a["image"], b["image"])


def test_epochs_cover_every_pair_once(index):
    dataset = pipeline.paired_dataset(index, "train", 5, seed=0, drop_remainder=False)
    positions = np.concatenate([b["position"] for b in _batches(dataset, 100)])
    assert sorted(positions.tolist()) == list(range(24))


def test_instrument_filter_and_errors(index):
    batch = _batches(
        pipeline.paired_dataset(index, "train", 4, wrong_pairs="pose", instruments=["flute"]), 1
    )[0]
    assert set(batch["label"].tolist()) == {index.label("flute")}
    with pytest.raises(ValueError, match="no wrong pairs of Eq. 5"):
        pipeline.paired_dataset(index, "train", 4, instruments=["flute"])
    with pytest.raises(ValueError, match="unknown instrument"):
        pipeline.paired_dataset(index, "train", 4, instruments=["banjo"])
    with pytest.raises(ValueError, match="wrong_pairs must be one of"):
        pipeline.paired_dataset(index, "train", 4, wrong_pairs="colour")


def test_select_pairs_groups_classes_and_positions_index_it(index):
    pairs = pipeline.select_pairs(index, "train", None)
    assert len(pairs) == 24
    labels = [index.label(p.instrument) for p in pairs]
    assert labels == sorted(labels)  # one contiguous run per class
    assert [p.stem for p in pairs if p.instrument == "flute"] == [
        p.stem for p in index.split("train") if p.instrument == "flute"
    ]  # the index's order within a class
    assert {p.instrument for p in pipeline.select_pairs(index, "train", ["flute"])} == {"flute"}
    # A dataset's `position` is the pair's place in this list: its picture is that pair's.
    batch = _batches(pipeline.paired_dataset(index, "train", 8, seed=2), 1)[0]
    for position, image in zip(batch["position"], batch["image"], strict=True):
        instrument, recording, chunk = decode_colour(image)
        pair = pairs[position]
        assert (pair.instrument, pair.chunk) == (INSTRUMENTS[instrument], chunk)
        assert pair.recording == f"{pair.instrument}{recording:02d}"
    with pytest.raises(ValueError, match="unknown instrument"):
        pipeline.select_pairs(index, "train", ["banjo"])


def test_classifier_datasets(index):
    sounds, labels = next(iter(pipeline.sound_dataset(index, "validation", 12, shuffle=False)))
    assert sounds.shape == (12, 22050)
    assert labels.numpy().tolist() == [0] * 4 + [1] * 4 + [2] * 4
    lms, _ = next(iter(pipeline.sound_dataset(index, "validation", 3, representation="lms")))
    assert lms.shape == (3, 128, 44)
    images, labels = next(iter(pipeline.image_dataset(index, "validation", 12, shuffle=False)))
    assert images.dtype == tf.uint8
    assert [decode_colour(i)[0] for i in images.numpy()] == labels.numpy().tolist()


def test_a_pair_that_fails_to_decode_is_skipped_and_named_in_the_log(tmp_path, caplog):
    # Files that break after read_layout checked them (or were never checked) must not
    # end a run: the elements that need them are skipped, and each file is named once.
    write_layout(tmp_path, instruments=INSTRUMENTS, recordings=3, chunks=4)
    index = layout.read_layout(tmp_path, progress=False)
    assert not index.problems

    def paired_stream():
        dataset = pipeline.paired_dataset(index, "train", 5, seed=2, drop_remainder=False)
        return [
            (p, w)
            for b in _batches(dataset, 100)
            for p, w in zip(b["position"], b["wrong_position"], strict=True)
        ]

    clean = paired_stream()
    picture = tmp_path / "img/train/flute/flute02_1.jpg"
    picture.write_bytes(damaged_jpeg_bytes())
    sound = tmp_path / "chunk/train/trumpet/trumpet01_3.wav"
    sound.write_bytes(sound.read_bytes()[:-1000])  # truncated
    pairs = pipeline.select_pairs(index, "train", None)
    bad = {[p.image for p in pairs].index(str(picture)), [p.sound for p in pairs].index(str(sound))}

    with caplog.at_level(logging.WARNING):
        assert paired_stream() == [(p, w) for p, w in clean if not {p, w} & bad]
        images = pipeline.image_dataset(index, "train", 5, shuffle=False, repeat=True)
        shown = [decode_colour(i) for b in _batches(images, 14) for i in b[0]]  # ~3 passes
        sounds = pipeline.sound_dataset(index, "train", 5, shuffle=False)
        heard = sum(len(b[1]) for b in _batches(sounds, 100))

    assert (1, 2, 1) not in shown and len(set(shown)) == 23  # flute02_1's colour code
    assert heard == 23
    messages = [r.getMessage() for r in caplog.records]
    picture_lines = [m for m in messages if str(picture) in m]
    sound_lines = [m for m in messages if str(sound) in m]
    assert len(picture_lines) == 2  # once per dataset: paired, image
    assert all("Invalid JPEG data" in m for m in picture_lines)
    assert len(sound_lines) == 2  # paired, sound
    assert all("truncated WAV" in m for m in sound_lines)
