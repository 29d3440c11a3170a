"""avgan.demo.models: which SavedModel serves each direction, and one-line refusals."""

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from avgan.demo import models as models_lib


def test_both_directions_load_with_their_export_metadata(models, models_dir):
    for direction in ("s2i", "i2s"):
        model = models.get(direction)
        assert model.path == os.path.join(models_dir, direction, "1")
        assert model.label == f"{direction} version 1 (EMA generator)"
        assert model.metadata["direction"] == direction and model.max_batch == 256
    out = models.s2i.call(waveform=tf.zeros([2, 100]), seed=tf.constant([4, 4], tf.int64))
    assert out["image"].shape == (2, 64, 64, 3)
    np.testing.assert_array_equal(out["image"][0], out["image"][1])  # same seed, same picture


def test_the_newest_version_is_taken(models_dir, tmp_path):
    tree = tmp_path / "models"
    shutil.copytree(os.path.join(models_dir, "s2i", "1"), tree / "s2i" / "2")
    shutil.copytree(os.path.join(models_dir, "s2i", "1"), tree / "s2i" / "10")
    (tree / "s2i" / ".tmp-half-written").mkdir()  # not a version
    found, missing = models_lib.locate(str(tree))
    assert found == {"s2i": str(tree / "s2i" / "10")}
    assert missing == {
        "i2s": f"{tree}/i2s holds no exported version: export an I2S run with "
        f"`avgan-export --model_dir RUN --out {tree}`, or give --i2s DIR"
    }


def test_given_folders_win_and_may_be_a_model_folder(models_dir, tmp_path):
    found, missing = models_lib.locate(
        str(tmp_path / "nowhere"), s2i=os.path.join(models_dir, "s2i")
    )
    assert found == {"s2i": os.path.join(models_dir, "s2i", "1")}
    assert list(missing) == ["i2s"]
    only = models_lib.load_models(None, s2i=os.path.join(models_dir, "s2i", "1"))
    assert only.i2s is None and only.missing == {"i2s": "no I2S model given (--models or --i2s)"}


def test_wrong_folders_are_refused_in_one_line(models_dir, tmp_path):
    i2s = os.path.join(models_dir, "i2s", "1")
    with pytest.raises(ValueError, match=f"^{i2s} is an I2S SavedModel; --s2i needs an S2I one$"):
        models_lib.load_models(None, s2i=i2s)
    with pytest.raises(ValueError, match=r"^--i2s /no/such: no such folder$"):
        models_lib.load_models(models_dir, i2s="/no/such")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"--s2i .*/empty: not a SavedModel \(no saved_model.pb\)"):
        models_lib.load_models(None, s2i=str(tmp_path / "empty"))
    with pytest.raises(ValueError, match=r"^--models /no/models: no such folder; export a model"):
        models_lib.load_models("/no/models")
    with pytest.raises(ValueError, match=r"^no model to serve: .*/empty/s2i holds no exported"):
        models_lib.load_models(str(tmp_path / "empty"))
