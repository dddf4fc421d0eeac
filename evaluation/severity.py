"""Rater severity: ``score = case effect + rater effect + noise`` fitted by least squares over the connected
rater–case graph (rater effects sum to zero within each connected component), giving each member's severity
and severity-adjusted case scores with their standard errors. Pure numpy/scipy, no Flask.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import connected_components

from evaluation.agreement import UndefinedStatistic


class DisconnectedRatersWarning(UserWarning):
    """Raters and cases fall apart into several groups whose severities cannot be compared."""


@dataclass(frozen=True)
class SeverityResult:
    """Rater effects (positive: lenient, negative: strict) and severity-adjusted case scores."""

    raters: NDArray[Any]
    severity: NDArray[np.float64]
    severity_se: NDArray[np.float64]
    cases: NDArray[Any]
    raw_mean: NDArray[np.float64]
    adjusted: NDArray[np.float64]
    adjusted_se: NDArray[np.float64]
    sigma: float
    n_components: int
    rater_component: NDArray[np.intp]
    case_component: NDArray[np.intp]


def rater_severity(case_ids: ArrayLike, rater_ids: ArrayLike, scores: ArrayLike) -> SeverityResult:
    """Fit ``score = case effect + rater effect + noise`` by least squares (long format: one row a score).

    The case effects are eliminated exactly (each case's mean), which leaves the reduced normal equations of
    the rater effects, ``M b = q`` with ``M = D_r - Nᵀ D_c⁻¹ N``; its pseudo-inverse gives the solution whose
    rater effects sum to zero in each connected component, and their covariance ``σ² M⁺``. The adjusted score
    of a case is its mean less the mean effect of its raters; its variance is ``σ²/n_i + cᵢᵀ Cov(b) cᵢ``
    (the case mean is uncorrelated with the within-case deviations that determine ``b``).
    """
    case_ids = np.asarray(case_ids)
    rater_ids = np.asarray(rater_ids)
    y = np.asarray(scores, dtype=np.float64)
    if not (case_ids.shape == rater_ids.shape == y.shape) or y.ndim != 1:
        raise ValueError("case_ids, rater_ids and scores must be 1-D arrays of the same length")
    if np.isnan(y).any():
        raise ValueError("scores contain NaN; leave missing scores out")
    cases, ci = np.unique(case_ids, return_inverse=True)
    raters, ri = np.unique(rater_ids, return_inverse=True)
    n_cases, n_raters, n_obs = cases.size, raters.size, y.size
    if len(set(zip(ci.tolist(), ri.tolist(), strict=True))) != n_obs:
        raise ValueError("a rater scored the same case twice")
    incidence = sp.csr_matrix((np.ones(n_obs), (ci, ri)), shape=(n_cases, n_raters))
    graph = sp.bmat([[None, incidence], [incidence.T, None]], format="csr")
    n_components, labels = connected_components(graph, directed=False)
    if n_components > 1:
        warnings.warn(
            f"the raters and cases form {n_components} disconnected groups; severities are comparable only "
            "within a group",
            DisconnectedRatersWarning,
            stacklevel=2,
        )
    case_n = np.bincount(ci, minlength=n_cases).astype(np.float64)
    rater_n = np.bincount(ri, minlength=n_raters).astype(np.float64)
    case_mean = np.bincount(ci, weights=y, minlength=n_cases) / case_n
    q = np.bincount(ri, weights=y - case_mean[ci], minlength=n_raters)
    reduced = (sp.diags(rater_n) - incidence.T @ sp.diags(1.0 / case_n) @ incidence).toarray()
    m_plus = np.linalg.pinv(reduced, hermitian=True)
    b = np.asarray(m_plus @ q, dtype=np.float64)
    a = case_mean - (incidence @ b) / case_n
    residual = y - a[ci] - b[ri]
    dof = n_obs - n_cases - n_raters + n_components
    if dof <= 0:
        raise UndefinedStatistic("rater severity needs more scores than effects: give cases more raters")
    sigma2 = float(residual @ residual) / dof
    cov_b = sigma2 * m_plus
    severity_se = np.sqrt(np.clip(np.diag(cov_b), 0.0, None))
    adjusted_var = sigma2 / case_n + _within_case_covariance(ci, ri, case_n, cov_b) / case_n**2
    return SeverityResult(
        raters=raters,
        severity=b,
        severity_se=severity_se,
        cases=cases,
        raw_mean=case_mean,
        adjusted=a,
        adjusted_se=np.sqrt(adjusted_var),
        sigma=float(np.sqrt(sigma2)),
        n_components=int(n_components),
        rater_component=labels[n_cases:],
        case_component=labels[:n_cases],
    )


def _within_case_covariance(
    ci: NDArray[np.intp], ri: NDArray[np.intp], case_n: NDArray[np.float64], cov_b: NDArray[np.float64]
) -> NDArray[np.float64]:
    """For each case, the sum of Cov(b_j, b_l) over all pairs of its raters: O(sum of squared panel sizes)."""
    order = np.argsort(ci, kind="stable")
    cases_sorted, raters_sorted = ci[order], ri[order]
    sizes = case_n[cases_sorted].astype(np.intp)  # each observation's panel size
    first = np.repeat(np.arange(order.size), sizes)
    position = np.arange(first.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    case_start = np.concatenate([[0], np.cumsum(case_n)[:-1]]).astype(np.intp)
    second = case_start[cases_sorted[first]] + position
    pair_cov = cov_b[raters_sorted[first], raters_sorted[second]]
    return np.bincount(cases_sorted[first], weights=pair_cov, minlength=case_n.size).astype(np.float64)
