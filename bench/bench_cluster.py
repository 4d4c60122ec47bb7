"""Bar: choosing k over k = 2..10 with bootstrap stability on 1 million customers in under 60 s,
peak memory under 4 GB (2-core machine).

The customers are drawn from four known behavioural types (features as
``crmlib.cluster.cluster_features`` builds them), so the answer can be checked as well as timed.
How the selection samples, and why that keeps the answer sound (see ``docs/cluster.md``):

- the reference fit for each k uses all customers (MiniBatchKMeans above 100,000 customers), and
  inertia, Calinski-Harabasz and Davies-Bouldin are computed on all customers;
- silhouette is O(n^2), so it is computed on a fixed-seed sample of 5,000 customers;
- stability refits k-means on 20 bootstrap resamples of a fixed-seed sample of 20,000 customers.

Reference runs in the same process check that the sampling kept the answer: full-batch KMeans
(Lloyd) on all 1M customers at the chosen k against the MiniBatchKMeans clusters (ARI), the
silhouette on a 4x larger sample, and the whole selection on a 100,000-customer subsample with
full-batch KMeans (below the MiniBatch threshold) and a 20,000-customer silhouette.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, measure, write_json  # noqa: E402

from crmlib import cluster  # noqa: E402

CUSTOMERS = 1_000_000
TRUE_K = 4
SETTINGS = {"k_min": 2, "k_max": 10, "stability_resamples": 20, "silhouette_sample": 5000,
            "random_state": 42}
TARGET_SECONDS = 60.0
TARGET_PEAK_MB = 4096.0


def synthetic_features(n: int = CUSTOMERS, seed: int = 11) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers of four types: loyal high spenders, regulars, lapsed one-timers, new one-timers."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(TRUE_K, size=n, p=[0.1, 0.25, 0.4, 0.25])
    #                         loyal    regular  lapsed   new
    frequency_mean = np.array([18.0, 5.0, 1.0, 1.0])[kind]
    spend_log = np.array([13.0, 12.3, 12.0, 11.6])[kind]
    recency_scale = np.array([12.0, 45.0, 0.0, 25.0])[kind]
    frequency = np.where(frequency_mean > 1, 1 + rng.poisson(frequency_mean - 1), 1)
    recency = np.where(kind == 2, rng.uniform(250, 720, n), rng.exponential(recency_scale))
    tenure = np.where(kind == 3, recency + rng.exponential(10, n),
                      np.where(kind == 2, recency, rng.uniform(200, 730, n)))
    tenure = np.maximum(tenure, recency)
    mean_spend = np.exp(rng.normal(spend_log, 0.35))
    regularity = np.where(frequency >= 3, rng.normal(np.array([1.6, 0.6, 0, 0])[kind], 0.5), 0.0)
    features = pd.DataFrame({
        "recency_days": np.floor(recency), "frequency": frequency.astype(float),
        "monetary_total": mean_spend * frequency, "monetary_mean": mean_spend,
        "tenure_days": np.floor(tenure), "n_categories": np.minimum(1 + rng.poisson(0.35 * frequency), 8),
        "purchase_regularity": regularity},
        index=pd.Index([f"C{i:07d}" for i in range(n)], name="customer_id"))
    return features, kind


def run_selection(n: int = CUSTOMERS) -> dict:
    """What the bar times: build the features, then choose k with every criterion."""
    features, _ = synthetic_features(n)
    selection = cluster.select_k(features, **SETTINGS)
    return {"k": selection.k, "algorithm": selection.algorithm,
            "table": selection.table.round(4).reset_index().to_dict(orient="records")}


def check_soundness(k: int) -> dict:
    """Reference runs: exact methods where the bar samples."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from threadpoolctl import threadpool_limits

    features, kind = synthetic_features()
    model = cluster.CustomerClusters(k=k, random_state=42).fit(features)
    X = model.transform(features).to_numpy()
    start = time.perf_counter()
    with threadpool_limits(limits=cluster.N_THREADS):
        lloyd = KMeans(n_clusters=k, n_init=3, random_state=42).fit(X)
    lloyd_seconds = time.perf_counter() - start
    labels = model.labels_.to_numpy()
    rng = np.random.default_rng(0)
    small, large = (rng.choice(len(X), size, replace=False) for size in (5_000, 20_000))
    with threadpool_limits(limits=cluster.N_THREADS):
        sil_small = silhouette_score(X[small], labels[small])
        sil_large = silhouette_score(X[large], labels[large])
    subsample = features.sample(100_000, random_state=1)
    exact = cluster.select_k(subsample, **{**SETTINGS, "silhouette_sample": 20_000})
    return {"algorithm_1m": model.algorithm_,
            "ari_minibatch_vs_lloyd_1m": round(adjusted_rand_score(lloyd.labels_, labels), 4),
            "ari_clusters_vs_true_types": round(adjusted_rand_score(kind, labels), 4),
            "lloyd_fit_seconds_1m": round(lloyd_seconds, 2),
            "silhouette_sample_5000": round(float(sil_small), 4),
            "silhouette_sample_20000": round(float(sil_large), 4),
            "k_full_batch_on_100k_subsample": exact.k}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the figures as JSON here")
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--skip-checks", action="store_true", help="time the bar only")
    args = parser.parse_args(argv)
    timed = measure(run_selection, args.customers)
    build = measure(synthetic_features, args.customers)     # reference: building the data alone
    value = timed["value"]
    bar = {"customers": args.customers, "k_range": [SETTINGS["k_min"], SETTINGS["k_max"]],
           "stability_resamples": SETTINGS["stability_resamples"],
           "silhouette_sample": SETTINGS["silhouette_sample"],
           "stability_sample": cluster.STABILITY_SAMPLE, "threads": cluster.N_THREADS,
           "seconds": timed["seconds"], "peak_mb": timed["peak_mb"],
           "seconds_building_features": build["seconds"],
           "seconds_selection_only": round(timed["seconds"] - build["seconds"], 3),
           "customers_per_second": round(args.customers / timed["seconds"]),
           "algorithm": value["algorithm"], "k_chosen": value["k"], "k_true": TRUE_K,
           "target_seconds": TARGET_SECONDS, "target_peak_mb": TARGET_PEAK_MB,
           "pass": timed["seconds"] < TARGET_SECONDS and timed["peak_mb"] < TARGET_PEAK_MB}
    results = {"machine": machine(), "bars": {"select_k_1m": bar}, "criteria": value["table"]}
    print(f"{'k':>3} {'inertia':>12} {'silhouette':>10} {'CH':>12} {'DB':>7} {'stability':>9}")
    for row in value["table"]:
        print(f"{row['k']:>3} {row['inertia']:>12.0f} {row['silhouette']:>10.3f} "
              f"{row['calinski_harabasz']:>12.0f} {row['davies_bouldin']:>7.3f} {row['stability_ari']:>9.3f}")
    print(f"select_k_1m: {bar['seconds']} s (features {bar['seconds_building_features']} s), "
          f"peak {bar['peak_mb']} MB, k = {bar['k_chosen']} (true {TRUE_K}) "
          f"{'PASS' if bar['pass'] else 'FAIL'}")
    if not args.skip_checks and args.customers == CUSTOMERS:
        checks = measure(check_soundness, value["k"])
        results["soundness"] = {**checks["value"], "seconds": checks["seconds"]}
        for key, item in results["soundness"].items():
            print(f"  {key:32s} {item}")
    write_json(args.out, results)
    return results


if __name__ == "__main__":
    main()
