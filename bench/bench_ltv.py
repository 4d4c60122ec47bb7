"""Benchmark of the lifetime-value models against lifetimes and PyMC-Marketing (references only).

Simulates a customer base with continuous times (all rows distinct) in one of two parameter
regimes (``--regime``: CDNOW's published fits, or ``heavy``: frequent, loyal buyers, 100+ repeat
purchases common), then times:

- BG/NBD fit: crmlib vs lifetimes' BetaGeoFitter on the same rows, with both estimates;
- Pareto/NBD fit: crmlib vs lifetimes' ParetoNBDFitter (on all rows, or with ``--quick`` on a
  random subsample, the ratio then taken per customer);
- PyMC-Marketing's MAP fits (``pymc_marketing.clv`` BetaGeoModel and ParetoNBDModel,
  ``method="map"``, its default priors) on stated random subsamples (``--pymc-rows``,
  ``--pymc-pareto-rows``), ratio per customer, with our fit on the very same rows for the
  estimates; optional: without pymc-marketing the results say "not installed";
- Gamma-Gamma fit, and predictions for every customer: P(alive), expected purchases in the
  next 52 weeks, 12-month CLV with Gamma-Gamma spend.

Our fits run first with the package's own time budget (``MAX_SECONDS`` CPU seconds, as a user
gets them); a fit that stops on it is recorded as such and fitted again under this benchmark's
stated limit (``--fit-limit``), so every figure is bounded in time. Ratios are CPU seconds of
the process (the machine is shared and busy: wall time mostly measures the neighbours), against
the reference run in the same process; all run with single-threaded BLAS. PyMC-Marketing's C
compilation runs in child processes (g++): their CPU is recorded apart, not in the ratio.
Peak memory: tracemalloc peak of a repeated crmlib run, and the process's max RSS.
Usage: python bench/bench_ltv.py [--n 1000000] [--regime cdnow|heavy] [--quick] [--out FILE]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import platform
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine  # noqa: E402
from crmlib.ltv._fit import MAX_SECONDS, ModelIdentificationError, single_threaded_blas  # noqa: E402
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
#: Customers' observation lengths T (weeks), uniform.
T_RANGE = (20.0, 80.0)


def timed(function):
    """Result, wall seconds and CPU seconds of this process (all its threads)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - start, time.process_time() - cpu


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def traced_peak_mb(function) -> float | None:
    tracemalloc.start()
    try:
        function()
    except ModelIdentificationError:
        return None
    finally:
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


def load_pymc_marketing():
    """(module pymc_marketing.clv, version) or (None, why not)."""
    try:
        import pymc_marketing
        from pymc_marketing import clv
    except ImportError:
        return None, "not installed"
    except Exception as error:  # installed but unusable here (e.g. no compiler for PyTensor)
        return None, f"not usable here: {type(error).__name__}: {error}"
    for name in ("pymc", "pytensor", "pymc_marketing"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="pymc")
    warnings.filterwarnings("ignore", module="pymc_marketing")
    warnings.filterwarnings("ignore", module="pytensor")
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    return clv, pymc_marketing.__version__


def fit_ours(model_class, x, t_x, T, fit_limit: float) -> tuple[object, dict]:
    """Our fit with the package's own time budget; if it stops on it, again under ``fit_limit``.

    Returns the fitted model (None if both stop) and what happened: seconds, CPU seconds and,
    for a fit stopped by its budget, the error, with the figures of the bounded second fit.
    """
    record: dict = {"budget_seconds": MAX_SECONDS}
    start, cpu = time.perf_counter(), time.process_time()
    try:
        model = model_class().fit(x, t_x, T)
        record.update(seconds=time.perf_counter() - start, cpu_seconds=time.process_time() - cpu,
                      within_budget=True)
        return model, record
    except ModelIdentificationError as error:
        record.update(within_budget=False, budget_error=str(error),
                      budget_attempt_seconds=time.perf_counter() - start,
                      budget_attempt_cpu_seconds=time.process_time() - cpu)
    print(f"  {model_class.__name__} stopped on its {MAX_SECONDS:g} CPU-second budget; again with {fit_limit:g} CPU seconds",
          flush=True)
    start, cpu = time.perf_counter(), time.process_time()
    try:
        model = model_class(max_seconds=fit_limit).fit(x, t_x, T)
    except ModelIdentificationError as error:
        model = None
        record["error"] = str(error)
    record.update(seconds=time.perf_counter() - start, cpu_seconds=time.process_time() - cpu,
                  limit_seconds=fit_limit)
    return model, record


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="customers simulated")
    parser.add_argument("--quick", action="store_true",
                        help="run lifetimes' Pareto/NBD on a random subsample (ratio per customer)")
    parser.add_argument("--quick-rows", type=int, default=100_000)
    parser.add_argument("--pymc-rows", type=int, default=100_000,
                        help="random subsample for PyMC-Marketing's BG/NBD MAP fit (0: skip)")
    parser.add_argument("--pymc-pareto-rows", type=int, default=20_000,
                        help="random subsample for PyMC-Marketing's Pareto/NBD MAP fit (0: skip)")
    parser.add_argument("--fit-limit", type=float, default=600.0,
                        help="wall seconds allowed to one of our fits that stopped on the package's budget")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--regime", choices=sorted(REGIMES), default="cdnow",
                        help="true parameters of the simulated base (see REGIMES)")
    args = parser.parse_args(argv)

    lifetimes = load_lifetimes()
    clv, pymc_version = load_pymc_marketing()
    rng = np.random.default_rng(args.seed)
    n = args.n
    T = rng.uniform(*T_RANGE, n)  # weeks, continuous
    bgnbd_true, pareto_true = REGIMES[args.regime]
    results: dict = {"benchmark": "ltv", "date": dt.date.today().isoformat(), "machine": machine(),
                     "customers": n, "python": platform.python_version(),
                     "numpy": np.__version__, "lifetimes": getattr(lifetimes, "__version__", None),
                     "pymc_marketing": pymc_version if clv is not None else None,
                     "quick": args.quick, "regime": args.regime,
                     "true_params": {"bgnbd": bgnbd_true, "pareto_nbd": pareto_true, "T_weeks": list(T_RANGE)},
                     "ratio_basis": "CPU seconds of the process, per customer where the reference ran on a "
                                    "subsample", "not_measured": []}
    if lifetimes is None:
        results["not_measured"].append("lifetimes: not installed")
    if clv is None:
        results["not_measured"].append(f"PyMC-Marketing: {pymc_version}")

    def describe(data_x, label: str, true: dict) -> str:
        heavy = float(np.mean(data_x >= 100))
        return (f"{n:,} simulated distinct customers, {args.regime} regime ({label} true "
                + ", ".join(f"{k}={v:g}" for k, v in true.items())
                + f"; T {T_RANGE[0]:g}-{T_RANGE[1]:g} weeks, continuous times; mean {data_x.mean():.1f} repeats, "
                  f"{heavy:.1%} with 100+, max {int(data_x.max())})")

    def subsample(size: int) -> np.ndarray:
        return np.sort(rng.choice(n, size=min(size, n), replace=False))

    # -- BG/NBD ------------------------------------------------------------------
    print("BG/NBD", flush=True)
    bg_data = simulate_bgnbd(n, bgnbd_true, T, seed=args.seed + 1)
    x, t_x, T_ = (bg_data[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    results["duplicated_rows"] = int(bg_data.duplicated().sum())
    bg, record = fit_ours(BetaGeoModel, x, t_x, T_, args.fit_limit)
    base_data = {"bgnbd": describe(x, "BG/NBD", bgnbd_true)}
    results["bgnbd"] = {"data": base_data["bgnbd"], **record,
                        "params": getattr(bg, "params_", None), "loglik": getattr(bg, "loglik_", None),
                        "peak_traced_mb": traced_peak_mb(lambda: BetaGeoModel(max_seconds=args.fit_limit)
                                                         .fit(x, t_x, T_))}
    if lifetimes is not None and bg is not None:
        print("BG/NBD, lifetimes", flush=True)
        with single_threaded_blas():
            ref, t_ref, c_ref = timed(lambda: lifetimes.BetaGeoFitter().fit(x, t_x, T_))
        ref_params = {k: float(v) for k, v in ref.params_.items()}
        results["bgnbd"].update({
            "lifetimes_seconds": t_ref, "lifetimes_cpu_seconds": c_ref, "lifetimes_params": ref_params,
            "speedup": c_ref / record["cpu_seconds"], "speedup_wall": t_ref / record["seconds"],
            "max_relative_param_difference": max_relative_difference(bg.params_, ref_params),
            "same_params_4_significant": same_to_4_significant(bg.params_, ref_params)})

    # -- Pareto/NBD --------------------------------------------------------------
    print("Pareto/NBD", flush=True)
    pn_data = simulate_pareto_nbd(n, pareto_true, T, seed=args.seed + 2)
    px, pt_x, pT = (pn_data[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    pn, record = fit_ours(ParetoNBDModel, px, pt_x, pT, args.fit_limit)
    base_data["pareto_nbd"] = describe(px, "Pareto/NBD", pareto_true)
    results["pareto_nbd"] = {"data": base_data["pareto_nbd"], **record,
                             "params": getattr(pn, "params_", None), "loglik": getattr(pn, "loglik_", None),
                             "se": getattr(pn, "se_", None),
                             "peak_traced_mb": traced_peak_mb(lambda: ParetoNBDModel(max_seconds=args.fit_limit)
                                                              .fit(px, pt_x, pT))}
    if lifetimes is not None and pn is not None:
        rows = subsample(args.quick_rows) if args.quick else np.arange(n)
        print(f"Pareto/NBD, lifetimes on {rows.size:,} customers", flush=True)
        with single_threaded_blas():
            ref, t_ref, c_ref = timed(lambda: lifetimes.ParetoNBDFitter().fit(px[rows], pt_x[rows], pT[rows]))
        ref_params = {k: float(v) for k, v in ref.params_.items()}
        if args.quick:  # our fit on the very same rows, for the parameter comparison
            ours_same, same_record = fit_ours(ParetoNBDModel, px[rows], pt_x[rows], pT[rows], args.fit_limit)
        else:
            ours_same, same_record = pn, record
        results["pareto_nbd"].update({
            "data": results["pareto_nbd"]["data"]
            + (f"; lifetimes on a random subsample of {rows.size:,}, ratio per customer" if args.quick else ""),
            "lifetimes_rows": int(rows.size), "lifetimes_seconds": t_ref, "lifetimes_cpu_seconds": c_ref,
            "lifetimes_params": ref_params,
            "speedup": (c_ref / rows.size) / (record["cpu_seconds"] / n),
            "speedup_wall": (t_ref / rows.size) / (record["seconds"] / n)})
        if ours_same is not None:
            results["pareto_nbd"].update({
                "params_same_rows": ours_same.params_, "loglik_same_rows": ours_same.loglik_,
                "seconds_same_rows": same_record["seconds"], "cpu_seconds_same_rows": same_record["cpu_seconds"],
                # the reference's estimates scored with our likelihood, on the same rows
                "loglik_at_lifetimes_params": ParetoNBDModel().with_params(list(ref_params.values()))
                .log_likelihood(px[rows], pt_x[rows], pT[rows]),
                "max_relative_param_difference": max_relative_difference(ours_same.params_, ref_params)})

    # -- PyMC-Marketing (MAP) ----------------------------------------------------
    for key, model_class, ours_full, data, size in (
            ("bgnbd", BetaGeoModel, bg, (x, t_x, T_), args.pymc_rows),
            ("pareto_nbd", ParetoNBDModel, pn, (px, pt_x, pT), args.pymc_pareto_rows)):
        if clv is None or ours_full is None or size <= 0:
            results[key]["pymc_marketing"] = pymc_version if clv is None else "not measured"
            continue
        rows = subsample(size)
        print(f"{key}, PyMC-Marketing MAP on {rows.size:,} customers", flush=True)
        results[key]["pymc_marketing"] = compare_pymc(
            clv, key, model_class, *data, rows, results[key], n, args.fit_limit,
            base_data[key])

    # -- Gamma-Gamma and predictions ---------------------------------------------------
    spend = simulate_gamma_gamma(x.astype(int), GG_TRUE, seed=args.seed + 3)
    gg, t_gg, c_gg = timed(lambda: GammaGammaModel().fit(x, spend))
    results["gamma_gamma"] = {"seconds": t_gg, "cpu_seconds": c_gg, "params": gg.params_,
                              "customers": gg.n_customers_}

    def predictions(model):
        timings = {}
        _, timings["probability_alive"], _ = timed(lambda: model.probability_alive(x, t_x, T_))
        _, timings["expected_purchases_52w"], _ = timed(
            lambda: model.conditional_expected_purchases(52.0, x, t_x, T_))
        _, timings["clv_12_months"], _ = timed(lambda: customer_lifetime_value(
            model, gg, x, t_x, T_, spend, horizon=12, period="M", annual_discount_rate=0.10))
        timings["total"] = sum(timings.values())
        return timings

    if bg is not None:
        results["predictions_bgnbd"] = predictions(bg)
    if pn is not None:
        results["predictions_pareto_nbd"] = predictions(pn)
    results["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not results["not_measured"]:
        del results["not_measured"]
    print_table(results)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=float), encoding="utf-8")
        print(f"written {args.out}")
    return results


def compare_pymc(clv, key, model_class, x, t_x, T, rows, ours: dict, n: int, fit_limit: float,
                 data_label: str) -> dict:
    """PyMC-Marketing's MAP fit on ``rows`` (its default priors), ours on the same rows, and the
    per-customer CPU ratio against our fit on all ``n`` rows."""
    import pandas as pd
    frame = pd.DataFrame({"customer_id": np.arange(rows.size), "frequency": x[rows],
                          "recency": t_x[rows], "T": T[rows]})
    pymc_class = clv.BetaGeoModel if key == "bgnbd" else clv.ParetoNBDModel
    names = ("r", "alpha", "a", "b") if key == "bgnbd" else ("r", "alpha", "s", "beta")
    compile_before = children_cpu()
    try:
        with single_threaded_blas():
            ref, wall, cpu = timed(lambda: _pymc_map(pymc_class, frame))
    except Exception as error:  # a failure of the reference is a figure, not a crash of the benchmark
        return {"error": f"{type(error).__name__}: {error}"[:500]}
    posterior = ref.idata.posterior
    ref_params = {name: float(posterior[name].values.ravel()[0]) for name in names}
    same, same_record = fit_ours(model_class, x[rows], t_x[rows], T[rows], fit_limit)
    out = {"data": f"{data_label}; PyMC-Marketing on a random subsample of {rows.size:,}, ratio per customer",
           "seconds": ours["seconds"], "cpu_seconds": ours["cpu_seconds"],
           "pymc_rows": int(rows.size), "pymc_seconds": wall, "pymc_cpu_seconds": cpu,
           "pymc_compile_cpu_seconds": children_cpu() - compile_before,
           "pymc_params": ref_params,
           "speedup": (cpu / rows.size) / (ours["cpu_seconds"] / n),
           "speedup_wall": (wall / rows.size) / (ours["seconds"] / n)}
    if same is not None:
        out.update({"params_same_rows": same.params_, "loglik_same_rows": same.loglik_,
                    "cpu_seconds_same_rows": same_record["cpu_seconds"],
                    "loglik_at_pymc_params": model_class().with_params([ref_params[k] for k in names])
                    .log_likelihood(x[rows], t_x[rows], T[rows]),
                    "max_relative_param_difference": max_relative_difference(same.params_, ref_params)})
    return out


def _pymc_map(pymc_class, frame):
    model = pymc_class()
    model.fit(frame, method="map", progressbar=False)
    return model


def print_table(results: dict) -> None:
    n = results["customers"]
    rows = [("customers (distinct rows)", f"{n:,} ({results['duplicated_rows']} duplicated), "
                                          f"{results['regime']} regime")]
    for key, label in (("bgnbd", "BG/NBD"), ("pareto_nbd", "Pareto/NBD")):
        part = results[key]
        peak = part["peak_traced_mb"]
        rows.append((f"{label} fit, crmlib", f"{part['seconds']:.2f} s (CPU {part['cpu_seconds']:.2f} s)"
                     + ("" if part["within_budget"] else f", NOT within the {part['budget_seconds']:g} s budget")
                     + ("" if peak is None else f", peak {peak:.0f} MB")))
        if part["params"] is not None:
            rows.append((f"{label} estimates", ", ".join(f"{k}={v:.4g}" for k, v in part["params"].items())))
        if "lifetimes_seconds" in part:
            on = part.get("lifetimes_rows", n)
            rows.append((f"{label} fit, lifetimes", f"{part['lifetimes_seconds']:.2f} s "
                                                    f"(CPU {part['lifetimes_cpu_seconds']:.2f} s) on {on:,} rows"))
            rows.append((f"{label} lifetimes estimates",
                         ", ".join(f"{k}={v:.4g}" for k, v in part["lifetimes_params"].items())))
            rows.append((f"{label} speed-up (CPU, per customer)", f"{part['speedup']:.1f}x"))
            if "params_same_rows" in part and on != n:
                rows.append((f"{label} crmlib estimates on lifetimes' rows",
                             ", ".join(f"{k}={v:.4g}" for k, v in part["params_same_rows"].items())))
            if "max_relative_param_difference" in part:
                rows.append((f"{label} max rel. param difference", f"{part['max_relative_param_difference']:.2e}"))
            if "loglik_same_rows" in part:
                rows.append((f"{label} loglik crmlib vs lifetimes (same rows)",
                             f"{part['loglik_same_rows']:.2f} vs {part['loglik_at_lifetimes_params']:.2f}"))
        pymc = part.get("pymc_marketing")
        if isinstance(pymc, dict) and "pymc_seconds" in pymc:
            rows.append((f"{label} fit, PyMC-Marketing MAP",
                         f"{pymc['pymc_seconds']:.2f} s (CPU {pymc['pymc_cpu_seconds']:.2f} s, compiler "
                         f"{pymc['pymc_compile_cpu_seconds']:.1f} s) on {pymc['pymc_rows']:,} rows"))
            rows.append((f"{label} PyMC-Marketing estimates",
                         ", ".join(f"{k}={v:.4g}" for k, v in pymc["pymc_params"].items())))
            if "params_same_rows" in pymc:
                rows.append((f"{label} crmlib estimates on PyMC's rows",
                             ", ".join(f"{k}={v:.4g}" for k, v in pymc["params_same_rows"].items())))
                rows.append((f"{label} loglik crmlib vs PyMC-Marketing (same rows)",
                             f"{pymc['loglik_same_rows']:.2f} vs {pymc['loglik_at_pymc_params']:.2f}"))
            rows.append((f"{label} speed-up vs PyMC (CPU, per customer)", f"{pymc['speedup']:.1f}x"))
        elif pymc is not None:
            rows.append((f"{label} PyMC-Marketing", str(pymc)))
    rows.append(("Gamma-Gamma fit", f"{results['gamma_gamma']['seconds']:.2f} s"))
    for key, label in (("predictions_bgnbd", "BG/NBD"), ("predictions_pareto_nbd", "Pareto/NBD")):
        if key not in results:
            continue
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
