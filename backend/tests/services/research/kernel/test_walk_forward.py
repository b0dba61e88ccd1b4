"""Walk-forward geometry: every fold is the asked in-sample share, out-of-sample stretches are back to back
and end on the last bar."""

from __future__ import annotations

import numpy as np
import pytest

from app.services.research.kernel.walk_forward import efficiency, fold_windows, stitch


@pytest.mark.parametrize(
    ("bars", "folds", "share"), [(2500, 5, 0.7), (1000, 3, 0.5), (5031, 10, 0.8), (300, 2, 0.6)]
)
def test_folds_tile_the_end_of_the_data(bars: int, folds: int, share: float) -> None:
    w = fold_windows(bars, folds, share)
    assert w.shape == (folds, 2, 2)
    assert w[-1, 1, 1] == bars  # the last out-of-sample stretch ends on the last bar
    for k in range(folds):
        (a, b), (c, d) = w[k]
        assert b == c  # out-of-sample starts right after in-sample
        assert (b - a) / ((b - a) + (d - c)) == pytest.approx(share, abs=0.01)
        if k:
            assert c == w[k - 1, 1, 1]  # back to back
    assert 0 <= w[0, 0, 0] < 2 * folds + 5  # only a few bars left over at the start


def test_too_few_bars_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="too few for 10 walk-forward folds"):
        fold_windows(20, 10, 0.7)
    with pytest.raises(ValueError, match="between 0 and 1"):
        fold_windows(300, 3, 1.2)


def test_stitch_chains_each_fold_from_where_the_last_ended() -> None:
    windows = np.array([[[0, 2], [2, 4]], [[2, 4], [4, 6]]])
    a = np.array([100.0, 110, 121, 133.1, 100, 100])
    b = np.array([100.0, 100, 100, 50, 60, 90])
    out = stitch([a, b], windows, 1000.0)
    # fold 1: a's bars 2..3 relative to bar 1 (110): 1.1, 1.21; fold 2: b's bars 4..5 relative to bar 3 (50)
    assert out.tolist() == pytest.approx([1100.0, 1210.0, 1210.0 * 60 / 50, 1210.0 * 90 / 50])


def test_efficiency_skips_undefined_folds() -> None:
    assert efficiency([1.0, 2.0], [0.5, 1.0]) == (pytest.approx(0.5), 2)
    assert efficiency([1.0, 2.0], [0.5, float("nan")]) == (pytest.approx(0.5), 1)
    assert efficiency([0.0], [1.0]) == (None, 1)
    assert efficiency([1.0], [float("nan")]) == (None, 0)
