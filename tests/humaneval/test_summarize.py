"""`summarize`: Fig. 8 statistics, agreement, Markdown and the chart from known scores."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from avgan.humaneval import store
from avgan.humaneval.__main__ import main
from avgan.humaneval.agreement import krippendorff_alpha
from avgan.humaneval.summarize import summarize

from .conftest import GROUND_TRUTH, METHODS, read_study

# Every rater gives each method a fixed score; rater "b" rates S2I-A one higher on cello.
SCORE = {"S2I-C": 2, "S2I-N": 1, "S2I-A": 0, GROUND_TRUTH: 3}


def fill(study_dir: str, raters=("a", "b", "c")) -> dict:
    study = read_study(study_dir)
    conn = store.connect(os.path.join(study_dir, "scores.sqlite"))
    for rater in raters:
        for s in study["sets"]:
            scores = {}
            for im in s["images"]:
                bump = rater == "b" and im["method"] == "S2I-A" and s["instrument"] == "cello"
                scores[im["id"]] = SCORE[im["method"]] + bump
            store.save_set(conn, rater, s["id"], scores)
    conn.close()
    return study


def test_statistics_and_agreement(study_dir):
    study = fill(study_dir)
    summary = summarize(study_dir)
    assert summary["ratings"] == 3 * 24 and set(summary["raters"]) == {"a", "b", "c"}
    assert summary["raters"]["b"] == {"ratings": 24, "sets_scored": 6}
    gt = summary["per_method"][GROUND_TRUTH]["all"]
    assert gt == {"ratings": 18, "mean": 3.0, "share_3": 1.0, "share_ge_2": 1.0}
    c = summary["per_method"]["S2I-C"]["instruments"]["flute"]
    assert c == {"ratings": 6, "mean": 2.0, "share_3": 0.0, "share_ge_2": 1.0}
    a = summary["per_method"]["S2I-A"]
    # 18 ratings, 2 of them (rater b, 2 cello sets) are 1 instead of 0.
    assert a["all"]["mean"] == pytest.approx(2 / 18)
    assert a["instruments"]["cello"]["mean"] == pytest.approx(2 / 6)
    assert a["all"]["share_ge_2"] == 0.0
    # Agreement: the same matrix through krippendorff_alpha directly.
    images = [im for s in study["sets"] for im in s["images"]]
    matrix = np.array(
        [
            [
                SCORE[im["method"]]
                + (r == "b" and im["method"] == "S2I-A" and s["instrument"] == "cello")
                for s in study["sets"]
                for im in s["images"]
            ]
            for r in "abc"
        ]
    )
    assert matrix.shape == (3, len(images))
    assert summary["alpha"] == pytest.approx(krippendorff_alpha(matrix, values=[0, 1, 2, 3]))
    assert 0.9 < summary["alpha"] < 1.0
    assert summary["per_method"]["S2I-C"]["alpha"] is None  # no variation: undefined
    assert summary["per_method"]["S2I-A"]["alpha"] < 0  # b's bump is all the variation


def test_cli_writes_markdown_json_and_chart(study_dir, capsys):
    fill(study_dir, raters=("a",))
    assert main(["summarize", "--study", study_dir]) == 0
    md = open(os.path.join(study_dir, "summary.md")).read()
    assert capsys.readouterr().out.strip() == md.strip()
    assert "| S2I-C | 6 | 2.00 | 0% | 100% | n/a |" in md
    assert f"| {GROUND_TRUTH} | 6 | 3.00 | 100% | 100% | n/a |" in md
    assert "| cello | S2I-N | 2 | 1.00 | 0% | 0% |" in md
    assert "Krippendorff's alpha, ordinal" in md and "| a | 6 | 24 |" in md
    data = json.load(open(os.path.join(study_dir, "summary.json")))
    assert data["methods"] == [*METHODS, GROUND_TRUTH] and data["alpha"] is None
    with Image.open(os.path.join(study_dir, "summary.png")) as im:
        assert im.format == "PNG" and im.width > 600
        pixels = np.asarray(im.convert("RGB"))
    # The ground-truth bars (green) are drawn, as tall as the axis allows.
    green = np.all(pixels == (30, 132, 73), axis=-1)
    assert green.sum() > 1000


def test_summarize_without_scores(study_dir):
    summary = summarize(study_dir)
    assert summary["ratings"] == 0 and summary["alpha"] is None
    assert summary["per_method"]["S2I-C"]["all"]["mean"] is None
    assert main(["summarize", "--study", study_dir]) == 0
    assert "| S2I-C | 0 | n/a | n/a | n/a | n/a |" in open(f"{study_dir}/summary.md").read()
