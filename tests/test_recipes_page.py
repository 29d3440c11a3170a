"""scripts/write_recipes.py: the recipe page from run folders with known numbers."""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import write_recipes  # noqa: E402


def _write(folder, file, values):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, file), "w") as f:
        json.dump(values, f)


def _run(folder, test, steps=1440):
    _write(folder, "metrics.json", {
        "generated_accuracy": {"train": test + 0.0125, "test": test},
        "steps": steps, "steps_per_second": 2.0, "seconds_this_run": steps / 2.0,
    })  # fmt: skip
    _write(folder, "evaluation.json", {
        "frechet_distance": 24.5, "frechet_distance_real_split": 10.25,
        "roughness": 0.0625, "roughness_real": 0.040,
        "diversity": 29.5, "diversity_real": 46.25,
    })  # fmt: skip
    with open(os.path.join(folder, "samples_test.png"), "wb") as f:
        f.write(b"\x89PNG " + os.path.basename(folder).encode())


def _encoders(folder, sound, image):
    _write(os.path.join(folder, "sound_classifier"), "metrics.json", {"accuracy": sound})
    _write(os.path.join(folder, "image_classifier"), "metrics.json", {"accuracy": image})


def _args(tmp_path, run, encoders):
    return argparse.Namespace(
        run=str(run),
        reference=str(tmp_path / "reference"),
        out=str(tmp_path / "recipes"),
        encoders=str(encoders),
    )


def test_rows_stand_ins_and_not_run(tmp_path):
    """A finished run gives its row; a baseline not trained here falls back to the
    reproduction's run, marked; a row not finished says so."""
    run, encoders = tmp_path / "r21", tmp_path / "enc"
    _encoders(encoders, 0.902, 0.935)
    _run(str(run / "s2i-avgan-h"), 0.75)
    _run(str(run / "s2i-c-avgan"), 0.8375, steps=2880)
    _run(str(tmp_path / "reference" / "s2i-c-long"), 0.25, steps=2880)
    args = _args(tmp_path, run, encoders)

    write_recipes.archive(args)
    text = write_recipes.write(args)

    assert "(sound classifier 90.2%, image classifier 93.5% on held-out recordings)" in text
    assert (
        "| avgan | the new recipe | 2,880 | 83.8% | 85.0% | 24.5 (10.2) | 0.062 (0.040) "
        "| 29.50 (46.25) | 2.00 | 24.0 |" in text
    )
    assert "| paper (GAN-CLS) † | the paper's recipe | 2,880 | 25.0% |" in text
    assert "| `s2i-avgan-h` | none (the full recipe) | 1,440 | 75.0% |" in text
    assert "| `s2i-avgan-h-no-r1` | lazy R1 -> none (`--r1_weight=0`) | not run |" in text
    assert "![s2i-c-avgan](samples_s2i-c-avgan.png)" in text
    with open(os.path.join(args.out, "samples_s2i-c-avgan.png"), "rb") as f:
        assert f.read() == b"\x89PNG s2i-c-avgan"
    # The page is written again from its own archive alone.
    again = argparse.Namespace(**{**vars(args), "run": os.path.join(args.out, "runs")})
    assert write_recipes.write(again) == text


def test_rows_of_other_encoders_are_replaced_not_mixed(tmp_path):
    """New encoders: the rows (and grids) judged by the old ones leave the page and its
    archive, even those the new run has not reached yet; the same encoders keep them."""
    old_run, new_run = tmp_path / "r21", tmp_path / "r21b"
    old_enc, new_enc = tmp_path / "enc", tmp_path / "enc2"
    _encoders(old_enc, 0.902, 0.879)
    _encoders(new_enc, 0.902, 0.935)
    _run(str(old_run / "s2i-avgan-h"), 0.75)
    _run(str(old_run / "s2i-avgan-h-spectral"), 0.5)
    write_recipes.archive(_args(tmp_path, old_run, old_enc))
    archived = os.path.join(tmp_path, "recipes", "runs")
    assert os.path.exists(os.path.join(archived, "s2i-avgan-h-spectral", "metrics.json"))

    # The same encoders again: nothing is removed.
    write_recipes.archive(_args(tmp_path, tmp_path / "empty", old_enc))
    assert os.path.exists(os.path.join(archived, "s2i-avgan-h-spectral", "metrics.json"))
    # Retrained to the same accuracy in another time (a new machine): the same encoders.
    retrained = tmp_path / "enc-again"
    _encoders(retrained, 0.902, 0.879)
    _write(
        os.path.join(retrained, "image_classifier"),
        "metrics.json",
        {"accuracy": 0.879, "seconds": 539.4},
    )
    write_recipes.archive(_args(tmp_path, tmp_path / "empty", retrained))
    assert os.path.exists(os.path.join(archived, "s2i-avgan-h-spectral", "metrics.json"))

    _run(str(new_run / "s2i-avgan-h"), 0.8125)
    args = _args(tmp_path, new_run, new_enc)
    write_recipes.archive(args)
    page = write_recipes.write(argparse.Namespace(**{**vars(args), "run": archived}))

    assert not os.path.exists(os.path.join(archived, "s2i-avgan-h-spectral"))
    assert "| `s2i-avgan-h` | none (the full recipe) | 1,440 | 81.2% |" in page
    assert "| `s2i-avgan-h-spectral` | batch norm -> spectral norm in D " in page
    assert "(`--d_norm=spectral`) | not run |" in page
    assert "image classifier 93.5%" in page
    assert not os.path.exists(os.path.join(args.out, "samples_s2i-avgan-h-spectral.png"))


def test_a_lost_run_dir_keeps_its_archived_row(tmp_path):
    """A run archived before its run dir was lost (a new machine) keeps its row when the
    page is written from a RUN that no longer has it."""
    run, encoders = tmp_path / "r21", tmp_path / "enc"
    _encoders(encoders, 0.902, 0.935)
    _run(str(run / "s2i-c-avgan"), 0.8375, steps=2880)
    _run(str(run / "s2i-avgan-h-no-r1"), 0.6875)
    args = _args(tmp_path, run, encoders)
    write_recipes.archive(args)
    before = write_recipes.write(args)

    fresh = tmp_path / "r21-new-machine"
    _run(str(fresh / "s2i-avgan-h"), 0.75)
    args = _args(tmp_path, fresh, encoders)
    write_recipes.archive(args)
    page = write_recipes.write(args)

    assert "| avgan | the new recipe | 2,880 | 83.8% | 85.0% |" in before
    assert "| avgan | the new recipe | 2,880 | 83.8% | 85.0% |" in page
    assert "| `s2i-avgan-h-no-r1` | lazy R1 -> none (`--r1_weight=0`) | 1,440 | 68.8% |" in page
    assert "| `s2i-avgan-h` | none (the full recipe) | 1,440 | 75.0% |" in page
