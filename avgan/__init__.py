"""avgan: cross-modal audio-visual generation (Chen et al., 2017) in TensorFlow/Keras."""

__version__ = "0.1.0"
