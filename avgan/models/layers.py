"""Input layers: the sound representation and picture scaling, inside the model.

Computing the representation in the model (not in tf.data) puts it on the
accelerator with the rest of the step, and lets an exported model take raw audio.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from avgan.data import features
from avgan.data.pictures import to_unit


def standardize(spectrum: tf.Tensor) -> tf.Tensor:
    """[batch, bins, frames] -> [batch, bins, frames, 1], each example to zero mean and
    unit variance (so a dB offset, e.g. a generated log-mel's 0 dB reference, does not
    matter)."""
    mean, variance = tf.nn.moments(spectrum, axes=[1, 2], keepdims=True)
    # expand_dims, not [..., None]: the latter is a StridedSlice that TFLite runs only
    # with Flex (select TF ops).
    return tf.expand_dims((spectrum - mean) * tf.math.rsqrt(variance + 1e-6), -1)


@keras.saving.register_keras_serializable(package="avgan")
class SoundFeatures(keras.layers.Layer):
    """Raw waveforms -> a standardised time-frequency image.

    Input: [batch, samples] float32 in [-1, 1] (22050 for 0.5 s at 44.1 kHz).
    Output: [batch, bins, frames, 1] float32, each example scaled to zero mean and
    unit variance, so every representation reaches the network on the same scale;
    what differs between them is the shape of the information (linear vs log
    amplitude, frequency axis), which is what the paper's Table 1 compares.
    """

    def __init__(self, representation: str = "lms", **kwargs):
        super().__init__(**kwargs)
        self._fn = features.representation_fn(representation)
        self.representation = representation

    def call(self, waveform):
        return standardize(self._fn(tf.cast(waveform, tf.float32)))

    def compute_output_shape(self, input_shape):
        out = self._fn(tf.zeros([1, input_shape[-1] or 22050])).shape
        return (input_shape[0], out[1], out[2], 1)

    def get_config(self):
        return {**super().get_config(), "representation": self.representation}


@keras.saving.register_keras_serializable(package="avgan")
class PixelScaling(keras.layers.Layer):
    """Pictures -> float32 in [-1, 1], the generators' tanh range.

    uint8 input [batch, h, w, 3] in [0, 255] is scaled; float input is taken to be
    in [-1, 1] already (a generator's output) and passed through.
    """

    def call(self, image):
        if image.dtype == tf.uint8:
            return to_unit(image)
        return tf.cast(image, tf.float32)
