"""Department standings on simulated data whose true order is known: departments far apart get disjoint
intervals and a rank each, departments alike get overlapping rank ranges, and the 95 % intervals cover the true
mean in about 95 % of repeated simulations."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.ranking import bootstrap_means, standings


def _simulated(means: list[float], n: int, sd: float = 10.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"D{i}" for i in range(len(means))], n)
    scores = np.concatenate([rng.normal(m, sd, n) for m in means])
    return groups, scores


def test_departments_far_apart_get_disjoint_intervals_and_one_rank_each() -> None:
    groups, scores = _simulated([50, 70, 90], 40)
    found = standings(groups, scores)
    assert [s.group for s in found] == ["D2", "D1", "D0"]
    assert [s.rank for s in found] == [1, 2, 3] and [s.rank_range for s in found] == [(1, 1), (2, 2), (3, 3)]
    for better, worse in zip(found, found[1:], strict=False):
        assert better.ci is not None and worse.ci is not None and worse.ci[1] < better.ci[0]


def test_departments_alike_get_overlapping_rank_ranges() -> None:
    groups, scores = _simulated([70] * 5, 30, seed=3)
    found = standings(groups, scores)
    assert all(s.rank_range is not None and s.rank_range[1] - s.rank_range[0] >= 2 for s in found)
    ranges = [s.rank_range for s in found]
    assert all(a[1] >= b[0] for a in ranges for b in ranges if a is not None and b is not None)


def test_the_95_percent_intervals_cover_the_truth_about_95_percent_of_the_time() -> None:
    covered = 0
    runs = 300
    for run in range(runs):
        groups, scores = _simulated([72.0], 60, seed=1000 + run)
        (standing,) = standings(groups, scores, replicates=500, seed=run)
        assert standing.ci is not None
        covered += standing.ci[0] <= 72.0 <= standing.ci[1]
    assert 0.90 <= covered / runs <= 0.99


def test_too_few_cases_are_marked_unranked_and_the_adjusted_score_falls_back_to_the_total() -> None:
    groups = np.array(["A"] * 6 + ["B"] * 2)
    totals = np.array([80, 82, 78, 81, 79, 80, 60, 64], dtype=float)
    adjusted = np.array([81, np.nan, 79, 80, 80, 80, np.nan, 66], dtype=float)
    first, second = standings(groups, totals, adjusted)
    assert first.group == "A" and first.rank == 1 and first.rank_range == (1, 1)
    assert first.adjusted == pytest.approx((81 + 82 + 79 + 80 + 80 + 80) / 6)
    assert second.group == "B" and second.rank is None and second.rank_range is None and second.ci is not None
    assert second.score == 62 and second.adjusted == 63  # (60, the total, + 66) / 2


def test_the_bootstrap_keeps_each_departments_cases_apart() -> None:
    labels, means = bootstrap_means([1.0, 1.0, 5.0, 5.0, 5.0], ["x", "x", "y", "y", "y"], replicates=20)
    assert list(labels) == ["x", "y"] and means.shape == (20, 2)
    assert np.all(means[:, 0] == 1.0) and np.all(means[:, 1] == 5.0)
    with pytest.raises(ValueError, match="same length"):
        bootstrap_means([1.0, 2.0], ["x"])
    assert standings([], []) == []
