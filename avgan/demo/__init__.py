"""A page to try the exported models in a browser (`avgan-demo`, `python -m avgan.demo`).

    Sound -> picture   upload a WAV, FLAC or MP3 (or record in the browser), choose
                       which 0.5 s on its waveform, see the log-mel the model heard and
                       8 pictures from 8 noise seeds; a seed field reproduces a picture.
    Picture -> sound   upload a JPEG or PNG (or use the camera), see the generated
                       log-mel spectrograms and play their waveforms, for 3 seeds.

Inference goes through the SavedModels `avgan-export` writes (`models`), the artefacts
TF Serving serves, never through the trainer. Modules: `models` (find and load the
SavedModels), `uploads` (check and decode what a visitor sends), `inference` (the two
directions), `media` (PNG, WAV and the waveform overview, in memory), `examples` (the
built-in examples), `app` (the Flask app), `__main__` (the command line, serving with
the rating app's waitress server and guard: `avgan.humaneval.server`, `.guard`).
docs/demo.md documents the page.
"""
