"""SoundAutoencoder: the paper's stack shapes, greedy training, save/load."""

import keras
import numpy as np
import tensorflow as tf

from avgan.models.autoencoder import STACKS, SoundAutoencoder, stack_mse


def _waveforms():
    return (0.1 * np.random.default_rng(0).standard_normal((2, 22050))).astype(np.float32)


def test_stack_inputs_shrink_to_120_by_36_and_encode_to_128():
    model = SoundAutoencoder()
    x = _waveforms()
    shapes = [tuple(model.stack_input(x, k).shape[1:3]) for k in range(STACKS)]
    assert shapes == [(126, 42), (124, 40), (122, 38), (120, 36)]
    code = model.encode(x)
    assert code.shape == (2, 128)
    for k in range(STACKS):
        x_k = model.stack_input(x, k)
        assert model.reconstruct_stack(x_k, k).shape == x_k.shape


def test_training_a_stack_changes_only_that_stack():
    model = SoundAutoencoder()
    x = _waveforms()
    model.build(x.shape)
    before = [v.numpy().copy() for v in model.trainable_variables]
    variables = model.stack_variables(1)
    optimizer = keras.optimizers.Adam(1e-2)
    first = float(stack_mse(model, x, 1))
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = stack_mse(model, x, 1)
        optimizer.apply(tape.gradient(loss, variables), variables)
    assert float(stack_mse(model, x, 1)) < first
    trained = {id(v) for v in variables}
    for v, old in zip(model.trainable_variables, before, strict=True):
        assert np.array_equal(v.numpy(), old) != (id(v) in trained)


def test_save_load_gives_identical_codes(tmp_path):
    model = SoundAutoencoder()
    x = _waveforms()
    model.build(x.shape)
    model.save(tmp_path / "ae.keras")
    loaded = keras.models.load_model(tmp_path / "ae.keras")
    np.testing.assert_array_equal(loaded.encode(x).numpy(), model.encode(x).numpy())
