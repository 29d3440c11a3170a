"""Krippendorff's alpha against a hand-computed example and Krippendorff's (2011) own."""

import numpy as np
import pytest

from avgan.humaneval.agreement import coincidence, krippendorff_alpha

nan = np.nan


def test_hand_computed_ordinal_example():
    # Two raters, three images: (0, 0), (1, 2), (3, 3).
    # Coincidences: o00 = 2, o12 = o21 = 1, o33 = 2 -> n = (2, 1, 1, 2), n = 6.
    # Ordinal delta(c, k) = sum_{g=c..k} n_g - (n_c + n_k) / 2:
    #   d01 = 1.5, d02 = 2.5, d03 = 4, d12 = 1, d13 = 2.5, d23 = 1.5.
    # Observed: sum o delta^2 = 2 * 1 = 2.
    # Expected: 2 * sum_{c<k} n_c n_k delta^2 = 2 * (4.5 + 12.5 + 64 + 1 + 12.5 + 4.5) = 198.
    # alpha = 1 - (n - 1) * 2 / 198 = 1 - 10 / 198 = 94 / 99.
    ratings = [[0, 1, 3], [0, 2, 3]]
    o = coincidence(np.array(ratings, float), np.arange(4.0))
    np.testing.assert_array_equal(o, [[2, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 2]])
    assert krippendorff_alpha(ratings, "ordinal", values=[0, 1, 2, 3]) == pytest.approx(94 / 99)
    # Interval: delta^2 = (c - k)^2; observed 2 * 1 = 2; expected
    # 2 * (2*1*1 + 2*1*4 + 2*2*9 + 1*1*1 + 1*2*4 + 1*2*1) = 2 * 57 = 114 -> 1 - 10/114.
    assert krippendorff_alpha(ratings, "interval") == pytest.approx(1 - 10 / 114)


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", Sec. E: 4 coders,
# 12 units, missing values; published alphas: nominal .743, ordinal .815, interval .849.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]


@pytest.mark.parametrize(
    "metric, expected", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_krippendorff_2011_example(metric, expected):
    assert krippendorff_alpha(KRIPPENDORFF_2011, metric) == pytest.approx(expected, abs=5e-4)


def test_perfect_agreement_is_one_and_systematic_disagreement_is_negative():
    assert krippendorff_alpha([[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, nan]]) == pytest.approx(1.0)
    assert krippendorff_alpha([[0, 3, 0, 3], [3, 0, 3, 0]], values=[0, 1, 2, 3]) < 0


def test_undefined_cases_and_bad_input():
    assert np.isnan(krippendorff_alpha([[2, 2, 2], [2, 2, 2]]))  # no variation: D_e = 0
    assert np.isnan(krippendorff_alpha([[1, nan], [nan, 2]]))  # nothing pairable
    with pytest.raises(ValueError, match="outside the scale"):
        krippendorff_alpha([[0, 4], [0, 1]], values=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="metric"):
        krippendorff_alpha([[0, 1], [0, 1]], "cosine")
