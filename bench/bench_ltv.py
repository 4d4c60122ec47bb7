"""Benchmark of the lifetime-value models against the lifetimes package (reference only).

Simulates a customer base with continuous times (all rows distinct), then times:

- BG/NBD fit: crmlib vs lifetimes' BetaGeoFitter on the same rows, with both estimates;
- Pareto/NBD fit: crmlib vs lifetimes' ParetoNBDFitter (on all rows, or with ``--quick`` on a
  random subsample, the ratio then taken per customer);
- Gamma-Gamma fit, and predictions for every customer: P(alive), expected purchases in the
  next 52 weeks, 12-month CLV with Gamma-Gamma spend.

Ratios are against the reference run in the same process; both run with single-threaded
BLAS. Peak memory: tracemalloc peak of a repeated crmlib run, and the process's max RSS.
Usage: python bench/bench_ltv.py [--n 1000000] [--quick] [--out bench/results/ltv.json]
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crmlib.ltv._fit import single_threaded_blas  # noqa: E402
from crmlib.ltv.bgnbd import BetaGeoModel  # noqa: E402
from crmlib.ltv.gamma_gamma import GammaGammaModel  # noqa: E402
from crmlib.ltv.pareto_nbd import ParetoNBDModel  # noqa: E402
from crmlib.ltv.predict import customer_lifetime_value  # noqa: E402
from crmlib.ltv.simulate import simulate_bgnbd, simulate_gamma_gamma, simulate_pareto_nbd  # noqa: E402

BGNBD_TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO_TRUE = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.67}
#: Parameter regimes (weeks): CDNOW's published fits (occasional buyers, strong drop-out), and a base of
#: frequent, loyal buyers (about 2 purchases a week on average, 100+ repeats common, little drop-out).
REGIMES = {
    "cdnow": (BGNBD_TRUE, PARETO_TRUE),
    "heavy": ({"r": 4.0, "alpha": 2.0, "a": 0.4, "b": 40.0}, {"r": 4.0, "alpha": 2.0, "s": 0.5, "beta": 150.0}),
}
GG_TRUE = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def traced_peak_mb(function) -> float:
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def same_to_4_significant(ours: dict, reference: dict) -> bool:
    return all(f"{ours[k]:.4g}" == f"{reference[k]:.4g}" for k in ours)


def max_relative_difference(ours: dict, reference: dict) -> float:
    return max(abs(ours[k] - reference[k]) / abs(reference[k]) for k in ours)


def load_lifetimes():
    """lifetimes 0.11.3, with the numpy aliases it may need under numpy 2."""
    for alias, value in (("float", float), ("int", int), ("bool", bool)):
        if alias not in np.__dict__:
            setattr(np, alias, value)
    warnings.filterwarnings("ignore", module="lifetimes")
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    try:
        import lifetimes
    except ImportError:
        return None
    return lifetimes


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="customers simulated")
    parser.add_argument("--quick", action="store_true",
                        help="run lifetimes' Pareto/NBD on a 100k subsample (ratio per customer)")
    parser.add_argument("--quick-rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--regime", choices=sorted(REGIMES), default="cdnow",
                        help="true parameters of the simulated base (see REGIMES)")
    args = parser.parse_args(argv)

    lifetimes = load_lifetimes()
    rng = np.random.default_rng(args.seed)
    n = args.n
    T = rng.uniform(20.0, 80.0, n)  # weeks, continuous
    results: dict = {"customers": n, "python": platform.python_version(),
                     "numpy": np.__version__, "lifetimes": getattr(lifetimes, "__version__", None),
                     "quick": args.quick, "regime": args.regime}
    bgnbd_true, pareto_true = REGIMES[args.regime]

    # -- BG/NBD ------------------------------------------------------------------
    bg_data = simulate_bgnbd(n, bgnbd_true, T, seed=args.seed + 1)
    x, t_x, T_ = (bg_data[c].to_numpy() for c in ("frequency", "recency", "T"))
    results["duplicated_rows"] = int(bg_data.duplicated().sum())
    bg, t_bg = timed(lambda: BetaGeoModel().fit(x, t_x, T_))
    results["bgnbd"] = {"seconds": t_bg, "params": bg.params_, "loglik": bg.loglik_,
                        "peak_traced_mb": traced_peak_mb(lambda: BetaGeoModel().fit(x, t_x, T_))}
    if lifetimes is not None:
        with single_threaded_blas():
            ref, t_ref = timed(lambda: lifetimes.BetaGeoFitter().fit(x, t_x, T_))
        ref_params = {k: float(v) for k, v in ref.params_.items()}
        results["bgnbd"].update({
            "lifetimes_seconds": t_ref, "lifetimes_params": ref_params,
            "speedup": t_ref / t_bg,
            "max_relative_param_difference": max_relative_difference(bg.params_, ref_params),
            "same_params_4_significant": same_to_4_significant(bg.params_, ref_params)})

    # -- Pareto/NBD --------------------------------------------------------------
    pn_data = simulate_pareto_nbd(n, pareto_true, T, seed=args.seed + 2)
    px, pt_x, pT = (pn_data[c].to_numpy() for c in ("frequency", "recency", "T"))
    pn, t_pn = timed(lambda: ParetoNBDModel().fit(px, pt_x, pT))
    results["pareto_nbd"] = {"seconds": t_pn, "params": pn.params_, "loglik": pn.loglik_,
                             "se": pn.se_,
                             "peak_traced_mb": traced_peak_mb(lambda: ParetoNBDModel().fit(px, pt_x, pT))}
    if lifetimes is not None:
        rows = (np.sort(rng.choice(n, size=min(args.quick_rows, n), replace=False))
                if args.quick else np.arange(n))
        with single_threaded_blas():
            ref, t_ref = timed(lambda: lifetimes.ParetoNBDFitter().fit(px[rows], pt_x[rows], pT[rows]))
        ref_params = {k: float(v) for k, v in ref.params_.items()}
        if args.quick:  # our fit on the very same rows, for the parameter comparison
            ours_same, _ = timed(lambda: ParetoNBDModel().fit(px[rows], pt_x[rows], pT[rows]))
        else:
            ours_same = pn
        per_customer_ref = t_ref / rows.size
        results["pareto_nbd"].update({
            "lifetimes_rows": int(rows.size), "lifetimes_seconds": t_ref,
            "lifetimes_params": ref_params, "params_same_rows": ours_same.params_,
            "loglik_same_rows": ours_same.loglik_,
            # the reference's estimates scored with our likelihood, on the same rows
            "loglik_at_lifetimes_params": ParetoNBDModel().with_params(list(ref_params.values()))
            .log_likelihood(px[rows], pt_x[rows], pT[rows]),
            "speedup": per_customer_ref / (t_pn / n),
            "max_relative_param_difference": max_relative_difference(ours_same.params_, ref_params)})

    # -- Gamma-Gamma and predictions ---------------------------------------------------
    spend = simulate_gamma_gamma(x, GG_TRUE, seed=args.seed + 3)
    gg, t_gg = timed(lambda: GammaGammaModel().fit(x, spend))
    results["gamma_gamma"] = {"seconds": t_gg, "params": gg.params_, "customers": gg.n_customers_}

    def predictions(model):
        timings = {}
        _, timings["probability_alive"] = timed(lambda: model.probability_alive(x, t_x, T_))
        _, timings["expected_purchases_52w"] = timed(
            lambda: model.conditional_expected_purchases(52.0, x, t_x, T_))
        _, timings["clv_12_months"] = timed(lambda: customer_lifetime_value(
            model, gg, x, t_x, T_, spend, horizon=12, period="M", annual_discount_rate=0.10))
        timings["total"] = sum(timings.values())
        return timings

    results["predictions_bgnbd"] = predictions(bg)
    results["predictions_pareto_nbd"] = predictions(pn)
    results["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print_table(results)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=float))
        print(f"written {args.out}")
    return results


def print_table(results: dict) -> None:
    n = results["customers"]
    rows = [("customers (distinct rows)", f"{n:,} ({results['duplicated_rows']} duplicated)")]
    for key, label in (("bgnbd", "BG/NBD"), ("pareto_nbd", "Pareto/NBD")):
        part = results[key]
        rows.append((f"{label} fit, crmlib", f"{part['seconds']:.2f} s, peak {part['peak_traced_mb']:.0f} MB"))
        rows.append((f"{label} estimates", ", ".join(f"{k}={v:.4g}" for k, v in part["params"].items())))
        if "lifetimes_seconds" in part:
            on = part.get("lifetimes_rows", n)
            rows.append((f"{label} fit, lifetimes", f"{part['lifetimes_seconds']:.2f} s on {on:,} rows"))
            rows.append((f"{label} lifetimes estimates",
                         ", ".join(f"{k}={v:.4g}" for k, v in part["lifetimes_params"].items())))
            rows.append((f"{label} speed-up (per customer)", f"{part['speedup']:.1f}x"))
            rows.append((f"{label} max rel. param difference", f"{part['max_relative_param_difference']:.2e}"))
            if "loglik_same_rows" in part:
                rows.append((f"{label} loglik crmlib vs lifetimes (same rows)",
                             f"{part['loglik_same_rows']:.2f} vs {part['loglik_at_lifetimes_params']:.2f}"))
    rows.append(("Gamma-Gamma fit", f"{results['gamma_gamma']['seconds']:.2f} s"))
    for key, label in (("predictions_bgnbd", "BG/NBD"), ("predictions_pareto_nbd", "Pareto/NBD")):
        p = results[key]
        rows.append((f"{label} predictions, {n:,} customers",
                     f"{p['total']:.2f} s (P(alive) {p['probability_alive']:.2f}, "
                     f"E[Y(52w)] {p['expected_purchases_52w']:.2f}, CLV 12m {p['clv_12_months']:.2f})"))
    rows.append(("process max RSS", f"{results['max_rss_mb']:.0f} MB"))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
