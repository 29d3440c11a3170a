"""The units of the data, defined once: sample rate, chunk length and picture size.

Standard library only: `builder` (imported by the synthetic builder's worker processes,
which must not load TensorFlow) and `features` (which must not load tensorflow-io) import
these, so they cannot live in `audio`, which imports both. `audio` re-exports them.
"""

from __future__ import annotations

SAMPLE_RATE = 44100  # Hz, Sub-URMP's rate; every loader resamples to it
CHUNK_SECONDS = 0.5  # the paper's unit of sound, paired with one picture
CHUNK_SAMPLES = int(round(CHUNK_SECONDS * SAMPLE_RATE))  # 22050
IMAGE_SIZE = 64  # pictures are IMAGE_SIZE x IMAGE_SIZE RGB
