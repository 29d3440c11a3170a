"""Export trained generators: their serving signatures (`signatures`), SavedModels in
TF Serving's layout (`serving`), TFLite (`tflite`, with `float_ops` keeping the S2I
log-mel front end float in int8), and the parity check of every exported file against
the Keras generator (`parity`) on real held-out pairs of the run's data (`heldout`).

`python -m avgan.export_main` (`avgan-export`) is the entry point; docs/export.md
documents the signatures, the TF Serving layout, the TFLite variants and the parity
tolerances.
"""
