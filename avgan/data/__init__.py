"""Data: decoding, features, data sets and tf.data pipelines."""
