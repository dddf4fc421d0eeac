"""Benchmark evaluation.agreement against its peers, in one run, timing the calls themselves.

    make bench-agreement        (or: .venv/bin/python bench/agreement.py [--quick])

`make bench-agreement` unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for this command alone: this machine sets
them for old OpenBLAS builds, and they slow a current numpy's BLAS calls several times. The kernel in use is
printed first.

Peers: ``krippendorff.alpha`` (Krippendorff's alpha) and ``pingouin.intraclass_corr`` (ICC). Peak memory is
what ``tracemalloc`` sees allocated during the call (numpy reports its buffers to it). Goals (issue 7):
alpha at most 0.3x the peer's time and 0.25x its peak memory; ICC at least 1,000x faster than pingouin; the
bootstrap at most 0.2 s on 100,000 x 7 (5-point) and 10 s on 1,000,000 x 9 (11-point).
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from evaluation.agreement import bootstrap_alpha, icc, krippendorff_alpha


def ratings(n_units: int, n_raters: int, points: int, missing: float, seed: int) -> np.ndarray:
    """Panel-like data: each unit has a true level, raters scatter around it, some ratings are missing."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, points, size=(n_units, 1))
    data = np.clip(truth + np.rint(rng.normal(0, 1.2, size=(n_units, n_raters))), 0, points - 1)
    data[rng.random(data.shape) < missing] = np.nan
    return data


def measure(call: Callable[[], Any], repeat: int = 1) -> tuple[float, int, Any]:
    """Best wall time over ``repeat`` runs, and the peak traced memory of one run."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak, result


def line(name: str, ours: float, peer: float | None = None, unit: str = "s", goal: str = "") -> None:
    if peer is None:
        print(f"  {name:<44} {ours:10.3f} {unit}   {goal}")
    else:
        print(f"  {name:<44} {ours:10.3f} {unit} vs {peer:10.3f} {unit}  ratio {ours / peer:7.4f}x   {goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, for a smoke run")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    from importlib.metadata import version

    import krippendorff
    import pandas as pd
    import pingouin
    from threadpoolctl import threadpool_info

    blas = ", ".join(
        f"{i.get('internal_api')} {i.get('architecture')} x{i.get('num_threads')}"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    )
    print(
        f"numpy {np.__version__} ({blas}), krippendorff {version('krippendorff')}, pingouin {pingouin.__version__}"
    )

    big = ratings(1_000_000 // scale, 9, 11, 0.10, seed=1)
    domain = list(range(11))
    print(f"\nKrippendorff's alpha, {big.shape[0]:,} units x 9 raters, 11-point scale, 10% missing")
    for level in ("interval", "ordinal"):
        t_ours, m_ours, a_ours = measure(
            lambda lv=level: krippendorff_alpha(big, lv, values=domain), repeat=3
        )
        t_peer, m_peer, a_peer = measure(
            lambda lv=level: krippendorff.alpha(big.T, level_of_measurement=lv, value_domain=domain)
        )
        print(f"  {level}: alpha ours {a_ours:.12f}  peer {a_peer:.12f}  |diff| {abs(a_ours - a_peer):.1e}")
        line(f"{level} time", t_ours, t_peer, goal="goal <= 0.3x")
        line(f"{level} peak memory (MB)", m_ours / 2**20, m_peer / 2**20, unit="MB", goal="goal <= 0.25x")

    mid = ratings(100_000 // scale, 7, 7, 0.0, seed=2).astype(float) + np.random.default_rng(3).normal(
        0, 0.5, size=(100_000 // scale, 7)
    )
    print(f"\nICC (all six forms with F-tests and intervals), {mid.shape[0]:,} units x 7 raters")
    t_ours, _, ours = measure(lambda: icc(mid), repeat=5)
    frame = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(mid.shape[0]), 7),
            "rater": np.tile(np.arange(7), mid.shape[0]),
            "score": mid.ravel(),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        peer = pingouin.intraclass_corr(frame, targets="unit", raters="rater", ratings="score")
        t_peer = time.perf_counter() - start
    print(f"  ICC2 ours {ours['ICC2'].value:.10f}  pingouin {float(peer['ICC'].iloc[1]):.10f}")
    line("icc time", t_ours, t_peer, goal=f"speed-up {t_peer / t_ours:,.0f}x, goal >= 1,000x")

    print("\nbootstrap_alpha, 1,000 replicates (interval)")
    five = ratings(100_000 // scale, 7, 5, 0.10, seed=4)
    t_small, _, ci_small = measure(lambda: bootstrap_alpha(five, "interval", n_boot=1000, values=range(5)), 3)
    line(
        f"{five.shape[0]:,} x 7, 5-point  -> ({ci_small[0]:.4f}, {ci_small[1]:.4f})",
        t_small,
        goal="goal <= 0.2 s",
    )
    t_big, _, ci_big = measure(lambda: bootstrap_alpha(big, "interval", n_boot=1000, values=domain))
    line(f"{big.shape[0]:,} x 9, 11-point -> ({ci_big[0]:.4f}, {ci_big[1]:.4f})", t_big, goal="goal <= 10 s")
    t_ord, _, _ = measure(lambda: bootstrap_alpha(big, "ordinal", n_boot=1000, values=domain))
    line(
        f"{big.shape[0]:,} x 9, 11-point, ordinal",
        t_ord,
        goal="(no goal; the ordinal metric moves with the sample)",
    )


if __name__ == "__main__":
    main()
