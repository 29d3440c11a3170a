"""`prepare`: layout, blinding (opaque names, re-encoded PNGs, shuffling), errors, CLI."""

import json
import os
import re

import pytest
from PIL import Image

from avgan.humaneval.__main__ import main
from avgan.humaneval.study import load, prepare

from .conftest import GROUND_TRUTH, INSTRUMENTS, METHODS, draw_picture, read_study


def test_study_layout_and_mapping(study_dir, sources):
    study = read_study(study_dir)
    assert study["methods"] == [*METHODS, GROUND_TRUTH]
    assert study["instruments"] == sorted(INSTRUMENTS)
    assert len(study["sets"]) == 2 * len(INSTRUMENTS)
    assert [s["instrument"] for s in study["sets"]] == sorted(INSTRUMENTS * 2)
    orders = set()
    for s in study["sets"]:
        # One picture per method, and (same stems everywhere) all from the same clip.
        assert sorted(im["method"] for im in s["images"]) == sorted(study["methods"])
        assert s["paired_by_stem"]
        stems = {os.path.splitext(os.path.basename(im["source"]))[0] for im in s["images"]}
        assert len(stems) == 1
        for im in s["images"]:
            assert os.path.dirname(im["source"]) == os.path.join(
                sources[im["method"]], s["instrument"]
            )
        orders.add(tuple(im["method"] for im in s["images"]))
    assert len(orders) > 1, "sets are shuffled"
    # Both picks of an instrument differ.
    sources_used = [im["source"] for s in study["sets"] for im in s["images"]]
    assert len(set(sources_used)) == len(sources_used)
    assert load(study_dir)["sets"] == study["sets"]


def test_images_are_opaque_uniform_pngs(study_dir):
    study = read_study(study_dir)
    files = sorted(os.listdir(os.path.join(study_dir, "images")))
    ids = sorted(im["id"] for s in study["sets"] for im in s["images"])
    assert files == [f"{i}.png" for i in ids]
    for name in files:
        assert re.fullmatch(r"[0-9a-f]{32}\.png", name)
        with Image.open(os.path.join(study_dir, "images", name)) as im:
            # Ground truth came as JPEG, methods as PNG: all now the same format, size, mode.
            assert (im.format, im.size, im.mode) == ("PNG", (64, 64), "RGB")
            assert not im.info.get("exif") and not im.text


def test_method_json_names_and_sub_urmp_ground_truth(tmp_path, sources):
    with open(os.path.join(sources["S2I-C"], "method.json"), "w") as f:
        json.dump({"name": "my-model"}, f)
    gt_root = tmp_path / "suburmp"
    os.makedirs(gt_root / "img")
    os.rename(sources[GROUND_TRUTH], gt_root / "img" / "validation")
    study = prepare(
        [sources["S2I-C"], sources["S2I-N"]],
        str(tmp_path / "s"),
        ground_truth=str(gt_root),
        sets=1,
        seed=0,
        size=0,
        log=lambda *a: None,
    )
    assert study["methods"] == ["my-model", "S2I-N", "ground truth"]
    assert len(study["sets"]) == len(INSTRUMENTS)


def test_independent_sampling_without_common_stems(tmp_path, sources):
    # Rename the ground truth files so that no stem is shared: sets are sampled per source.
    for instrument in INSTRUMENTS:
        folder = os.path.join(sources[GROUND_TRUTH], instrument)
        for name in os.listdir(folder):
            os.rename(os.path.join(folder, name), os.path.join(folder, "frame_" + name))
    study = prepare(
        [sources["S2I-C"]],
        str(tmp_path / "s"),
        ground_truth=sources[GROUND_TRUTH],
        sets=3,
        seed=0,
        log=lambda *a: None,
    )
    assert not any(s["paired_by_stem"] for s in study["sets"])
    assert len(study["sets"]) == 3 * len(INSTRUMENTS)


def test_errors(tmp_path, sources):
    methods = [sources[m] for m in METHODS]
    with pytest.raises(ValueError, match="fewer than --sets=4"):
        prepare(methods, str(tmp_path / "a"), sets=4)
    with pytest.raises(ValueError, match="must differ"):
        prepare([sources["S2I-C"], sources["S2I-C"]], str(tmp_path / "b"), sets=1)
    with pytest.raises(ValueError, match="not found in every source"):
        prepare(methods, str(tmp_path / "c"), sets=1, instruments=["tuba"])
    os.makedirs(tmp_path / "full")
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(FileExistsError):
        prepare(methods, str(tmp_path / "full"), sets=1)
    with pytest.raises(FileNotFoundError):
        prepare([str(tmp_path / "missing")], str(tmp_path / "d"), sets=1)


def test_instruments_missing_somewhere_are_skipped(tmp_path, sources, capsys):
    os.makedirs(os.path.join(sources["S2I-C"], "tuba"))
    draw_picture(os.path.join(sources["S2I-C"], "tuba", "x.png"), (1, 2, 3), 0)
    study = prepare(
        [sources["S2I-C"], sources["S2I-N"]], str(tmp_path / "s"), sets=1, log=lambda *a: None
    )
    assert "tuba" not in study["instruments"]
    assert "tuba" in capsys.readouterr().err


def test_cli_prepare(tmp_path, sources, capsys):
    out = str(tmp_path / "cli")
    args = ["prepare", "--models", *[sources[m] for m in METHODS], "--sets", "3", "--out", out]
    assert main([*args, "--ground_truth", sources[GROUND_TRUTH], "--seed", "5"]) == 0
    study = read_study(out)
    assert len(study["sets"]) == 9 and study["seed"] == 5
    assert study["ground_truth"] == "ground truth"
    assert "9 sets" in capsys.readouterr().out
    assert main(args) == 2  # out is no longer empty
    assert "not empty" in capsys.readouterr().err
