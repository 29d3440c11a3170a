"""Export trained generators: their serving signatures (`signatures`), SavedModels in
TF Serving's layout (`serving`) and TFLite (`tflite`).

`python -m avgan.export_main` (`avgan-export`) is the entry point; docs/export.md
documents the signatures, the TF Serving layout and the TFLite variants.
"""
