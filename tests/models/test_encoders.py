"""SoundClassifier and ImageClassifier: shapes, the paper's regularisation, save/load."""

import keras
import numpy as np
import pytest

from avgan.models.encoders import L2, ImageClassifier, PitchPosterior, SoundClassifier

TINY = 0.125  # filter-count scale: 4-8-16-16 filters


@pytest.fixture(scope="module")
def waveforms():
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal((3, 22050))).astype(np.float32)


@pytest.fixture(scope="module")
def pictures():
    return np.random.default_rng(1).integers(0, 256, (3, 64, 64, 3)).astype(np.uint8)


@pytest.mark.parametrize("representation", ["stft", "cqt", "mfcc", "ms", "lms"])
def test_sound_classifier_on_every_representation(waveforms, representation):
    model = SoundClassifier(5, representation, scale=TINY)
    assert model(waveforms).shape == (3, 5)
    assert model.encode(waveforms).shape == (3, 128)


def test_sound_classifier_layers_follow_the_paper(waveforms):
    model = SoundClassifier(5, scale=TINY)
    model(waveforms)
    convs = [layer for layer in model.convs if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 4 and all(c.kernel_regularizer is None for c in convs)
    for dense in (model.fc1, model.fc2, model.fc3):
        assert dense.kernel_regularizer.l2 == pytest.approx(L2)  # 0.015 on the FC layers
    assert (model.drop1.rate, model.drop2.rate) == (0.5, 0.5)  # dropout on the last two
    assert model.fc2.units == 128
    three = SoundClassifier(5, conv_layers=3, scale=TINY)
    assert sum(isinstance(layer, keras.layers.Conv2D) for layer in three.convs) == 3
    with pytest.raises(ValueError, match="3 or 4"):
        SoundClassifier(5, conv_layers=5)
    with pytest.raises(ValueError, match="valid: stft, cqt, mfcc, ms, lms"):
        SoundClassifier(5, representation="wavelet")


def test_dropout_only_in_training(waveforms):
    model = SoundClassifier(5, scale=TINY)
    a, b = model(waveforms, training=False), model(waveforms, training=False)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(model(waveforms, training=True).numpy(), a.numpy())


def test_pitch_head(waveforms):
    model = SoundClassifier(5, scale=TINY, pitch_classes=128)
    out = model(waveforms)
    assert out["instrument"].shape == (3, 5) and out["pitch"].shape == (3, 128)


def test_the_pitch_posterior_is_the_softmax_of_the_pitch_head(instrument_chunks, tmp_path):
    """gan.condition 'pitch_posterior': encode() of rendered notes is scipy's softmax of
    the saved classifier's pitch logits (a peaked one: the head's kernel is scaled up,
    as training makes it); refused for a classifier without a pitch head."""
    from scipy.special import softmax

    model = SoundClassifier(5, scale=TINY, pitch_classes=128)
    model(instrument_chunks[:1])
    model.pitch_head.kernel.assign(model.pitch_head.kernel * 200.0)
    model.save(tmp_path / "pitch.keras")
    posterior = PitchPosterior(keras.models.load_model(tmp_path / "pitch.keras"))
    got = posterior.encode(instrument_chunks).numpy()
    logits = model(instrument_chunks, training=False)["pitch"].numpy()
    np.testing.assert_allclose(got, softmax(logits.astype(np.float64), axis=-1), atol=1e-6)
    assert got.shape == (20, 128) and got.max(axis=1).min() > 0.05  # peaked, not uniform
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="has no pitch head .*--mode=pitch_sound_classifier"):
        PitchPosterior(SoundClassifier(5, scale=TINY))


@pytest.mark.parametrize("pitch_classes", [0, 128])
def test_sound_classifier_save_load_gives_identical_encodings(tmp_path, waveforms, pitch_classes):
    model = SoundClassifier(5, "mfcc", conv_layers=3, scale=TINY, pitch_classes=pitch_classes)
    model(waveforms)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert (loaded.representation, loaded.conv_layers) == ("mfcc", 3)
    np.testing.assert_array_equal(loaded.encode(waveforms).numpy(), model.encode(waveforms).numpy())


def test_image_classifier_shapes_and_layers(pictures):
    model = ImageClassifier(7, scale=TINY)
    assert model(pictures).shape == (3, 7)
    assert model.encode(pictures).shape == (3, 128)
    convs = [layer for layer in model.convs if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 6 and all(c.kernel_size == (3, 3) for c in convs)


def test_image_classifier_takes_uint8_or_tanh_range(pictures):
    model = ImageClassifier(7, scale=TINY)
    as_float = pictures.astype(np.float32) / 127.5 - 1.0
    np.testing.assert_allclose(model(pictures).numpy(), model(as_float).numpy(), atol=1e-5)


def test_image_classifier_save_load(tmp_path, pictures):
    model = ImageClassifier(7, scale=TINY)
    model(pictures)
    model.save(tmp_path / "i.keras")
    loaded = keras.models.load_model(tmp_path / "i.keras")
    np.testing.assert_array_equal(loaded.encode(pictures).numpy(), model.encode(pictures).numpy())


def test_image_classifier_global_pooling_is_mean_and_max_of_the_last_map(pictures):
    model = ImageClassifier(7, scale=TINY, augment=False)
    model(pictures)
    x = model.pixels(pictures)
    for layer in model.convs:
        x = layer(x, training=False)
    features = np.concatenate([x.numpy().mean(axis=(1, 2)), x.numpy().max(axis=(1, 2))], axis=-1)
    assert model.fc1.kernel.shape[0] == features.shape[-1] == 2 * x.shape[-1]
    expected = np.maximum(features @ model.fc1.kernel.numpy() + model.fc1.bias.numpy(), 0)
    expected = np.maximum(expected @ model.fc2.kernel.numpy() + model.fc2.bias.numpy(), 0)
    np.testing.assert_allclose(model.encode(pictures).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_image_classifier_saved_before_pooling_existed_loads_as_flatten(tmp_path, pictures):
    # An encoder saved before the `pooling` field: its config has no such key.
    model = ImageClassifier(7, scale=TINY, pooling="flatten")
    model(pictures)
    config = model.get_config()
    del config["pooling"]
    old = ImageClassifier.from_config(config)
    old(pictures)
    old.set_weights(model.get_weights())
    assert old.pooling == "flatten" and old.fc1.kernel.shape[0] == 8 * 8 * model.convs[-4].filters
    np.testing.assert_array_equal(old.encode(pictures).numpy(), model.encode(pictures).numpy())
    with pytest.raises(ValueError, match="pooling='mean'"):
        ImageClassifier(7, pooling="mean")
