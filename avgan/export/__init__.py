"""Export trained generators: SavedModels for TF Serving (`saved_model`) and TFLite (`tflite`).

`python -m avgan.export_main` is the entry point; `export/README.md` documents the
signatures, the TF Serving layout and the TFLite variants.
"""
