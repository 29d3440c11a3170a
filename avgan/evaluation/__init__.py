"""Evaluation beyond the paper's accuracy tables (DESIGN.md §6).

- `frechet`: Fréchet distance in a classifier's encoding space (float64).
- `diversity`: mean pairwise distance of outputs for one condition.
- `roughness`: mean absolute difference between neighbouring pixels.
- `pose`: pose fidelity of pose-oriented S2I against the synthetic ground truth.
"""
