"""evaluation.agreement: published worked examples, exact references, peers, and undefined cases.

Pure tests: no app, no database. The exact references below recompute each statistic from its textbook
definition with Python fractions, one unit and one pair at a time — a different algorithm from the
vectorised one under test — so agreement to 1e-9 means the code computes the definition.
"""

from __future__ import annotations

import json
import math
import warnings
from fractions import Fraction
from itertools import permutations
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from evaluation.agreement import (
    UndefinedStatistic,
    bootstrap_alpha,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac,
    icc,
    kendall_w,
    krippendorff_alpha,
)
from evaluation.severity import DisconnectedRatersWarning, rater_severity

NAN = np.nan
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12 units.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
).T  # our shape: (units, raters)

# Shrout & Fleiss (1979), table 2: 6 targets x 4 judges.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float
)


# ------------------------------------------------------------------------------------- exact references


def _exact_alpha(data: np.ndarray, level: str, domain: list[float]) -> Fraction:
    """Krippendorff's alpha from the definition: every ordered pair of values within each unit."""
    index = {v: i for i, v in enumerate(domain)}
    k = len(domain)
    o = [[Fraction(0)] * k for _ in range(k)]
    for row in data:
        values = [v for v in row if not math.isnan(v)]
        if len(values) < 2:
            continue
        for a, b in permutations(range(len(values)), 2):
            o[index[values[a]]][index[values[b]]] += Fraction(1, len(values) - 1)
    n_c = [sum(r) for r in o]
    n = sum(n_c)

    def delta(c: int, d: int) -> Fraction:
        vc, vd = Fraction(domain[c]), Fraction(domain[d])
        if level == "nominal":
            return Fraction(0 if c == d else 1)
        if level == "interval":
            return (vc - vd) ** 2
        if level == "ratio":
            return Fraction(0) if vc + vd == 0 else ((vc - vd) / (vc + vd)) ** 2
        lo, hi = min(c, d), max(c, d)
        return (sum(n_c[lo : hi + 1]) - (n_c[c] + n_c[d]) / 2) ** 2

    observed = sum(o[c][d] * delta(c, d) for c in range(k) for d in range(k))
    expected = sum(n_c[c] * n_c[d] * delta(c, d) for c in range(k) for d in range(k))
    return 1 - (n - 1) * observed / expected


def _exact_mean_squares(data: np.ndarray) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """(MSR, MSC, MSE, MSW) of the two-way ANOVA, by hand."""
    rows = [[Fraction(int(v)) for v in row] for row in data]
    n, k = len(rows), len(rows[0])
    grand = sum(map(sum, rows)) / (n * k)
    row_means = [sum(r) / k for r in rows]
    col_means = [sum(r[j] for r in rows) / n for j in range(k)]
    ss_total = sum((v - grand) ** 2 for r in rows for v in r)
    ss_rows = k * sum((m - grand) ** 2 for m in row_means)
    ss_cols = n * sum((m - grand) ** 2 for m in col_means)
    ss_error = ss_total - ss_rows - ss_cols
    return (
        ss_rows / (n - 1),
        ss_cols / (k - 1),
        ss_error / ((n - 1) * (k - 1)),
        (ss_cols + ss_error) / (n * (k - 1)),
    )


# ------------------------------------------------------------------------------------------- Krippendorff


@pytest.mark.parametrize(
    "level, published",
    [
        ("nominal", 0.743),
        ("ordinal", 0.815),
        ("interval", 0.849),
        ("ratio", 0.797),
    ],
)
def test_alpha_reproduces_krippendorff_2011(level, published) -> None:
    value = krippendorff_alpha(KRIPPENDORFF_2011, level)
    assert round(value, 3) == published
    assert value == pytest.approx(float(_exact_alpha(KRIPPENDORFF_2011, level, [1, 2, 3, 4, 5])), abs=1e-9)


def test_alpha_declared_domain_changes_ordinal_but_not_interval() -> None:
    domain = [1, 2, 3, 4, 5, 6, 7]
    interval = krippendorff_alpha(KRIPPENDORFF_2011, "interval", values=domain)
    assert interval == pytest.approx(krippendorff_alpha(KRIPPENDORFF_2011, "interval"), abs=1e-12)
    ordinal = krippendorff_alpha(KRIPPENDORFF_2011, "ordinal", values=[0, 1, 2, 3, 4, 5])
    assert ordinal == pytest.approx(
        float(_exact_alpha(KRIPPENDORFF_2011, "ordinal", [0, 1, 2, 3, 4, 5])), abs=1e-9
    )
    assert ordinal == pytest.approx(
        krippendorff.alpha(
            KRIPPENDORFF_2011.T, level_of_measurement="ordinal", value_domain=[0, 1, 2, 3, 4, 5]
        ),
        abs=1e-9,
    )


def test_alpha_refuses_values_outside_the_declared_domain() -> None:
    with pytest.raises(ValueError, match="outside the declared domain"):
        krippendorff_alpha(KRIPPENDORFF_2011, "nominal", values=[1, 2, 3])


def _ratings_with_missing(min_units: int = 2, max_units: int = 25, max_raters: int = 6, scale: int = 5):
    @st.composite
    def build(draw):
        n = draw(st.integers(min_units, max_units))
        m = draw(st.integers(2, max_raters))
        cells = draw(
            st.lists(
                st.one_of(st.integers(1, scale).map(float), st.just(NAN)), min_size=n * m, max_size=n * m
            )
        )
        return np.array(cells, dtype=float).reshape(n, m)

    return build()


@PROPERTY
@given(data=_ratings_with_missing(), level=st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_matches_the_krippendorff_package(data, level) -> None:
    domain = [1, 2, 3, 4, 5]
    try:
        ours = krippendorff_alpha(data, level, values=domain)
    except UndefinedStatistic:
        return
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        theirs = krippendorff.alpha(data.T, level_of_measurement=level, value_domain=domain)
    assert ours == pytest.approx(theirs, abs=1e-9)


# -------------------------------------------------------------------------------------------------- ICC


def test_icc_reproduces_shrout_and_fleiss_1979() -> None:
    result = icc(SHROUT_FLEISS)
    published = {"ICC1": 0.17, "ICC2": 0.29, "ICC3": 0.71, "ICC1k": 0.44, "ICC2k": 0.62, "ICC3k": 0.91}
    for name, value in published.items():
        assert round(result[name].value, 2) == value, name
    msr, msc, mse, msw = _exact_mean_squares(SHROUT_FLEISS)
    n, k = 6, 4
    exact = {
        "ICC1": (msr - msw) / (msr + (k - 1) * msw),
        "ICC2": (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n),
        "ICC3": (msr - mse) / (msr + (k - 1) * mse),
        "ICC1k": (msr - msw) / msr,
        "ICC2k": (msr - mse) / (msr + (msc - mse) / n),
        "ICC3k": (msr - mse) / msr,
    }
    for name, value in exact.items():
        assert result[name].value == pytest.approx(float(value), abs=1e-9), name
    assert result["ICC1"].f == pytest.approx(float(msr / msw), abs=1e-9)
    assert result["ICC3"].f == pytest.approx(float(msr / mse), abs=1e-9)
    assert (result["ICC1"].df1, result["ICC1"].df2, result["ICC2"].df2) == (5, 18, 15)
    assert result["ICC1"].n_units == 6


def test_icc_intervals_match_r_psych_on_shrout_and_fleiss() -> None:
    # psych::ICC(sf) prints these bounds (two decimals) for the Shrout & Fleiss data.
    published = {
        "ICC1": (-0.13, 0.72),
        "ICC2": (0.019, 0.76),
        "ICC3": (0.34, 0.95),
        "ICC1k": (-0.88, 0.91),
        "ICC2k": (0.071, 0.93),
        "ICC3k": (0.68, 0.99),
    }
    result = icc(SHROUT_FLEISS)
    for name, (low, high) in published.items():
        digits = 3 if abs(low) < 0.1 else 2
        assert round(result[name].ci_low, digits) == low, name
        assert round(result[name].ci_high, 2) == high, name
    assert result["ICC2"].pvalue == pytest.approx(stats.f.sf(result["ICC2"].f, 5, 15), abs=1e-15)


def test_icc2_interval_at_vanishing_degrees_of_freedom_is_its_limit() -> None:
    # Found by hypothesis: v ~ 0.00036, the F quantile overflows; pingouin reports nan for the lower bound.
    data = np.array([[-2.0, -1.6], [-0.4, -3.0], [0.4, -3.5]])
    result = icc(data)["ICC2"]
    n, k = 3, 2
    msr, msc, mse, _ = (float(x) for x in _exact_mean_squares(data * 10))
    msr, msc, mse = msr / 100, msc / 100, mse / 100
    assert result.ci_low == pytest.approx(-n * mse / (k * msc + (k * n - k - n) * mse), abs=1e-9)
    assert result.ci_high == pytest.approx(-0.4917425008426023, abs=1e-9)  # pingouin agrees on this bound


def test_icc_uses_complete_rows_only_and_says_how_many() -> None:
    data = np.vstack([SHROUT_FLEISS, [[3, NAN, 4, 5]]])
    result = icc(data)
    assert result["ICC1"].n_units == 6
    assert result["ICC3"].value == pytest.approx(icc(SHROUT_FLEISS)["ICC3"].value, abs=1e-12)


@PROPERTY
@given(n=st.integers(3, 30), k=st.integers(2, 6), seed=st.integers(0, 2**32 - 1))
def test_icc_matches_pingouin(n, k, seed) -> None:
    rng = np.random.default_rng(seed)
    data = np.round(rng.normal(size=(n, 1)) * 2 + rng.normal(size=(n, k)) + rng.normal(size=(1, k)), 1)
    try:
        ours = icc(data)
    except UndefinedStatistic:
        return
    long = [(i, j, data[i, j]) for i in range(n) for j in range(k)]
    frame = pd.DataFrame(long, columns=["unit", "rater", "score"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rounding = dict(pingouin.options)
        pingouin.options.update({"round": None, "round.column.CI95": None})  # full precision, CIs included
        try:
            theirs = pingouin.intraclass_corr(frame, targets="unit", raters="rater", ratings="score")
        finally:
            pingouin.options.update(rounding)
    for row, name in zip(
        theirs.itertuples(), ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"], strict=True
    ):
        result = ours[name]
        assert result.value == pytest.approx(row.ICC, abs=1e-9)
        assert result.f == pytest.approx(row.F, rel=1e-9)
        assert (result.df1, result.df2) == (row.df1, row.df2)
        assert result.pvalue == pytest.approx(row.pval, abs=1e-9)
        for ours_bound, theirs_bound in zip((result.ci_low, result.ci_high), row.CI95, strict=True):
            if np.isnan(theirs_bound):
                # pingouin gives up where Satterthwaite's df tends to 0; we return the bound's limit.
                assert name in ("ICC2", "ICC2k") and np.isfinite(ours_bound)
            else:
                assert ours_bound == pytest.approx(theirs_bound, abs=1e-9)


# ----------------------------------------------------------------------------------------- Fleiss' kappa

# The worked example of Fleiss' kappa (14 raters, 10 subjects, 5 categories), as counts per category.
FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def _ratings_from_counts(counts: list[list[int]]) -> np.ndarray:
    return np.array([[c + 1 for c, n in enumerate(row) for _ in range(n)] for row in counts], dtype=float)


def test_fleiss_kappa_worked_example() -> None:
    value = fleiss_kappa(_ratings_from_counts(FLEISS_COUNTS))
    r, n_units = 14, 10
    p_i = [Fraction(sum(c * c for c in row) - r, r * (r - 1)) for row in FLEISS_COUNTS]
    p_j = [Fraction(sum(row[j] for row in FLEISS_COUNTS), n_units * r) for j in range(5)]
    p_bar, p_e = sum(p_i) / n_units, sum(p * p for p in p_j)
    assert round(value, 3) == 0.210
    assert value == pytest.approx(float((p_bar - p_e) / (1 - p_e)), abs=1e-9)
    assert value == pytest.approx(sm_fleiss_kappa(np.array(FLEISS_COUNTS)), abs=1e-9)


@PROPERTY
@given(n=st.integers(2, 30), r=st.integers(2, 7), seed=st.integers(0, 2**32 - 1))
def test_fleiss_kappa_matches_statsmodels(n, r, seed) -> None:
    data = np.random.default_rng(seed).integers(1, 5, size=(n, r)).astype(float)
    try:
        ours = fleiss_kappa(data)
    except UndefinedStatistic:
        return
    table, _ = aggregate_raters(data.astype(int))
    assert ours == pytest.approx(sm_fleiss_kappa(table, method="fleiss"), abs=1e-9)


def test_fleiss_kappa_lets_raters_differ_but_not_rating_counts() -> None:
    data = _ratings_from_counts(FLEISS_COUNTS)[:, :3].copy()
    data[0, 2] = NAN
    with pytest.raises(UndefinedStatistic, match="same number of ratings"):
        fleiss_kappa(data)


# ------------------------------------------------------------------------------------------ Cohen's kappa


def test_cohen_kappa_textbook_example() -> None:
    # 50 grant proposals: both yes 20, A yes / B no 5, A no / B yes 10, both no 15 -> p_o 0.7, p_e 0.5, kappa 0.4.
    a = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-12)


def test_weighted_cohen_kappa_by_hand() -> None:
    # Three ordered categories; disagreement weights linear |i-j|/2, quadratic (|i-j|/2)^2.
    a = [0, 0, 1, 1, 2, 2, 0, 2]
    b = [0, 1, 1, 2, 2, 0, 0, 2]
    observed = np.zeros((3, 3))
    for i, j in zip(a, b, strict=True):
        observed[i, j] += 1 / 8
    expected = np.outer(observed.sum(1), observed.sum(0))
    for weights, w in (("linear", lambda d: d / 2), ("quadratic", lambda d: (d / 2) ** 2)):
        wm = np.array([[w(abs(i - j)) for j in range(3)] for i in range(3)])
        assert cohen_kappa(a, b, weights=weights) == pytest.approx(
            1 - (wm * observed).sum() / (wm * expected).sum(), abs=1e-12
        )


def test_cohen_kappa_declared_domain_matters_when_weighted() -> None:
    # Level 3 is never used: over the observed levels 1, 2, 4 are evenly spaced, over the scale they are not.
    a, b = [1, 2, 4, 4, 2], [1, 4, 4, 2, 2]
    observed = cohen_kappa(a, b, weights="quadratic")
    declared = cohen_kappa(a, b, weights="quadratic", values=[1, 2, 3, 4, 5])
    assert observed != pytest.approx(declared)
    assert declared == pytest.approx(
        cohen_kappa_score(a, b, weights="quadratic", labels=[1, 2, 3, 4, 5]), abs=1e-12
    )


@PROPERTY
@given(
    n=st.integers(2, 40),
    seed=st.integers(0, 2**32 - 1),
    weights=st.sampled_from([None, "linear", "quadratic"]),
)
def test_cohen_kappa_matches_scikit_learn(n, seed, weights) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 6, size=n).astype(float)
    b = np.clip(a + rng.integers(-1, 2, size=n), 1, 5)
    missing = rng.random(n) < 0.1
    a_with_gaps = np.where(missing, NAN, a)
    try:
        ours = cohen_kappa(a_with_gaps, b, weights=weights, values=[1, 2, 3, 4, 5])
    except UndefinedStatistic:
        return
    theirs = cohen_kappa_score(a[~missing], b[~missing], weights=weights, labels=[1, 2, 3, 4, 5])
    assert ours == pytest.approx(theirs, abs=1e-9)


# ------------------------------------------------------------------------------------------- Kendall's W


def test_kendall_w_worked_example() -> None:
    # Three judges rank four objects: rank sums 4, 6, 8, 12; S = 35; W = 12 S / (m^2 (n^3 - n)) = 420 / 540.
    ranks = np.array([[1, 2, 1], [2, 1, 3], [3, 3, 2], [4, 4, 4]], dtype=float)
    result = kendall_w(ranks)
    assert result.w == pytest.approx(7 / 9, abs=1e-12)
    assert result.chi2 == pytest.approx(7.0, abs=1e-12) and result.df == 3
    assert result.pvalue == pytest.approx(stats.chi2.sf(7.0, 3), abs=1e-12)


def test_kendall_w_tie_correction() -> None:
    # Judge 3 ties objects 1 and 2 (average rank 1.5): T = 2^3 - 2 = 6.
    scores = np.array([[1, 2, 1], [2, 1, 1], [3, 3, 2], [4, 4, 3]], dtype=float)
    ranks = stats.rankdata(scores, axis=0)
    sums = ranks.sum(axis=1)
    s = ((sums - sums.mean()) ** 2).sum()
    assert kendall_w(scores).w == pytest.approx(12 * s / (9 * 60 - 3 * 6), abs=1e-12)
    assert kendall_w(scores, correct_ties=False).w == pytest.approx(12 * s / (9 * 60), abs=1e-12)


@PROPERTY
@given(n=st.integers(3, 25), m=st.integers(3, 6), seed=st.integers(0, 2**32 - 1))  # pingouin needs 3 raters
def test_kendall_w_matches_pingouin_friedman(n, m, seed) -> None:
    data = np.random.default_rng(seed).integers(1, 6, size=(n, m)).astype(float)
    try:
        ours = kendall_w(data)
    except UndefinedStatistic:
        return
    frame = pd.DataFrame(data.T)  # pingouin: rows are raters (subjects), columns the ranked units
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pingouin.friedman(frame)
    assert ours.w == pytest.approx(float(theirs["W"].iloc[0]), abs=1e-9)
    assert ours.pvalue == pytest.approx(float(theirs["p_unc"].iloc[0]), abs=1e-9)


# ------------------------------------------------------------------------------------------- Gwet's AC


def test_gwet_ac_reproduces_irrcac_worked_example() -> None:
    # irrCAC's cac.raw4raters is the Krippendorff (2011) data; gwet.ac1.raw gives 0.7754 (AC1).
    assert round(gwet_ac(KRIPPENDORFF_2011), 4) == 0.7754
    assert gwet_ac(KRIPPENDORFF_2011) == pytest.approx(0.775444068127, abs=1e-9)
    assert gwet_ac(KRIPPENDORFF_2011, "linear") == pytest.approx(0.858739136433, abs=1e-9)
    assert gwet_ac(KRIPPENDORFF_2011, "quadratic") == pytest.approx(0.914000723552, abs=1e-9)
    assert gwet_ac(KRIPPENDORFF_2011, values=[1, 2, 3, 4, 5, 6]) == pytest.approx(0.785526781226, abs=1e-9)


def test_gwet_ac_matches_irrcac_on_stored_matrices() -> None:
    fixture = json.loads((FIXTURES / "gwet_irrcac.json").read_text())
    for case in fixture["cases"]:
        data = np.array([[NAN if v is None else v for v in row] for row in case["ratings"]], dtype=float)
        for weights, key in ((None, "identity"), ("linear", "linear"), ("quadratic", "quadratic")):
            assert gwet_ac(data, weights, case["values"]) == pytest.approx(case["ac"][key], abs=1e-9)


# ------------------------------------------------------------------------------------------- undefined


@pytest.mark.parametrize(
    "call, reason",
    [
        (lambda: krippendorff_alpha([[3, 3], [3, 3], [3, NAN]], "interval"), "no variation"),
        (lambda: krippendorff_alpha([[1, NAN], [NAN, 2]], "nominal"), "at least two pairable values"),
        (lambda: krippendorff_alpha(np.full((3, 2), NAN)), "no ratings"),
        (lambda: icc([[1, 2], [1, 2], [1, 2]]), "do not vary"),
        (lambda: icc([[1, 1], [2, 2], [3, 3]]), "agree perfectly"),
        (lambda: icc([[1, 2], [NAN, 3]]), "at least two units"),
        (lambda: fleiss_kappa([[1, 1], [1, 1]]), "same category"),
        (lambda: fleiss_kappa([[1, 2, 1], [1, 2, NAN]]), "same number of ratings"),
        (lambda: cohen_kappa([1, 1, 1], [1, 1, 1]), "single category"),
        (lambda: cohen_kappa([1, NAN], [NAN, 2]), "at least one unit"),
        (lambda: kendall_w([[1, 1], [1, 1], [1, 1]]), "same rating"),
        (lambda: gwet_ac([[1, 1], [1, 1]]), "at least two categories"),
        (lambda: bootstrap_alpha([[3, 3], [3, 3]]), "no variation"),
    ],
)
def test_undefined_statistics_raise_with_a_reason(call, reason) -> None:
    with pytest.raises(UndefinedStatistic, match=reason):
        call()
    assert issubclass(UndefinedStatistic, ValueError)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="level must be one of"):
        krippendorff_alpha(KRIPPENDORFF_2011, "cardinal")
    with pytest.raises(ValueError, match="2-D"):
        krippendorff_alpha([1, 2, 3])
    with pytest.raises(ValueError, match="weights must be"):
        cohen_kappa([1, 2], [2, 1], weights="cubic")
    with pytest.raises(ValueError, match="confidence"):
        icc(SHROUT_FLEISS, confidence=1.5)


# ------------------------------------------------------------------------------------------- bootstrap


def _panel_data(rng: np.random.Generator, n: int, raters: int, scale: int, missing: float) -> np.ndarray:
    truth = rng.integers(1, scale + 1, size=(n, 1))
    data = np.clip(truth + rng.integers(-1, 2, size=(n, raters)), 1, scale).astype(float)
    data[rng.random(data.shape) < missing] = NAN
    return data


def test_bootstrap_is_reproducible_and_brackets_alpha() -> None:
    data = _panel_data(np.random.default_rng(1), 300, 5, 5, 0.1)
    low, high = bootstrap_alpha(data, "ordinal", n_boot=500, seed=3, values=[1, 2, 3, 4, 5])
    assert (low, high) == bootstrap_alpha(data, "ordinal", n_boot=500, seed=3, values=[1, 2, 3, 4, 5])
    assert low < krippendorff_alpha(data, "ordinal", values=[1, 2, 3, 4, 5]) < high
    assert 0 < high - low < 0.2


def test_grouped_bootstrap_has_the_distribution_of_resampling_units() -> None:
    rng = np.random.default_rng(5)
    data = _panel_data(rng, 400, 4, 3, 0.1)
    low, high = bootstrap_alpha(data, "interval", n_boot=4000, seed=11)
    naive = []
    for _ in range(4000):
        sample = data[rng.integers(0, len(data), size=len(data))]
        naive.append(krippendorff_alpha(sample, "interval"))
    naive_low, naive_high = np.quantile(naive, [0.025, 0.975])
    assert low == pytest.approx(naive_low, abs=0.01)
    assert high == pytest.approx(naive_high, abs=0.01)


# --------------------------------------------------------------------------------------- rater severity


def _simulated_panels(seed: int, n_cases: int = 600, n_raters: int = 60, panel: int = 5):
    rng = np.random.default_rng(seed)
    quality = rng.normal(70, 10, size=n_cases)
    severity = rng.normal(0, 5, size=n_raters)
    severity -= severity.mean()
    case_ids, rater_ids, scores = [], [], []
    for case in range(n_cases):
        for rater in rng.choice(n_raters, size=panel, replace=False):
            case_ids.append(case)
            rater_ids.append(rater)
            scores.append(quality[case] + severity[rater] + rng.normal(0, 3))
    return np.array(case_ids), np.array(rater_ids), np.array(scores), quality, severity


def test_severity_model_recovers_known_severities_and_improves_case_ranking() -> None:
    case_ids, rater_ids, scores, quality, severity = _simulated_panels(42)
    result = rater_severity(case_ids, rater_ids, scores)
    assert result.n_components == 1
    assert np.corrcoef(result.severity, severity[result.raters])[0, 1] >= 0.95
    truth = quality[result.cases]
    raw = stats.spearmanr(result.raw_mean, truth).statistic
    adjusted = stats.spearmanr(result.adjusted, truth).statistic
    assert adjusted > raw
    assert np.abs(result.adjusted - truth).mean() < np.abs(result.raw_mean - truth).mean()
    assert result.sigma == pytest.approx(3, rel=0.15)
    # Standard errors are honest: most true severities lie within two of them.
    covered = np.abs(result.severity - severity[result.raters]) <= 2 * result.severity_se
    assert covered.mean() >= 0.85


def test_severity_warns_about_disconnected_groups() -> None:
    case_ids = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    rater_ids = np.array(["a", "b", "a", "b", "b", "a", "x", "y", "y", "x", "x", "y"])
    scores = np.array([70, 75, 60, 66, 80, 77, 50, 58, 62, 55, 90, 94], dtype=float)
    with pytest.warns(DisconnectedRatersWarning, match="2 disconnected groups"):
        result = rater_severity(case_ids, rater_ids, scores)
    assert result.n_components == 2
    for component in range(2):
        assert result.severity[result.rater_component == component].sum() == pytest.approx(0, abs=1e-9)


def test_severity_refuses_duplicate_scores() -> None:
    with pytest.raises(ValueError, match="same case twice"):
        rater_severity([1, 1, 2], ["a", "a", "b"], [1.0, 2.0, 3.0])


def test_alpha_on_a_single_unit_is_undefined_with_its_reason() -> None:
    with pytest.raises(UndefinedStatistic, match="one unit carries no information"):
        krippendorff_alpha([[1, 2, 3]], "interval")
    with pytest.raises(UndefinedStatistic, match="one unit carries no information"):
        bootstrap_alpha([[1, 2, 3], [4, NAN, NAN]], "interval")


def test_alpha_takes_labels_as_the_rubrics_nominal_answers_are() -> None:
    labels = [
        ["upheld", "upheld", "not_upheld"],
        ["partly_upheld", "partly_upheld", None],
        ["upheld", NAN, "upheld"],
    ]
    codes = {"upheld": 0.0, "partly_upheld": 1.0, "not_upheld": 2.0}
    numeric = [[codes.get(v, NAN) if isinstance(v, str) else NAN for v in row] for row in labels]
    domain = ["upheld", "partly_upheld", "not_upheld"]
    assert krippendorff_alpha(labels, "nominal", domain) == pytest.approx(
        krippendorff_alpha(numeric, "nominal", [0, 1, 2])
    )
    assert krippendorff_alpha(labels, "nominal") == pytest.approx(krippendorff_alpha(numeric, "nominal"))
    low, high = bootstrap_alpha(labels * 5, "ordinal", values=domain, n_boot=200)
    assert low <= high
    with pytest.raises(ValueError, match="outside the declared domain"):
        krippendorff_alpha(labels, "nominal", ["upheld"])
    with pytest.raises(ValueError, match="needs numeric ratings"):
        krippendorff_alpha(labels, "interval")
