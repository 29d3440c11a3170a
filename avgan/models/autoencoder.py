"""The stacked convolution-deconvolution sound autoencoder of S2I-A (paper §5.1).

"We use four stacks. For the first three stacks, we apply convolution and
deconvolution, where the output of convolution is given as input to the next layer
in stacks. In the last stack, the input (a 2D array of shape 120x36) is flattened
and projected to a vector of size 128 via a fully connected layer. The network is
trained to minimize MSE for all stacks in order."

So the log-mel spectrogram (128x44) is resized to 126x42; each of the first three
stacks is a 3x3 'valid' convolution to one channel (126x42 -> 124x40 -> 122x38 ->
120x36) with a transposed convolution back; the fourth is a dense 4320 -> 128 -> 4320
autoencoder. Stack k trains on the (fixed) output of stacks 1..k-1.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from avgan.models.layers import SoundFeatures

INPUT_SHAPE = (126, 42)  # resized log-mel; three valid 3x3 convs leave 120x36
CODE_SHAPE = (120, 36)
STACKS = 4


@keras.saving.register_keras_serializable(package="avgan")
class SoundAutoencoder(keras.Model):
    """Waveform -> 128-d encoding by four greedily trained stacks.

    Input: [batch, 22050] float32 waveforms.
    `call` returns the reconstruction of the active stack's input (see `stack`), so
    `fit` trains one stack at a time; `encode` runs all four encoders.

    Args:
        encoding_dim: the last stack's code size (128).
        filters: channels inside each convolutional stack (the paper's arrays are
            2-D, so each stack's code is one channel; `filters` > 1 adds a hidden
            layer of that many channels before it).
    """

    def __init__(self, encoding_dim: int = 128, filters: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.encoding_dim, self.filters = encoding_dim, filters
        self.features = SoundFeatures("lms")
        self.resize = keras.layers.Resizing(*INPUT_SHAPE, interpolation="bilinear")
        self.encoders, self.decoders = [], []
        for k in range(3):
            enc = [
                keras.layers.Conv2D(1, 3, padding="valid", activation="tanh", name=f"enc{k + 1}")
            ]
            dec = [keras.layers.Conv2DTranspose(1, 3, padding="valid", name=f"dec{k + 1}")]
            if filters > 1:
                enc.insert(0, keras.layers.Conv2D(filters, 3, padding="same", activation="relu"))
                dec.insert(
                    0, keras.layers.Conv2DTranspose(filters, 3, padding="same", activation="relu")
                )
            self.encoders.append(enc)
            self.decoders.append(dec)
        self.flatten = keras.layers.Flatten()
        self.code = keras.layers.Dense(encoding_dim, activation="tanh", name="encoding")
        self.expand = keras.layers.Dense(CODE_SHAPE[0] * CODE_SHAPE[1], name="dec4")
        self.stack = 0  # the stack `call` trains: 0..3

    def build(self, input_shape):
        # Run every stack once so all encoders and decoders exist: `encode` alone would
        # leave the decoders unbuilt, and saving would then miss their weights.
        dummy = tf.zeros([1, *input_shape[1:]])
        for k in range(STACKS):
            self.reconstruct_stack(self.stack_input(dummy, k), k)
        self.built = True

    def stack_input(self, waveform, k: int):
        """The input of stack k: [batch, h, w, 1] (k < 3) or [batch, 120, 36, 1] (k = 3)."""
        x = self.resize(self.features(waveform))
        for enc in self.encoders[:k]:
            for layer in enc:
                x = layer(x)
        return x

    def encode(self, waveform, training: bool = False):
        """[batch, samples] -> [batch, encoding_dim] in (-1, 1)."""
        return self.code(self.flatten(self.stack_input(waveform, STACKS - 1)))

    def reconstruct_stack(self, x, k: int):
        """Stack k's autoencoder on its input x: encode then decode, same shape as x."""
        if k == STACKS - 1:
            flat = self.expand(self.code(self.flatten(x)))
            return tf.reshape(flat, tf.shape(x))
        h = x
        for layer in self.encoders[k]:
            h = layer(h)
        for layer in self.decoders[k]:
            h = layer(h)
        return h

    def call(self, waveform, training: bool = False):
        # Earlier stacks are fixed while stack k trains: no gradient flows into them.
        x = tf.stop_gradient(self.stack_input(waveform, self.stack))
        return self.reconstruct_stack(x, self.stack), x

    def stack_variables(self, k: int) -> list:
        layers = self.encoders[k] + self.decoders[k] if k < 3 else [self.code, self.expand]
        return [v for layer in layers for v in layer.trainable_variables]

    def get_config(self):
        return {**super().get_config(), "encoding_dim": self.encoding_dim, "filters": self.filters}


def stack_mse(model: SoundAutoencoder, waveform, k: int):
    """Mean squared reconstruction error of stack k on a batch."""
    x = model.stack_input(waveform, k)
    return tf.reduce_mean(tf.square(model.reconstruct_stack(x, k) - x))
