"""scripts/write_report.py: the reproduction report from run folders with known numbers."""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import write_report  # noqa: E402

CONFIG = {
    "preset": "cpu",
    "data": {"root": "", "synthetic_preset": "small", "seed": 0},
    "train": {"epochs": 5, "batch_size": 64},
}


CELLO = {"instruments": ["cello"]}  # what evaluate_dir writes of a pose run


def _write(run, name, file, values):
    os.makedirs(os.path.join(run, name), exist_ok=True)
    with open(os.path.join(run, name, file), "w") as f:
        json.dump(values, f)


def _gan(run, name, train, test, **more):
    _write(run, name, "config.json", CONFIG)
    _write(run, name, "metrics.json", {
        "generated_accuracy": {"train": train, "test": test},
        "curve": [{"epoch": 2, "step": 48, "train": train / 2, "validation": test / 2},
                  {"epoch": 4, "step": 96, "train": train, "validation": test}],
        "steps": 96, "steps_per_second": 0.5, "seconds_this_run": 192.0, **more,
    })  # fmt: skip
    _write(run, name, "evaluation.json", {
        "frechet_distance": 12.345, "frechet_distance_real_split": 1.5,
        "diversity": 3.25, "diversity_real": 9.5, "roughness": 0.0625, "roughness_real": 0.03125,
        "accuracy": {"train": train, "test": test, "test_without_ema": test / 2},
    })  # fmt: skip


def test_report_tables_plots_and_missing_runs(tmp_path):
    run, out = str(tmp_path / "run"), str(tmp_path / "results")
    _write(run, "sound_classifier", "metrics.json",
           {"accuracy": 0.9017, "epochs": 8, "seconds": 150.0})  # fmt: skip
    _write(run, "sound_classifier", "config.json", CONFIG)
    _write(run, "image_classifier", "metrics.json",
           {"accuracy": 0.8125, "epochs": 20, "seconds": 600.0})  # fmt: skip
    _gan(run, "s2i-c", 0.5, 0.4)
    _gan(run, "s2i-n", 0.125, 0.0625)
    _gan(run, "s2i-c-long", 0.75, 0.625, seconds_total=600.0)  # extended: two legs
    _gan(run, "s2i-n-long", 0.25, 0.1875)  # S2I-A was not continued
    _gan(run, "s2i-c-diffaugment", 0.875, 0.8125)
    _write(run, "s2i-c-diffaugment", "run.json", {"augment": "translation,cutout"})
    _gan(run, "s2i-c-resize", 0.9375, 0.875)
    _write(run, "s2i-c-resize", "run.json", {"augment": "translation,cutout"})
    _gan(run, "s2i-c-acgan", 0.8125, 0.75)
    _write(run, "s2i-c-acgan", "run.json", {"augment": "translation,cutout", "aux_weight": 1.0})
    _gan(run, "i2s", 0.0625, 0.125)
    _gan(run, "i2s-diffaugment", 0.25, 0.375)
    _write(run, "i2s-diffaugment", "run.json", {"augment": "time_translation,cutout"})
    _gan(run, "i2s-diffaugment-long", 0.3125, 0.4375)
    _gan(run, "i2s-acgan", 0.5625, 0.6875)
    _write(run, "i2s-acgan", "run.json", {"augment": "time_translation,cutout", "aux_weight": 0.5})
    _gan(run, "s2i_pose/cello", 0.5, 0.5)
    with open(os.path.join(run, "s2i_pose/cello/evaluation.json")) as f:
        evaluation = json.load(f)
    # An evaluation made before roughness was measured.
    evaluation = {k: v for k, v in evaluation.items() if not k.startswith("roughness")}
    _write(run, "s2i_pose/cello", "evaluation.json", {**evaluation, **CELLO, "pose": {
        "regressor_pictures": {"real": 115, "drawn": 4096},
        "fidelity": {"mean": 0.5, "correlation": {"hand": 0.25, "bow": 0.75}},
        "regressor_on_real": {"mean": 0.9, "correlation": {"hand": 0.85, "bow": 0.95}},
    }})  # fmt: skip
    _write(run, "table1/lms-4", "metrics.json", {"accuracy": 0.875, "seconds": 60.0})
    _write(run, "table1/lms-4", "config.json", CONFIG)
    for name in ("s2i-c", "i2s-diffaugment", "i2s-acgan"):
        with open(os.path.join(run, name, "samples_test.png"), "wb") as f:
            f.write(b"\x89PNG fake")

    text = write_report.report(run, out, seconds=7200, command="scripts/reproduce.sh")

    assert text == open(os.path.join(out, "REPORT.md")).read()
    # Table 5: the equal budget, the three continued, then the S2I-C variants.
    assert (
        "| | S2I-C | S2I-N | S2I-A |\n|---|---|---|---|\n"
        "| train sounds | 50.00% (paper 87.37%) | 12.50% (paper 12.62%) "
        "| not run (paper 10.63%) |\n"
        "| test sounds | 40.00% (paper 75.56%) | 6.25% (paper 12.32%) | not run (paper 10.95%) |\n"
        "| train sounds, continued to 96 steps | 75.00% | 25.00% | not run |\n"
        "| test sounds, continued to 96 steps | 62.50% | 18.75% | not run |\n" in text
    )
    assert (
        "| | S2I-C + DiffAugment (96 steps) | S2I-C + DiffAugment + resize-conv (96 steps) |"
        " S2I-C + DiffAugment + AC-GAN (96 steps) |\n|---|---|---|---|\n"
        "| train sounds | 87.50% | 93.75% | 81.25% |\n"
        "| test sounds | 81.25% | 87.50% | 75.00% |\n" in text
    )
    assert "(Odena et al. 2017; `--aux_weight=1`)" in text
    assert (
        "| S2I-C + DiffAugment | 12.3 (1.5) | 3.25 (9.50) | 0.062 (0.031) | 81.25% / 40.62% |"
        in text
    )
    assert "through DiffAugment (Zhao et al. 2020; `--augment=translation,cutout`)" in text
    assert "DiffAugment (`--augment=translation,cutout`) with each of the generator's" in text
    assert (
        "| S2I-C + DiffAugment + resize-conv | 12.3 (1.5) | 3.25 (9.50) | 0.062 (0.031) |"
        " 87.50% / 43.75% |" in text
    )
    assert "| sound classifier, LMS, 4 conv layers" in text and "90.17%" in text
    assert "81.25% | > 95% | 20 | 10.0 min |" in text
    assert "| S2I-C | 12.3 (1.5) | 3.25 (9.50) | 0.062 (0.031) | 40.00% / 20.00% |" in text
    assert "| S2I-A | not run | not run | not run | not run |" in text
    assert "| pose S2I, cello | 12.3 (1.5) | 3.25 (9.50) | — | 50.00% / 25.00% |" in text
    assert "87.50% (paper 87.44%)" in text  # Table 1 from run/table1
    assert "in 2.00 h" in text
    assert "S2I-C continued 96 steps at 0.5 steps/s (10.0 min more)" in text  # all legs
    assert "S2I-C + DiffAugment 96 steps at 0.5 steps/s (3.2 min)" in text
    # Each curve peaks at its last point.
    assert "S2I-C continued: 62.50% on test sounds, 75.00% on train sounds, at epoch 4" in text
    assert "S2I-N continued: 18.75% on test sounds, 25.00% on train sounds, at epoch 4" in text
    assert "| S2I-N continued | 12.3 (1.5) | 3.25 (9.50) | 0.062 (0.031) | 18.75% / 9.38% |" in text
    assert "| S2I-A continued |" not in text  # a run that was not made has no row
    assert "S2I-C + DiffAugment: 81.25% on test sounds, 87.50% on train sounds" in text
    assert "| cello | 0.500 | 0.900 | hand 0.25, bow 0.75 | 115 real + 4096 drawn |" in text
    # I2S: one row per run, the augmented one with its policy, peak and own Fig. 11.
    assert "| I2S | 6.25% | 12.50% | 96 steps at 0.5 steps/s (3.2 min) |" in text
    assert "| I2S + DiffAugment | 25.00% | 37.50% | 96 steps at 0.5 steps/s (3.2 min) |" in text
    assert "(`--augment=time_translation,cutout`;" in text
    assert (
        "| I2S + DiffAugment continued | 31.25% | 43.75% | 96 steps at 0.5 steps/s (3.2 min more) |"
        in text
    )
    assert "I2S + DiffAugment continued is that run trained on" in text
    assert (
        "I2S + DiffAugment: 37.50% on test pictures, 25.00% on train pictures, at epoch 4" in text
    )
    assert (
        "| I2S + DiffAugment | 12.3 (1.5) | 3.25 (9.50) | 0.062 (0.031) | 37.50% / 18.75% |" in text
    )
    assert "![Fig. 11, I2S + DiffAugment](fig11_spectrograms_diffaugment.png)" in text
    assert (
        "| I2S + DiffAugment + AC-GAN | 56.25% | 68.75% | 96 steps at 0.5 steps/s (3.2 min) |"
        in text
    )
    assert (
        "I2S + DiffAugment + AC-GAN is not in the paper: I2S + DiffAugment "
        "(`--augment=time_translation,cutout`) with an auxiliary instrument classifier on the "
        "discriminator (Odena et al. 2017; `--aux_weight=0.5`): the discriminator also learns "
        "to name the instrument of real spectrograms" in text
    )
    assert "The evaluator above is the separate sound classifier, not that head." in text
    assert "I2S + DiffAugment + AC-GAN: 68.75% on test pictures, 56.25% on train pictures" in text
    assert (
        "| I2S + DiffAugment + AC-GAN | 12.3 (1.5) | 3.25 (9.50) | 0.062 (0.031) |"
        " 68.75% / 34.38% |" in text
    )
    assert "![Fig. 11, I2S + DiffAugment + AC-GAN](fig11_spectrograms_acgan.png)" in text
    assert "![Fig. 11, I2S]" not in text  # no samples for the plain run: no dangling link
    assert "![i2s-diffaugment]" not in text  # spectrograms are not a picture grid
    # The plots exist and are PNGs; the sample grid was copied under its run's name.
    for plot in (
        "fig9_accuracy.png",
        "i2s_accuracy.png",
        "fig11_spectrograms_diffaugment.png",
        "fig11_spectrograms_acgan.png",
    ):
        with open(os.path.join(out, plot), "rb") as f:
            assert f.read(4) == b"\x89PNG"
    assert os.path.exists(os.path.join(out, "samples_s2i-c.png"))
    assert "![s2i-c](samples_s2i-c.png)" in text


def test_a_continued_run_extends_the_curve_it_continues(tmp_path):
    run = str(tmp_path)
    later = [{"epoch": e, "step": 24 * e, "train": 0.5, "validation": 0.5} for e in (4, 6, 8)]
    _write(run, "i2s-diffaugment-long", "metrics.json", {"curve": later})
    first = [{"epoch": e, "step": 24 * e, "train": 0.25, "validation": 0.25} for e in (2, 4)]
    curve = write_report._continued(run, first, "i2s-diffaugment-long")
    assert [p["epoch"] for p in curve] == [2, 4, 6, 8]
    assert curve[1]["validation"] == 0.25  # the run's own point wins at the seam
    assert write_report._continued(run, first, None) == first
    assert write_report._continued(run, first, "not-a-run") == first


def test_the_report_rebuilds_from_its_archive_alone(tmp_path):
    run, out = str(tmp_path / "run"), str(tmp_path / "results")
    _write(run, "sound_classifier", "metrics.json", {"accuracy": 0.875, "epochs": 8, "seconds": 60})
    _write(run, "sound_classifier", "config.json", CONFIG)
    _gan(run, "s2i-c", 0.5, 0.375)
    _write(run, "s2i-c", "run.json", {"augment": ""})
    _gan(run, "i2s-acgan", 0.25, 0.3125)
    _write(run, "i2s-acgan", "run.json", {"augment": "time_translation,cutout", "aux_weight": 1})
    _write(run, "s2i-c/checkpoints", "metrics.json", {"not": "a summary"})
    _write(run, "table1/lms-4", "metrics.json", {"accuracy": 0.75, "seconds": 30.0})
    _write(run, "table1/lms-4", "config.json", CONFIG)
    with open(os.path.join(run, "s2i-c", "samples_test.png"), "wb") as f:
        f.write(b"\x89PNG fake")
    with open(os.path.join(run, "reproduce_seconds"), "w") as f:
        f.write("5400")
    kept = str(tmp_path / "archive")
    os.makedirs(os.path.join(kept, "s2i-x"))  # a previous archive's run: replaced
    assert write_report.archive(run, kept) == [
        "reproduce_seconds",
        "i2s-acgan/metrics.json",
        "i2s-acgan/evaluation.json",
        "i2s-acgan/run.json",
        "i2s-acgan/config.json",
        "s2i-c/metrics.json",
        "s2i-c/evaluation.json",
        "s2i-c/run.json",
        "s2i-c/config.json",
        "sound_classifier/metrics.json",
        "sound_classifier/config.json",
        "table1/lms-4/metrics.json",
        "table1/lms-4/config.json",
        "provenance.json",
    ]
    assert not os.path.exists(os.path.join(kept, "s2i-x"))
    assert not os.path.exists(os.path.join(kept, "s2i-c", "samples_test.png"))

    first = write_report.report(run, out, 5400, "scripts/reproduce.sh", archived=kept)
    assert f"kept in `{kept}`; `python scripts/write_report.py {kept}` rebuilds" in first
    rebuilt = write_report.report(kept, out, 5400, "scripts/reproduce.sh")
    # The same report, its header included (the archive recorded its date, cores and
    # run folder), the sample grid too: its picture is the one already in OUT, since
    # the archive holds none.
    assert rebuilt == first
    assert "![s2i-c](samples_s2i-c.png)" in rebuilt
    assert "| I2S + DiffAugment + AC-GAN | 25.00% | 31.25% |" in rebuilt
    # A run with no picture anywhere gets no link.
    assert "fig11_spectrograms_acgan.png" not in rebuilt


def test_the_recipes_section_quotes_the_avgan_runs_and_links_their_page(tmp_path):
    """OUT/recipes/recipes.md present: its runs' test accuracy, Fréchet and roughness
    are quoted beside the real references; a run not there yet says so."""
    out = str(tmp_path / "results")
    runs = os.path.join(out, "recipes", "runs")
    _write(runs, "s2i-avgan-h", "metrics.json", {"generated_accuracy": {"test": 0.739}})
    _write(
        runs,
        "s2i-avgan-h",
        "evaluation.json",
        {
            "frechet_distance": 24.86,
            "frechet_distance_real_split": 10.65,
            "roughness": 0.0625,
            "roughness_real": 0.0401,
        },
    )
    with open(os.path.join(out, "recipes", "recipes.md"), "w") as f:
        f.write("# Recipes\n")
    lines = write_report.recipes_section(out)
    assert "[recipes/recipes.md](recipes/recipes.md)" in lines[2]
    assert "| S2I-C, 1,440 steps | 73.90% | 24.9 (10.7) | 0.062 (0.040) |" in lines
    assert "| S2I-C, 2,880 steps | not run | — | — |" in lines
    assert write_report.recipes_section(str(tmp_path / "elsewhere")) == []


def test_the_larger_data_section_quotes_the_full_runs_with_their_evaluator(tmp_path):
    """OUT/full holds the `avgan` runs on `full`: each row gives its data, steps,
    evaluate's accuracy, the evaluator's own accuracy on real held-out samples and the
    real references; a run without its evaluation is left out, and no folder means
    no section."""
    out = str(tmp_path / "results")
    assert write_report.larger_data_section(out) == []
    full = os.path.join(out, "full")
    _gan(full, "s2i-c-avgan", 0.875, 0.75)
    _write(full, "s2i-c-avgan", "config.json", {**CONFIG, "data": {
        "root": "", "synthetic_preset": "full", "seed": 0}})  # fmt: skip
    _write(full, "s2i-c-avgan/encoders", "image_classifier.json", {"accuracy": 0.9625})
    with open(os.path.join(full, "samples_s2i-c-avgan.png"), "wb") as f:
        f.write(b"\x89PNG fake")
    _gan(full, "i2s-avgan", 0.5, 0.25)
    os.remove(os.path.join(full, "i2s-avgan", "evaluation.json"))

    text = "\n".join(write_report.larger_data_section(out))

    assert (
        "| S2I-C | `full` | 96 | 75.00% | 87.50% | 96.25% | 12.3 (1.5) | 0.062 (0.031) "
        "| 3.2 (9.5) |" in text
    )
    assert "| I2S |" not in text
    assert "![S2I-C, full](full/samples_s2i-c-avgan.png)" in text


def test_the_probe_section_tabulates_each_encoding(tmp_path):
    out = str(tmp_path / "results")
    assert write_report.probe_section(out) == []
    probe = {
        "data": "/cache/synthetic-full-seed0-v4",
        "instruments": {
            "cello": {
                "chunks": {"train": 1126, "test": 292},
                "probe": {
                    "pitch": {
                        "correlation": {"hand": 0.98, "bow": 0.18, "string": 0.99},
                        "skipped": {"playing": "constant truth"},
                        "mean": 0.7167,
                    }
                },
            }
        },
    }
    os.makedirs(os.path.join(out, "pose"))
    with open(os.path.join(out, "pose", "probe.json"), "w") as f:
        json.dump(probe, f)
    text = "\n".join(write_report.probe_section(out))
    assert "`avgan-probe` on `synthetic-full-seed0-v4`" in text
    assert "| cello | pitch | 0.98 | 0.18 | 0.99 | - | 0.72 | 1,126 / 292 |" in text


def test_the_pose_section_plots_the_scale_and_shows_its_pictures(tmp_path):
    run, out = str(tmp_path / "run"), str(tmp_path / "out")
    r = {"correlation": {"hand": 0.5, "string": 0.75}, "skipped": {}, "mean": 0.625}
    scale = {
        "pitches": [36, 37, 38],
        "read": {"hand": [0.1, 0.2, 0.1], "string": [0.0, 0.1, 0.0]},
        "expected": {"hand": [0.0, 1 / 12, 2 / 12], "string": [0.0, 0.0, 0.0]},
        "correlation": r,
        "spread": 0.1234,
        "real_spread": 0.0456,
    }
    pose = {"fidelity": r, "regressor_on_real": r, "scale": scale}
    _write(run, os.path.join("s2i_pose", "cello"), "evaluation.json", {**CELLO, "pose": pose})
    with open(os.path.join(run, "s2i_pose", "cello", "scale.png"), "wb") as f:
        f.write(b"\x89PNG row")
    os.makedirs(out)

    text = "\n".join(write_report.pose_section(run, out))

    assert "| cello | 0.625 | 0.625 | hand 0.50, string 0.75 |" in text
    assert "Fig. 10, cello: a rising scale (3 notes" in text
    assert "(hand r 0.50, string r 0.75)" in text
    assert "0-1): 0.123, against 0.046 for the pictures of one real held-out recording" in text
    assert "![Fig. 10, cello](scale_cello.png)" in text
    assert os.path.getsize(os.path.join(out, "scale_cello.png")) > 1000  # the plot
    with open(os.path.join(out, "scale_row_cello.png"), "rb") as f:
        assert f.read() == b"\x89PNG row"
    # Without an output folder, the table alone; without a scale, it says so.
    assert "Fig. 10, cello" not in "\n".join(write_report.pose_section(run))
    del pose["scale"]
    _write(run, os.path.join("s2i_pose", "cello"), "evaluation.json", {**CELLO, "pose": pose})
    text = "\n".join(write_report.pose_section(run, out))
    assert "Fig. 10, cello" not in text
    assert f"rising scale, `avgan.evaluation.scale`): {write_report.NOT_RUN}" in text


def test_the_pose_section_has_a_row_per_model_and_instrument(tmp_path):
    """The reproduction's s2i_pose/<instrument>, another run's folder of one model per
    instrument, and a model shared by two instruments, each with its instrument-named
    share and steps; a shared model's scale row is its scale_<instrument>.png."""
    run, out = str(tmp_path / "run"), str(tmp_path / "out")
    r = {"correlation": {"hand": 0.5, "string": 0.75}, "skipped": {}, "mean": 0.625}
    pose = {"fidelity": r, "regressor_on_real": r}
    scale = {
        "pitches": [55, 56],
        "read": {"hand": [0.1, 0.2], "string": [0.0, 0.0]},
        "expected": {"hand": [0.0, 1 / 12], "string": [0.0, 0.0]},
        "correlation": r,
    }
    accuracy = {"accuracy": {"train": 1.0, "test": 0.9625}}
    _write(run, "s2i_pose/cello", "evaluation.json", {**CELLO, "pose": pose})
    _write(run, "s2i_pose-avgan/violin", "evaluation.json",
           {**accuracy, "instruments": ["violin"], "pose": pose})  # fmt: skip
    _write(run, "s2i_pose-avgan/violin", "metrics.json", {"steps": 2890})
    _write(run, "s2i_pose-avgan/violin", "config.json", {"data": {"synthetic_preset": "full"}})
    shared = {"cello": pose, "violin": {**pose, "scale": scale}}
    _write(run, "s2i_pose-avgan-shared", "evaluation.json",
           {**accuracy, "pose_by_instrument": shared})  # fmt: skip
    _write(run, "s2i_pose-avgan-shared", "metrics.json", {"steps": 5780})
    with open(os.path.join(run, "s2i_pose-avgan-shared", "scale_violin.png"), "wb") as f:
        f.write(b"\x89PNG violin row")
    os.makedirs(out)

    text = "\n".join(write_report.pose_section(run, out))

    per = "| 0.625 | 0.625 | hand 0.50, string 0.75 |  |"
    assert f"| cello {per}  |  |  |" in text
    assert f"| violin, `s2i_pose-avgan` {per} 96.25% | 2,890 | `full` |" in text
    assert f"| cello, `s2i_pose-avgan-shared` (shared) {per} 96.25% | 5,780 |" in text
    assert f"| violin, `s2i_pose-avgan-shared` (shared) {per} 96.25% | 5,780 |" in text
    assert "Fig. 10, violin, `s2i_pose-avgan-shared` (shared): a rising scale (2 notes" in text
    assert "(scale_s2i_pose-avgan-shared_violin.png)" in text
    assert os.path.getsize(os.path.join(out, "scale_s2i_pose-avgan-shared_violin.png")) > 1000
    with open(os.path.join(out, "scale_row_s2i_pose-avgan-shared_violin.png"), "rb") as f:
        assert f.read() == b"\x89PNG violin row"
    # The other sections (Fréchet, sample grids) list the same models.
    assert write_report._pose_models(run) == [
        "s2i_pose/cello", "s2i_pose-avgan/violin", "s2i_pose-avgan-shared"
    ]  # fmt: skip
