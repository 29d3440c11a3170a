"""Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability").

alpha = 1 - D_o / D_e over the coincidence matrix o[c, k] of pairable values: every unit
(image) with m_u >= 2 values adds, for every ordered pair of values (c, k) from different
raters, 1 / (m_u - 1) to o[c, k]. With n_c = sum_k o[c, k] and n = sum_c n_c,

    alpha = 1 - (n - 1) * sum_ck o[c, k] delta2[c, k] / sum_ck n_c n_k delta2[c, k]

The ordinal metric (used for the 0-3 scores) is
delta2[c, k] = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2; interval: (c - k)^2; nominal: c != k.
Missing ratings (NaN) are allowed; units rated by fewer than two raters are ignored.
"""

from __future__ import annotations

import numpy as np

METRICS = ("ordinal", "interval", "nominal")


def coincidence(ratings: np.ndarray, values: np.ndarray) -> np.ndarray:
    """[raters, units] ratings (NaN = missing) -> [V, V] coincidence matrix over `values`."""
    ratings = np.asarray(ratings, dtype=float)
    index = {v: i for i, v in enumerate(values.tolist())}
    o = np.zeros((len(values), len(values)))
    for unit in ratings.T:
        present = unit[~np.isnan(unit)]
        m = len(present)
        if m < 2:
            continue
        counts = np.zeros(len(values))
        for v in present:
            counts[index[float(v)]] += 1
        # All ordered pairs of different raters: counts c*k off the diagonal, c*(c-1) on it.
        o += (np.outer(counts, counts) - np.diag(counts)) / (m - 1)
    return o


def delta2(metric: str, values: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    """[V, V] squared differences of the metric."""
    if metric == "nominal":
        return 1.0 - np.eye(len(values))
    if metric == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if metric == "ordinal":
        cumulative = np.concatenate([[0.0], np.cumsum(n_c)])  # cumulative[i] = sum n_0..n_{i-1}
        i, k = np.meshgrid(np.arange(len(values)), np.arange(len(values)), indexing="ij")
        lo, hi = np.minimum(i, k), np.maximum(i, k)
        between = cumulative[hi + 1] - cumulative[lo]  # sum of n_g for g from lo to hi
        return (between - (n_c[i] + n_c[k]) / 2.0) ** 2
    raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")


def krippendorff_alpha(ratings, metric: str = "ordinal", values=None) -> float:
    """Krippendorff's alpha of [raters, units] ratings (NaN = missing).

    `values`: the ordered scale (default: the distinct ratings). Returns NaN when there are no
    pairable values or no variation at all (D_e = 0).
    """
    ratings = np.asarray(ratings, dtype=float)
    if ratings.ndim != 2:
        raise ValueError(f"ratings must be [raters, units], got shape {ratings.shape}")
    observed = ratings[~np.isnan(ratings)]
    if values is None:
        values = np.unique(observed)
    values = np.asarray(values, dtype=float)
    unknown = set(np.unique(observed).tolist()) - set(values.tolist())
    if unknown:
        raise ValueError(f"ratings outside the scale {values.tolist()}: {sorted(unknown)}")
    o = coincidence(ratings, values)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n < 2:
        return float("nan")
    d = delta2(metric, values, n_c)
    expected = (np.outer(n_c, n_c) * d).sum()
    if expected == 0:
        return float("nan")
    return float(1.0 - (n - 1) * (o * d).sum() / expected)
