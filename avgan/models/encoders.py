"""The paper's encoders: sound and image classifiers whose 128-d layer is the encoding.

Paper §3.3 (Fig. 4): the sound classifier has four convolutional and three fully
connected layers, an L2 penalty of 0.015 on the FC layers and dropout on the last
two; its second FC layer (128-d) is the sound encoding. §3.4 (Fig. 5): the image
classifier has six 3x3 convolutional and three FC layers; the 128-d layer before
the softmax is the image encoding.

Both take raw inputs: the sound classifier a waveform (its first layer computes the
representation), the image classifier uint8 pixels or floats in [-1, 1].
"""

from __future__ import annotations

import keras

from avgan.models.layers import PixelScaling, SoundFeatures, standardize

L2 = 0.015
POOLINGS = ("global", "flatten")


def _filters(base: int, scale: float) -> int:
    return max(4, int(round(base * scale)))


def _apply(layers: list, x, training: bool):
    """Runs `layers` in order; Keras passes `training` only to layers that take it."""
    for layer in layers:
        x = layer(x, training=training)
    return x


@keras.saving.register_keras_serializable(package="avgan")
class SoundClassifier(keras.Model):
    """Sound -> instrument (and, with `pitch_classes`, pitch).

    Input: [batch, 22050] float32 waveforms.
    Output: logits [batch, num_classes]; with `pitch_classes`, a dict
        {"instrument": [batch, num_classes], "pitch": [batch, pitch_classes]}.

    Args:
        num_classes: instruments.
        representation: stft, cqt, mfcc, ms or lms (Table 1).
        conv_layers: 3 or 4 (Table 1's two rows).
        scale: filter-count multiplier (1.0: 32-64-128-128 filters).
        encoding_dim: size of the encoding layer (128).
        pitch_classes: add a pitch head with this many classes (MIDI pitches), the
            pose-aware encoder of the paper's future work.
        dropout: rates on the inputs of the last two FC layers.
    """

    def __init__(
        self,
        num_classes: int,
        representation: str = "lms",
        conv_layers: int = 4,
        scale: float = 1.0,
        encoding_dim: int = 128,
        pitch_classes: int = 0,
        dropout: tuple[float, float] = (0.5, 0.5),
        **kwargs,
    ):
        super().__init__(**kwargs)
        if conv_layers not in (3, 4):
            raise ValueError(f"conv_layers must be 3 or 4 (paper Table 1), got {conv_layers}")
        self.num_classes, self.representation = num_classes, representation
        self.conv_layers, self.scale, self.encoding_dim = conv_layers, scale, encoding_dim
        self.pitch_classes, self.dropout = pitch_classes, tuple(dropout)

        self.features = SoundFeatures(representation)
        self.convs = []
        for i, base in enumerate((32, 64, 128, 128)[:conv_layers]):
            self.convs += [
                keras.layers.Conv2D(_filters(base, scale), 3, padding="same", name=f"conv{i + 1}"),
                keras.layers.BatchNormalization(momentum=0.9, name=f"bn{i + 1}"),
                keras.layers.ReLU(),
                keras.layers.MaxPooling2D(2, padding="same"),
            ]
        self.flatten = keras.layers.Flatten()
        reg = keras.regularizers.L2(L2)
        self.fc1 = keras.layers.Dense(256, activation="relu", kernel_regularizer=reg, name="fc1")
        self.drop1 = keras.layers.Dropout(self.dropout[0])
        self.fc2 = keras.layers.Dense(
            encoding_dim, activation="relu", kernel_regularizer=reg, name="encoding"
        )
        self.drop2 = keras.layers.Dropout(self.dropout[1])
        self.fc3 = keras.layers.Dense(num_classes, kernel_regularizer=reg, name="instrument")
        self.pitch_head = (
            keras.layers.Dense(pitch_classes, kernel_regularizer=reg, name="pitch")
            if pitch_classes
            else None
        )

    def encode(self, waveform, training: bool = False):
        """[batch, samples] -> [batch, encoding_dim], the 128-d sound encoding."""
        return self._encode_features(self.features(waveform), training)

    def _encode_features(self, x, training: bool):
        x = _apply(self.convs, x, training)
        x = self.fc1(self.flatten(x))
        return self.fc2(self.drop1(x, training=training))

    def encode_representation(self, spectrum):
        """The 128-d encoding of a spectrogram in this model's representation.

        For generated spectrograms (I2S), which have no waveform: [batch, bins, frames]
        (e.g. a 128x44 log-mel in dB for an 'lms' classifier) -> [batch, encoding_dim].
        """
        return self._encode_features(standardize(spectrum), training=False)

    def classify_representation(self, spectrum):
        """Instrument logits of a spectrogram in this model's representation:
        [batch, bins, frames] -> [batch, num_classes] (see `encode_representation`)."""
        return self.fc3(self.encode_representation(spectrum))

    def call(self, waveform, training: bool = False):
        encoding = self.drop2(self.encode(waveform, training=training), training=training)
        logits = self.fc3(encoding)
        if self.pitch_head is None:
            return logits
        return {"instrument": logits, "pitch": self.pitch_head(encoding)}

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "representation": self.representation,
            "conv_layers": self.conv_layers,
            "scale": self.scale,
            "encoding_dim": self.encoding_dim,
            "pitch_classes": self.pitch_classes,
            "dropout": list(self.dropout),
        }


class PitchPosterior(keras.Model):
    """A pitch-aware `SoundClassifier` seen through its pitch head, as a GAN condition
    (`gan.condition` 'pitch_posterior'): `encode` is the note posterior.

    The 128-d encoding carries the note and also what tells one recording from another,
    so a pose model conditioned on it takes the room and the player from the sound (the
    scale figure's room changes from note to note). The posterior over the MIDI pitches
    carries the note and little else; the rest is left to the noise. Made at load time
    around the saved classifier (not saved itself).

    Args:
        classifier: a SoundClassifier with a pitch head (`pitch_classes` > 0).

    Raises:
        ValueError: the classifier has no pitch head.
    """

    def __init__(self, classifier: SoundClassifier, **kwargs):
        if not getattr(classifier, "pitch_classes", 0):
            raise ValueError(
                f"{type(classifier).__name__} {classifier.name!r} has no pitch head "
                "(train one with --mode=pitch_sound_classifier)"
            )
        super().__init__(**kwargs)
        self.classifier = classifier

    def encode(self, waveform, training: bool = False):
        """[batch, samples] -> [batch, pitch_classes], softmax over the MIDI pitches."""
        encoding = self.classifier.encode(waveform, training=training)
        return keras.ops.softmax(self.classifier.pitch_head(encoding))

    def call(self, waveform, training: bool = False):
        return self.classifier(waveform, training=training)


@keras.saving.register_keras_serializable(package="avgan")
class ImageClassifier(keras.Model):
    """Picture -> instrument.

    Input: [batch, 64, 64, 3] uint8, or float32 in [-1, 1].
    Output: logits [batch, num_classes].

    Args:
        num_classes: instruments.
        scale: filter-count multiplier (1.0: 32-32-64-64-128-128 filters).
        encoding_dim: size of the encoding layer (128).
        pooling: how the last 8x8 feature map reaches the FC layers. 'global' (default):
            its average and its maximum over positions, concatenated. 'flatten': every
            position (the paper's Fig. 5, and every encoder saved before 2026-12-02).
            Held-out recordings of `full`, 12 epochs with cosine decay: flatten 93.0%,
            global 96.0% (docs/design.md §9 has the rest).
    """

    def __init__(
        self,
        num_classes: int,
        scale: float = 1.0,
        encoding_dim: int = 128,
        dropout: float = 0.5,
        augment: bool = True,
        pooling: str = "global",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if pooling not in POOLINGS:
            raise ValueError(f"pooling={pooling!r}: expected one of {', '.join(POOLINGS)}")
        self.num_classes, self.scale, self.pooling = num_classes, scale, pooling
        self.encoding_dim, self.dropout, self.augment = encoding_dim, dropout, augment
        self.pixels = PixelScaling()
        # Training-time only: shifts and zoom, so the classifier sees players placed
        # and scaled as the held-out ones may be. Measured on `small` (12 epochs,
        # held-out players): none 27%, shift+zoom 25-32%, plus hue/saturation/brightness
        # 19% (batch-norm statistics of colour-shifted pictures no longer fit real ones).
        self.augmentation = (
            [
                keras.layers.RandomTranslation(0.08, 0.08, fill_mode="nearest"),
                keras.layers.RandomZoom(0.1, fill_mode="nearest"),
            ]
            if augment
            else []
        )
        self.convs = []
        for i, base in enumerate((32, 32, 64, 64, 128, 128)):
            self.convs += [
                keras.layers.Conv2D(_filters(base, scale), 3, padding="same", name=f"conv{i + 1}"),
                keras.layers.BatchNormalization(momentum=0.9, name=f"bn{i + 1}"),
                keras.layers.ReLU(),
            ]
            if i % 2 == 1:  # pool after each pair: 64 -> 32 -> 16 -> 8
                self.convs.append(keras.layers.MaxPooling2D(2))
        self.flatten = keras.layers.Flatten()
        self.average = keras.layers.GlobalAveragePooling2D()
        self.maximum = keras.layers.GlobalMaxPooling2D()
        self.fc1 = keras.layers.Dense(256, activation="relu", name="fc1")
        self.drop1 = keras.layers.Dropout(dropout)
        self.fc2 = keras.layers.Dense(encoding_dim, activation="relu", name="encoding")
        self.drop2 = keras.layers.Dropout(dropout)
        self.fc3 = keras.layers.Dense(num_classes, name="instrument")

    def encode(self, image, training: bool = False):
        """[batch, 64, 64, 3] -> [batch, encoding_dim], the 128-d image encoding."""
        x = self.pixels(image)
        if training:
            x = _apply(self.augmentation, x, training)
        x = _apply(self.convs, x, training)
        if self.pooling == "global":
            x = keras.ops.concatenate([self.average(x), self.maximum(x)], axis=-1)
        else:
            x = self.flatten(x)
        return self.fc2(self.drop1(self.fc1(x), training=training))

    def call(self, image, training: bool = False):
        return self.fc3(self.drop2(self.encode(image, training=training), training=training))

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "scale": self.scale,
            "encoding_dim": self.encoding_dim,
            "dropout": self.dropout,
            "augment": self.augment,
            "pooling": self.pooling,
        }

    @classmethod
    def from_config(cls, config):
        # Encoders saved before `pooling` existed flattened their last feature map.
        return cls(**{"pooling": "flatten", **config})
