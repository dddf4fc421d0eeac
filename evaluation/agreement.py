"""Inter-rater statistics: pure numpy/scipy, no Flask.

Ratings are a 2-D array-like of shape ``(n_units, n_raters)`` with ``NaN`` for a missing rating: one row per
case (or bid), one column per rater slot. Every function is vectorised and checked against the published
worked examples of its method and against the ``krippendorff``, ``statsmodels`` and ``pingouin`` packages.

Conventions
-----------
* **Undefined is an error, never a number.** When a statistic is undefined on the data (no variation, fewer
  than two pairable values, unequal rating counts for Fleiss' kappa, …) the function raises
  :class:`UndefinedStatistic`, a ``ValueError`` whose message says why.
* **The value domain.** ``values`` declares the scale's possible values, so categories no one used still
  count. The platform always passes the rubric's scale: a kappa or an ordinal alpha computed over the
  observed categories only is a different number.
* **Krippendorff's alpha** follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": the
  coincidence matrix over pairable values (units with at least two ratings), and the nominal, ordinal,
  interval and ratio difference functions. The ordinal metric uses the marginal frequencies of the whole
  declared domain.
* **ICC** follows Shrout & Fleiss (1979) and McGraw & Wong (1996) as ``pingouin`` and R's ``psych::ICC``
  compute them: ICC1 = ICC(1,1), ICC2 = ICC(A,1) (two-way random, absolute agreement), ICC3 = ICC(C,1)
  (two-way mixed, consistency) and their average-measure forms ICC1k, ICC2k, ICC3k; F-tests against the
  within-unit (ICC1) or residual mean square (ICC2, ICC3), and the confidence intervals of McGraw & Wong,
  with Satterthwaite's degrees of freedom for ICC(A,·). R's ``irr`` differs in the p-value of ICC(2,1) and
  in the interval of ICC(A,k). Only complete rows are used; ``n_units`` reports how many.
  Because each case has its own panel, the platform reports alpha and ICC1/ICC1k for a batch, and the
  two-way forms only where the same raters scored every unit (procurement bids).
* **Cohen's kappa** weights (linear, quadratic) are by the categories' positions in the domain, as in
  scikit-learn; **Gwet's AC2** weights are by the categories' values, as in Gwet (2014) and R's ``irrCAC``.
* **Kendall's W** ranks the units within each rater (average ranks for ties) and is tie-corrected by
  default; units with a missing rating are left out.
* **bootstrap_alpha** is the nonparametric bootstrap over units (the units are resampled with replacement,
  each replicate recomputes alpha; the interval is the percentile interval). It is not Krippendorff's own
  algorithm, which resamples pairable values from the coincidence matrix. Units with identical rating
  patterns contribute identically, so they are grouped and each replicate draws the patterns' multiplicities
  from the multinomial distribution: the same distribution as resampling units one by one, far cheaper.
* **Rater severity** (how strict each member scores, and severity-adjusted case scores) is
  :mod:`evaluation.severity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS = ("nominal", "ordinal", "interval", "ratio")


class UndefinedStatistic(ValueError):  # noqa: N818 - reads as what it is: the statistic is undefined
    """The statistic is not defined on this data; the message says why."""


# ------------------------------------------------------------------------------------------------ helpers


def _matrix(ratings: ArrayLike) -> NDArray[np.float64]:
    data = np.asarray(ratings, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"ratings must be a 2-D array of shape (n_units, n_raters), not {data.ndim}-D")
    # One cheap pass: a finite sum rules out both NaN and infinity; only otherwise look closer.
    if not np.isfinite(data.sum()) and np.isinf(data).any():
        raise ValueError("ratings contain an infinite value")
    return data


def _complete_rows(ratings: ArrayLike, statistic: str) -> NDArray[np.float64]:
    """The units rated by every rater; at least two of them, and at least two raters."""
    data = _matrix(ratings)
    data = data if np.isfinite(data.sum()) else data[~np.isnan(data).any(axis=1)]
    n, k = data.shape
    if k < 2:
        raise UndefinedStatistic(f"{statistic} needs at least two raters")
    if n < 2:
        raise UndefinedStatistic(
            f"{statistic} needs at least two units rated by every rater; {n} complete row(s)"
        )
    return data


def _domain(data: NDArray[np.float64], values: ArrayLike | None) -> NDArray[np.float64]:
    observed = np.unique(data[~np.isnan(data)])
    if values is None:
        return observed
    declared = np.unique(np.asarray(values, dtype=np.float64))
    unknown = np.setdiff1d(observed, declared)
    if unknown.size:
        raise ValueError(f"ratings contain values outside the declared domain: {unknown[:5].tolist()}")
    return declared


def _codes(
    data: NDArray[np.float64], domain: NDArray[np.float64]
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """Index of each rating in the domain, and the mask of present ratings."""
    present = ~np.isnan(data)
    codes = np.searchsorted(domain, np.where(present, data, domain[0]))
    return codes, present


def _unit_counts(data: NDArray[np.float64], domain: NDArray[np.float64]) -> NDArray[np.int64]:
    """counts[u, c]: how many raters gave unit u the c-th value of the domain."""
    n_units, n_raters = data.shape
    k = domain.size
    codes, present = _codes(data, domain)
    flat = (np.arange(n_units)[:, None] * k + codes)[present]
    return np.bincount(flat, minlength=n_units * k).reshape(n_units, k)


def _difference(
    level: str, domain: NDArray[np.float64], marginals: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Krippendorff's squared difference function delta^2(c, k) over the domain; marginals may be batched
    (shape (..., K)) for the ordinal metric, which depends on them."""
    if level == "nominal":
        return 1.0 - np.eye(domain.size)
    if level == "interval":
        return (domain[:, None] - domain[None, :]) ** 2
    if level == "ratio":
        total = domain[:, None] + domain[None, :]
        diff = domain[:, None] - domain[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(total == 0, 0.0, (diff / np.where(total == 0, 1.0, total)) ** 2)
        return out
    # ordinal: delta(c, k) = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2 = (s_k - s_c)^2 with s_c = N_{c-1} + n_c / 2
    position = np.cumsum(marginals, axis=-1) - marginals / 2.0
    return (position[..., :, None] - position[..., None, :]) ** 2


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")


# ---------------------------------------------------------------------------------------- Krippendorff


def _coincidences(counts: NDArray[np.int64]) -> NDArray[np.float64]:
    """The coincidence matrix o[c, k] over pairable units (m_u >= 2)."""
    m = counts.sum(axis=1)
    pairable = m >= 2
    c = counts[pairable].astype(np.float64)
    scale = 1.0 / (m[pairable] - 1.0)
    weighted = c * scale[:, None]
    o = c.T @ weighted
    o[np.diag_indices_from(o)] -= weighted.sum(axis=0)
    return np.asarray(o, dtype=np.float64)


def _alpha_from_coincidences(o: NDArray[np.float64], level: str, domain: NDArray[np.float64]) -> float:
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n < 2:
        raise UndefinedStatistic(
            "alpha needs at least two pairable values (units rated by two or more raters)"
        )
    delta = _difference(level, domain, n_c)
    expected = n_c @ delta @ n_c
    if expected == 0:
        raise UndefinedStatistic(
            "alpha is undefined: all pairable ratings take a single value (no variation)"
        )
    observed = (o * delta).sum()
    return float(1.0 - (n - 1.0) * observed / expected)


def _labels(ratings: ArrayLike, level: str, values: ArrayLike | None) -> tuple[Any, Any]:
    """Categorical labels of any kind (``"upheld"``, not only numbers) as their positions in the domain: the
    declared ``values`` in their order, or the labels seen, sorted. Missing is ``None`` or NaN. Positions are
    all the nominal and ordinal metrics need; interval and ratio need numbers."""
    raw = np.asarray(ratings, dtype=object)
    if raw.ndim != 2:
        raise ValueError(f"ratings must be a 2-D array of shape (n_units, n_raters), not {raw.ndim}-D")
    if level not in ("nominal", "ordinal"):
        raise ValueError(f"the {level} metric needs numeric ratings, not labels")
    missing = np.frompyfunc(lambda v: v is None or (isinstance(v, float) and v != v), 1, 1)(raw).astype(bool)
    labels = (
        np.asarray(values, dtype=object).tolist()
        if values is not None
        else sorted({v for v in raw[~missing].tolist()}, key=str)
    )
    position = {label: float(i) for i, label in enumerate(labels)}
    unknown = {v for v in raw[~missing].tolist() if v not in position}
    if unknown:
        raise ValueError(
            f"ratings contain labels outside the declared domain: {sorted(unknown, key=str)[:5]}"
        )
    codes = np.full(raw.shape, np.nan)
    codes[~missing] = [position[v] for v in raw[~missing].tolist()]
    return codes, np.arange(len(labels), dtype=np.float64)


def _numeric_or_labels(ratings: ArrayLike, level: str, values: ArrayLike | None) -> tuple[Any, Any]:
    kind = np.asarray(ratings).dtype.kind
    if kind in "OUS":
        return _labels(ratings, level, values)
    return ratings, values


def _pairable_units(counts: NDArray[np.int64]) -> None:
    if int((counts.sum(axis=1) >= 2).sum()) == 1:  # none at all is "fewer than two pairable values", below
        raise UndefinedStatistic(
            "alpha needs at least two units rated by two or more raters: one unit carries no information on "
            "reliability"
        )


def krippendorff_alpha(
    ratings: ArrayLike, level: Level = "interval", values: ArrayLike | None = None
) -> float:
    """Krippendorff's alpha for any number of raters, with missing ratings. Ratings may be numbers or, for the
    nominal and ordinal metrics, labels of any kind (see ``_labels``)."""
    _check_level(level)
    ratings, values = _numeric_or_labels(ratings, level, values)
    data = _matrix(ratings)
    domain = _domain(data, values)
    if domain.size == 0:
        raise UndefinedStatistic("alpha needs at least two pairable values; there are no ratings")
    if level == "ratio" and (domain < 0).any():
        raise ValueError("the ratio metric needs non-negative values")
    counts = _unit_counts(data, domain)
    _pairable_units(counts)
    return _alpha_from_coincidences(_coincidences(counts), level, domain)


def bootstrap_alpha(
    ratings: ArrayLike,
    level: Level = "interval",
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    values: ArrayLike | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval of Krippendorff's alpha, resampling units with replacement.

    Identical unit patterns are grouped; each replicate draws their multiplicities from the multinomial
    distribution, which is the distribution of resampling units one at a time.
    """
    _check_level(level)
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    ratings, values = _numeric_or_labels(ratings, level, values)
    data = _matrix(ratings)
    domain = _domain(data, values)
    counts = _unit_counts(data, domain)
    _pairable_units(counts)
    _alpha_from_coincidences(_coincidences(counts), level, domain)  # raises when alpha itself is undefined
    n_units = counts.shape[0]
    k = domain.size
    m = counts.sum(axis=1)
    # Units with fewer than two ratings contribute nothing but still count in the resampling.
    patterns, multiplicity = _unique_rows(np.where((m >= 2)[:, None], counts, 0))
    pm = patterns.sum(axis=1)
    contributing = pm >= 2
    c = patterns[contributing].astype(np.float64)
    weighted = c / (pm[contributing] - 1.0)[:, None]
    contrib = c[:, :, None] * weighted[:, None, :]
    idx = np.arange(k)
    contrib[:, idx, idx] -= weighted
    contrib = contrib.reshape(c.shape[0], k * k)
    probabilities = multiplicity / n_units
    rng = np.random.default_rng(seed)
    alphas = np.empty(n_boot)
    fixed_delta = None if level == "ordinal" else _difference(level, domain, np.zeros(k)).reshape(k * k)
    chunk = max(1, min(n_boot, int(2e8 // max(1, probabilities.size * 8))))
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.multinomial(n_units, probabilities, size=size)[:, contributing].astype(np.float64)
        o = draws @ contrib  # (size, k*k)
        n_c = o.reshape(size, k, k).sum(axis=2)
        n = n_c.sum(axis=1)
        if fixed_delta is None:
            delta = _difference(level, domain, n_c).reshape(size, k * k)
        else:
            delta = np.broadcast_to(fixed_delta, (size, k * k))
        observed = (o * delta).sum(axis=1)
        expected = np.einsum("bi,bij,bj->b", n_c, delta.reshape(size, k, k), n_c)
        with np.errstate(invalid="ignore", divide="ignore"):
            alphas[start : start + size] = np.where(
                expected > 0, 1.0 - (n - 1.0) * observed / expected, np.nan
            )
    defined = alphas[~np.isnan(alphas)]
    if defined.size < 0.9 * n_boot:
        raise UndefinedStatistic(
            "alpha is undefined in more than a tenth of the bootstrap replicates "
            "(too little variation to resample)"
        )
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(defined, [tail, 1.0 - tail])
    return float(low), float(high)


def _unique_rows(counts: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Distinct rows and how often each occurs; a packed integer key when it fits, else a row sort."""
    base = int(counts.max(initial=0)) + 1
    k = counts.shape[1]
    if k * np.log2(max(base, 2)) < 62:
        weights = base ** np.arange(k, dtype=np.int64)
        keys = counts.astype(np.int64) @ weights
        _, first, multiplicity = np.unique(keys, return_index=True, return_counts=True)
        return counts[first], multiplicity
    rows, multiplicity = np.unique(counts, axis=0, return_counts=True)
    return rows, multiplicity


# ---------------------------------------------------------------------------------------------------- ICC


@dataclass(frozen=True)
class ICCResult:
    value: float
    f: float
    df1: int
    df2: int
    pvalue: float
    ci_low: float
    ci_high: float
    n_units: int


def _icc2_interval(
    n: int, k: int, msr: float, msc: float, mse: float, icc2: float, q: float
) -> tuple[float, float]:
    """The interval of ICC(A,1): McGraw & Wong (1996), case 2A, with Satterthwaite's degrees of freedom."""
    fj = msc / mse
    df_error = (n - 1) * (k - 1)
    vn = df_error * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    f2_high = special.fdtri(n - 1, v, q)
    f2_low = special.fdtri(v, n - 1, q)
    spread = k * msc + (k * n - k - n) * mse
    # When the raters' variance dominates, Satterthwaite's df tends to 0 and the F quantile overflows to inf
    # (pingouin then reports nan). The bound is then its limit as F -> inf, exact to double precision.
    if np.isinf(f2_high):
        low2 = -n * mse / spread if spread > 0 else np.nan
    else:
        low2 = n * (msr - f2_high * mse) / (f2_high * spread + n * msr)
    high2 = 1.0 if np.isinf(f2_low) else n * (f2_low * msr - mse) / (spread + n * f2_low * msr)
    if not (np.isfinite(low2) and np.isfinite(high2)):
        raise UndefinedStatistic(
            "the interval of ICC(A,1) is undefined: the raters' mean square leaves no "
            "degrees of freedom to estimate it"
        )
    return float(low2), float(high2)


def icc(ratings: ArrayLike, confidence: float = 0.95) -> dict[str, ICCResult]:
    """The six Shrout–Fleiss / McGraw–Wong intraclass correlations on the complete rows."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    data = _complete_rows(ratings, "ICC")
    n, k = data.shape
    centred = data - data.mean()
    flat = centred.ravel()
    row_sums = centred @ np.ones(k)  # BLAS matrix-vector products beat strided axis reductions
    col_sums = np.ones(n) @ centred
    ss_total = float(flat @ flat)
    ss_rows = float(row_sums @ row_sums) / k
    ss_cols = float(col_sums @ col_sums) / n
    ss_error = ss_total - ss_rows - ss_cols
    df_rows, df_cols, df_error, df_within = n - 1, k - 1, (n - 1) * (k - 1), n * (k - 1)
    msr = ss_rows / df_rows
    msc = ss_cols / df_cols
    mse = ss_error / df_error
    msw = (ss_cols + ss_error) / df_within
    if msr <= 0:
        raise UndefinedStatistic("ICC is undefined: the units do not vary (between-unit mean square is 0)")
    if mse <= 0 or msw <= 0:
        raise UndefinedStatistic(
            "ICC's F-test and interval are undefined: the raters agree perfectly (error mean square is 0)"
        )

    icc1 = (msr - msw) / (msr + (k - 1) * msw)
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    icc3 = (msr - mse) / (msr + (k - 1) * mse)
    icc1k = (msr - msw) / msr
    icc2k = (msr - mse) / (msr + (msc - mse) / n)
    icc3k = (msr - mse) / msr

    f1 = msr / msw
    f3 = msr / mse
    # scipy.special directly: the same functions scipy.stats.f wraps, without its per-call overhead.
    p1 = float(special.fdtrc(df_rows, df_within, f1))
    p3 = float(special.fdtrc(df_rows, df_error, f3))

    q = 1.0 - (1.0 - confidence) / 2.0
    f1_low = f1 / special.fdtri(df_rows, df_within, q)
    f1_high = f1 * special.fdtri(df_within, df_rows, q)
    f3_low = f3 / special.fdtri(df_rows, df_error, q)
    f3_high = f3 * special.fdtri(df_error, df_rows, q)
    low2, high2 = _icc2_interval(n, k, msr, msc, mse, icc2, q)

    def result(value: float, f: float, df2: int, p: float, low: float, high: float) -> ICCResult:
        return ICCResult(float(value), float(f), df_rows, df2, p, float(low), float(high), n)

    return {
        "ICC1": result(
            icc1, f1, df_within, p1, (f1_low - 1) / (f1_low + k - 1), (f1_high - 1) / (f1_high + k - 1)
        ),
        "ICC2": result(icc2, f3, df_error, p3, low2, high2),
        "ICC3": result(
            icc3, f3, df_error, p3, (f3_low - 1) / (f3_low + k - 1), (f3_high - 1) / (f3_high + k - 1)
        ),
        "ICC1k": result(icc1k, f1, df_within, p1, 1 - 1 / f1_low, 1 - 1 / f1_high),
        "ICC2k": result(
            icc2k, f3, df_error, p3, low2 * k / (1 + low2 * (k - 1)), high2 * k / (1 + high2 * (k - 1))
        ),
        "ICC3k": result(icc3k, f3, df_error, p3, 1 - 1 / f3_low, 1 - 1 / f3_high),
    }


# ------------------------------------------------------------------------------------------ kappa family


def fleiss_kappa(ratings: ArrayLike) -> float:
    """Fleiss' kappa: categorical labels, the same number of ratings for every unit (raters may differ)."""
    data = _matrix(ratings)
    present = (~np.isnan(data)).sum(axis=1)
    rated = present > 0
    data, present = data[rated], present[rated]
    if data.shape[0] == 0:
        raise UndefinedStatistic("Fleiss' kappa needs ratings; there are none")
    if (present != present[0]).any():
        raise UndefinedStatistic(
            "Fleiss' kappa needs the same number of ratings for every unit; "
            f"the units have between {present.min()} and {present.max()}"
        )
    r = int(present[0])
    if r < 2:
        raise UndefinedStatistic("Fleiss' kappa needs at least two ratings per unit")
    counts = _unit_counts(data, _domain(data, None)).astype(np.float64)
    n_units = counts.shape[0]
    p_j = counts.sum(axis=0) / (n_units * r)
    p_i = ((counts**2).sum(axis=1) - r) / (r * (r - 1))
    p_bar = p_i.mean()
    p_e = (p_j**2).sum()
    if p_e >= 1.0:
        raise UndefinedStatistic(
            "Fleiss' kappa is undefined: every rating is the same category (no variation)"
        )
    return float((p_bar - p_e) / (1.0 - p_e))


def _kappa_weights(k: int, weights: str | None, positions: NDArray[np.float64]) -> NDArray[np.float64]:
    """Disagreement weights: 0 on the diagonal, 1 at the extremes."""
    if weights is None:
        return 1.0 - np.eye(k)
    span = positions[-1] - positions[0] if k > 1 else 1.0
    diff = np.abs(positions[:, None] - positions[None, :]) / span
    if weights == "linear":
        return diff
    if weights == "quadratic":
        return diff**2
    raise ValueError(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")


def cohen_kappa(
    a: ArrayLike, b: ArrayLike, weights: str | None = None, values: ArrayLike | None = None
) -> float:
    """Cohen's kappa between two raters (pairs with a missing rating are left out); weighted by position."""
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"the two raters rated different numbers of units: {x.size} and {y.size}")
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    if x.size == 0:
        raise UndefinedStatistic("Cohen's kappa needs at least one unit rated by both raters")
    domain = _domain(np.concatenate([x, y])[None, :], values)
    k = domain.size
    table = np.zeros((k, k))
    np.add.at(table, (np.searchsorted(domain, x), np.searchsorted(domain, y)), 1.0)
    table /= table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    w = _kappa_weights(k, weights, np.arange(k, dtype=np.float64))
    denominator = (w * expected).sum()
    if denominator == 0:
        raise UndefinedStatistic(
            "Cohen's kappa is undefined: both raters used a single category (no variation)"
        )
    return float(1.0 - (w * table).sum() / denominator)


def gwet_ac(ratings: ArrayLike, weights: str | None = None, values: ArrayLike | None = None) -> float:
    """Gwet's AC1 (unweighted) or AC2 (``weights`` "linear" or "quadratic") for any number of raters,
    with missing ratings (Gwet 2014, chapter 4)."""
    data = _matrix(ratings)
    domain = _domain(data, values)
    q = domain.size
    if q < 2:
        raise UndefinedStatistic(
            "Gwet's AC needs a value domain of at least two categories; declare `values`"
        )
    counts = _unit_counts(data, domain).astype(np.float64)
    r_i = counts.sum(axis=1)
    rated = r_i >= 1
    pairable = r_i >= 2
    if not pairable.any():
        raise UndefinedStatistic("Gwet's AC needs at least one unit rated by two or more raters")
    agreement = 1.0 - _kappa_weights(q, weights, domain)  # Gwet's agreement weights, by value
    weighted = counts @ agreement.T  # r*_ik = sum_l w_kl r_il
    rp, cp = r_i[pairable], counts[pairable]
    p_a = ((cp * (weighted[pairable] - 1.0)).sum(axis=1) / (rp * (rp - 1.0))).mean()
    pi_k = (counts[rated] / r_i[rated][:, None]).mean(axis=0)
    p_e = agreement.sum() / (q * (q - 1.0)) * (pi_k * (1.0 - pi_k)).sum()
    if p_e >= 1.0:
        raise UndefinedStatistic("Gwet's AC is undefined: the chance agreement is 1")
    return float((p_a - p_e) / (1.0 - p_e))


# ----------------------------------------------------------------------------------------- Kendall's W


@dataclass(frozen=True)
class KendallResult:
    w: float
    chi2: float
    df: int
    pvalue: float
    n_units: int


def kendall_w(ratings: ArrayLike, correct_ties: bool = True) -> KendallResult:
    """Kendall's coefficient of concordance: each rater (column) ranks the units (rows)."""
    data = _complete_rows(ratings, "Kendall's W")
    n, m = data.shape
    ranks = stats.rankdata(data, axis=0)
    rank_sums = ranks.sum(axis=1)
    s = ((rank_sums - rank_sums.mean()) ** 2).sum()
    ties = 0.0
    if correct_ties:
        for column in data.T:
            _, t = np.unique(column, return_counts=True)
            ties += float((t**3 - t).sum())
    denominator = m**2 * (n**3 - n) - m * ties
    if denominator <= 0:
        raise UndefinedStatistic("Kendall's W is undefined: every rater gave all units the same rating")
    w = 12.0 * s / denominator
    chi2 = m * (n - 1) * w
    return KendallResult(float(w), float(chi2), n - 1, float(stats.chi2.sf(chi2, n - 1)), n)
