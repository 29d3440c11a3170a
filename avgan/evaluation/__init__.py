"""Evaluation of generated samples: the paper's accuracy and what it lacked (docs/design.md §6).

- `accuracy`: how often a classifier names the condition's instrument (Table 5, Fig. 9).
- `frechet`: Fréchet distance in a classifier's encoding space (float64).
- `diversity`: mean pairwise distance of outputs for one condition.
- `roughness`: mean absolute difference between neighbouring pixels.
- `flatness`: spectral flatness of log-mel spectrograms (harmonic lines or noise).
- `pose`: pose fidelity of pose-oriented S2I against the synthetic ground truth.
- `run`: all of them for a model dir (`avgan.evaluate`), without the trainer.
"""
