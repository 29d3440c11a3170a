"""avgan.data.pictures: the uint8 <-> [-1, 1] scaling, image grids, spectrogram pictures."""

import numpy as np
import pytest
import tensorflow as tf

from avgan.data import pictures

LEVELS = np.arange(256, dtype=np.uint8)


def test_to_unit_maps_0_and_255_to_the_ends_and_scales_by_127_5():
    unit = pictures.to_unit(LEVELS)
    assert unit.dtype == np.float32
    assert unit[0] == -1.0 and unit[255] == 1.0
    np.testing.assert_array_equal(unit, LEVELS.astype(np.float32) / np.float32(127.5) - 1)
    assert pictures.PIXEL_SCALE == 127.5


def test_to_unit_keeps_float64_and_gives_float32_otherwise():
    assert pictures.to_unit(LEVELS.astype(np.float64)).dtype == np.float64
    assert pictures.to_unit([0, 255]).dtype == np.float32
    assert pictures.to_unit(tf.constant(LEVELS.astype(np.float64))).dtype == tf.float32


def test_round_trip_is_exact_for_every_level_in_numpy_and_tensorflow():
    back = pictures.to_uint8(pictures.to_unit(LEVELS))
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, LEVELS)
    back_tf = pictures.to_uint8(pictures.to_unit(tf.constant(LEVELS)))
    assert back_tf.dtype == tf.uint8
    np.testing.assert_array_equal(back_tf.numpy(), LEVELS)


def test_tensorflow_and_numpy_give_the_same_numbers():
    np.testing.assert_array_equal(pictures.to_unit(tf.constant(LEVELS)).numpy(),
                                  pictures.to_unit(LEVELS))  # fmt: skip
    rng = np.random.default_rng(0)
    image = rng.uniform(-1.2, 1.2, (4, 8, 8, 3)).astype(np.float32)
    image[0, 0, 0] = [k / 127.5 - 1 + 0.5 / 127.5 for k in (0, 100, 254)]  # halves
    np.testing.assert_array_equal(pictures.to_uint8(tf.constant(image)).numpy(),
                                  pictures.to_uint8(image))  # fmt: skip


@pytest.mark.parametrize("as_tensor", [False, True])
def test_to_uint8_clips_out_of_range_values(as_tensor):
    image = np.array([-5.0, -1.01, -1.0, 0.0, 1.0, 1.01, 7.0], np.float32)
    out = pictures.to_uint8(tf.constant(image) if as_tensor else image)
    out = out.numpy() if as_tensor else out
    # 0.0 -> 127.5, a half: rounded to even.
    np.testing.assert_array_equal(out, [0, 0, 0, 128, 255, 255, 255])


def test_image_grid_places_picture_i_at_row_i_div_columns_and_pads_with_black():
    images = np.stack([np.full((2, 3, 3), 10 * (i + 1), np.uint8) for i in range(5)])
    grid = pictures.image_grid(images, columns=2)
    assert grid.shape == (3 * 2, 2 * 3, 3) and grid.dtype == np.uint8
    expected = np.array([[10, 20], [30, 40], [50, 0]], np.uint8)
    np.testing.assert_array_equal(grid[::2, ::3, 0], expected)
    blocks = np.kron(expected, np.ones((2, 3), np.uint8))  # each picture is 2 x 3 pixels
    np.testing.assert_array_equal(grid, np.stack([blocks] * 3, axis=-1))


def test_image_grid_converts_floats_in_minus_one_to_one():
    images = np.array([-1.0, 0.0, 1.0, 2.0], np.float32).reshape(4, 1, 1, 1)
    np.testing.assert_array_equal(pictures.image_grid(images, 4)[0, :, 0], [0, 128, 255, 255])


def test_spectrogram_pictures_palette_ends_and_low_pitches_at_the_bottom():
    spectrograms = np.full((2, 128, 5, 1), -1.0, np.float32)
    spectrograms[1] = 1.0
    spectrograms[0, 0, :, 0] = 1.0  # bin 0: the lowest pitch, loud
    out = pictures.spectrogram_pictures(spectrograms)
    assert out.shape == (2, 128, 5, 3) and out.dtype == np.uint8
    last = pictures.SPECTROGRAM_PALETTE[-1]
    np.testing.assert_array_equal(last, [255, 240, 120])
    np.testing.assert_array_equal(out[1], np.broadcast_to(last, (128, 5, 3)))
    np.testing.assert_array_equal(out[0, -1], np.broadcast_to(last, (5, 3)))  # bottom row
    np.testing.assert_array_equal(out[0, :-1], 0)  # -1 is black
    # Values outside [-1, 1] clip to the palette's ends; 0 is halfway along the palette.
    clipped = pictures.spectrogram_pictures(np.array([-3.0, 0.0, 3.0]).reshape(1, 3, 1, 1))
    np.testing.assert_array_equal(clipped[0, :, 0], [last, [160, 60, 75], [0, 0, 0]])
