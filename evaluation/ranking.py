"""Department standings with their uncertainty: the mean score of each department's assessed cases, a percentile
bootstrap interval for it, and the range of ranks the department takes across the bootstrap replicates, so a
ranking shows which differences are real and which are noise. Pure numpy/scipy, no Flask.

The bootstrap resamples cases within each department (a stratified bootstrap: every replicate keeps each
department's number of cases): for each department, one array of integer draws over all replicates, gathered
from that department's own small slice of the sorted scores (which stays in the processor's cache; one gather
over every score at once was three times slower).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata

DEFAULT_REPLICATES = 1000
DEFAULT_MIN_CASES = 5


@dataclass(frozen=True)
class Standing:
    """One department's figures: ``group`` is its label as given."""

    group: Any
    cases: int
    score: float  # the mean total
    adjusted: float  # the mean severity-adjusted total
    ci: tuple[float, float] | None  # the interval of ``adjusted``; None below two cases
    rank: int | None  # 1 is the highest adjusted score; None when not ranked (too few cases)
    rank_range: tuple[int, int] | None  # best and worst rank over the replicates' central ``level``


def bootstrap_means(
    values: ArrayLike,
    groups: ArrayLike,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
) -> tuple[NDArray[Any], NDArray[np.float64]]:
    """The groups (sorted) and a (replicates, groups) array of the bootstrap means of ``values`` within each."""
    x = np.asarray(values, dtype=float)
    g = np.asarray(groups)
    if x.ndim != 1 or x.shape != g.shape:
        raise ValueError("values and groups must be one-dimensional and of the same length")
    labels, codes = np.unique(g, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    x, codes = x[order], codes[order]
    sizes = np.bincount(codes, minlength=len(labels))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rng = np.random.default_rng(seed)
    out = np.empty((replicates, len(labels)))
    for j, (first, size) in enumerate(zip(starts, sizes, strict=True)):
        own = x[first : first + size]
        out[:, j] = own[rng.integers(0, size, (replicates, size))].mean(axis=1)
    return labels, out


def _ranks(means: NDArray[np.float64]) -> NDArray[np.intp]:
    """Each row's ranks, 1 for the highest (ties, which continuous bootstrap means all but never have, in order)."""
    order = np.argsort(-means, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, means.shape[1] + 1), axis=1)
    return ranks


def standings(
    groups: ArrayLike,
    totals: ArrayLike,
    adjusted: ArrayLike | None = None,
    *,
    min_cases: int = DEFAULT_MIN_CASES,
    replicates: int = DEFAULT_REPLICATES,
    level: float = 0.95,
    seed: int = 0,
) -> list[Standing]:
    """Each group's standing, best first (ranked groups by adjusted score, then those with too few cases).

    ``adjusted`` missing (NaN) for a case falls back to its total. Groups with fewer than ``min_cases`` cases
    get an interval when they have two or more, but no rank: a handful of cases says little about a department.
    """
    raw = np.asarray(totals, dtype=float)
    adj = raw.copy() if adjusted is None else np.asarray(adjusted, dtype=float)
    adj = np.where(np.isnan(adj), raw, adj)
    g = np.asarray(groups)
    if raw.size == 0:
        return []
    labels, boot = bootstrap_means(adj, g, replicates, seed)
    codes = np.searchsorted(labels, g)
    sizes = np.bincount(codes, minlength=len(labels))
    score = np.bincount(codes, weights=raw, minlength=len(labels)) / sizes
    mean = np.bincount(codes, weights=adj, minlength=len(labels)) / sizes
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail], axis=0)
    ranked = sizes >= min_cases
    ranks, best, worst = (np.full(len(labels), np.nan) for _ in range(3))
    if ranked.any():
        ranks[ranked] = rankdata(-mean[ranked], method="min")
        replicate_ranks = _ranks(boot[:, ranked])
        best[ranked] = np.floor(np.percentile(replicate_ranks, tail, axis=0))
        worst[ranked] = np.ceil(np.percentile(replicate_ranks, 100 - tail, axis=0))
    out = [
        Standing(
            group=labels[i].item() if hasattr(labels[i], "item") else labels[i],
            cases=int(sizes[i]),
            score=float(score[i]),
            adjusted=float(mean[i]),
            ci=(float(low[i]), float(high[i])) if sizes[i] >= 2 else None,
            rank=int(ranks[i]) if ranked[i] else None,
            rank_range=(int(best[i]), int(worst[i])) if ranked[i] else None,
        )
        for i in range(len(labels))
    ]
    return sorted(out, key=lambda s: (s.rank is None, s.rank or 0, -s.adjusted))
