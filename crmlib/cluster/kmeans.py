"""Behavioural customer clusters with k-means: features, an honest choice of k, personas.

The steps, each a function or a small estimator:

1. :func:`cluster_features` — one row per customer from the customer summary (recency,
   frequency, monetary, tenure, spend per purchase, category breadth) plus
   :func:`purchase_regularity` and optional customer attributes. Never the 1–5 RFM scores.
2. :func:`build_preprocessor` — skew handled with ``log1p`` and every feature standardised
   inside one scikit-learn pipeline, so the same transform scores new customers.
3. :func:`select_k` — inertia (elbow, :func:`knee_point`), silhouette, Calinski–Harabasz,
   Davies–Bouldin and bootstrap stability for each k; :func:`choose_k` is the ``k="auto"`` rule.
4. :class:`CustomerClusters` — the fitted pipeline (KMeans, or MiniBatchKMeans above a size
   threshold) with clusters numbered 1…k by mean monetary value, cluster 1 the most valuable.
5. :func:`cluster_profiles`, :func:`standardised_means`, :func:`personas` (the traits behind a
   persona's name and a 4R programme each), :func:`pca_map`.
6. :func:`compare_segments` — clusters against any segmentation (e.g. the RFM segments):
   cross-tab, adjusted Rand index and the facts on where they differ.

Everything here is canonical columns and plain numbers; :mod:`crmlib.present.cluster_text` words
them (persona names, 4R labels, programmes, sentences). The methods and the rule for
``k="auto"`` are described in ``docs/cluster.md``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.metrics import (adjusted_mutual_info_score, adjusted_rand_score,
                             calinski_harabasz_score, davies_bouldin_score, silhouette_score)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from crmlib.io import InputError

#: Behavioural features, in display order. All but ``purchase_regularity`` come from the
#: customer summary; all are right-skewed counts or amounts except regularity (a score near 0).
BEHAVIOUR_FEATURES = ("recency_days", "frequency", "monetary_total", "monetary_mean",
                      "tenure_days", "n_categories", "purchase_regularity")
#: Features transformed with ``log1p`` before scaling (skewed, non-negative).
LOG_FEATURES = ("recency_days", "frequency", "monetary_total", "monetary_mean", "tenure_days",
                "n_categories")
#: Purchase regularity needs at least this many gaps between purchase days (3 purchase days).
REGULARITY_MIN_GAPS = 2
#: Customer columns that may never be features (personal data, identifiers, bookkeeping).
PERSONAL_COLUMNS = ("customer_id", "name", "phone", "email", "line")
#: Above this many customers the pipeline uses MiniBatchKMeans (same API, fixed seed).
MINIBATCH_THRESHOLD = 100_000
#: Restarts of k-means++ (the best of them is kept); MiniBatchKMeans uses fewer, on larger batches.
KMEANS_N_INIT = 10
MINIBATCH_N_INIT = 3
MINIBATCH_BATCH_SIZE = 4096
#: Bootstrap stability is measured on at most this many customers (a fixed-seed sample).
STABILITY_SAMPLE = 20_000
#: k whose mean bootstrap ARI reaches this are "stable" candidates for ``k="auto"``.
STABILITY_THRESHOLD = 0.8
#: If no k reaches the threshold, candidates are those within this much of the most stable k.
STABILITY_TOLERANCE = 0.05
#: A cluster's standardised mean above +0.5 SD is "high", below -0.5 SD "low" (persona names).
PERSONA_LEVEL_SD = 0.5
#: Threads for k-means and distance computations. One thread: the fits are small and many, and
#: on a shared machine OpenMP threads waiting for a busy core slow k-means down a hundredfold.
N_THREADS = 1
#: Default inactivity window for personas: no purchase for 90 days (DOMAIN: typically 3 months).
INACTIVE_DAYS = 90
#: The most split segment's parts: the clusters holding at least this share of its customers.
SPLIT_PART_MIN_SHARE = 0.1


# ----------------------------------------------------------------------------- features

def purchase_regularity(transactions: pd.DataFrame, as_of_date=None) -> pd.Series:
    """Evidence that a customer buys on a steady rhythm: ``(1 - CV) * sqrt(gaps)``.

    CV is the coefficient of variation (sample standard deviation / mean) of the days between
    consecutive purchase days (days with a positive net amount, up to ``as_of_date``, as in
    :func:`crmlib.summary.customer_summary`) and ``gaps`` their number. Random (Poisson) timing
    has CV about 1, so the score stays near 0 (SD under 1) however many purchases there are; a
    steady rhythm (CV well below 1) grows with every purchase that confirms it (monthly buyers
    with CV 1/3 score about 2 after ten gaps); bursts and long pauses score below 0.
    Customers with fewer than ``REGULARITY_MIN_GAPS`` gaps score 0 (no evidence either way):
    the raw CV of one or two gaps is mostly noise. Indexed by ``customer_id``.
    """
    _require_columns(transactions, ("customer_id", "date", "amount"), "transactions")
    as_of = (transactions["date"].max() if as_of_date in (None, "") else pd.Timestamp(as_of_date))
    up_to = transactions["date"] < as_of.normalize() + pd.Timedelta(days=1)
    tx = transactions.loc[up_to, ["customer_id", "date", "amount"]]  # the columns it needs, not every text column
    daily = (tx.assign(day=tx["date"].dt.normalize())
             .groupby(["customer_id", "day"], sort=True)["amount"].sum().reset_index())
    daily = daily[daily["amount"] > 0]
    gaps = daily.groupby("customer_id", sort=True)["day"].diff().dt.days.dropna()
    by_customer = gaps.groupby(daily.loc[gaps.index, "customer_id"])
    mean, std, count = by_customer.mean(), by_customer.std(ddof=1), by_customer.size()
    score = ((1.0 - std / mean) * np.sqrt(count)).where(count >= REGULARITY_MIN_GAPS)
    customers = pd.Index(sorted(daily["customer_id"].unique()), name="customer_id")
    return score.reindex(customers).fillna(0.0).rename("purchase_regularity")


def cluster_features(summary: pd.DataFrame, transactions: pd.DataFrame | None = None,
                     customers: pd.DataFrame | None = None, extra_features=(),
                     as_of_date=None) -> pd.DataFrame:
    """The clustering features, one row per customer, indexed by ``customer_id``.

    Behaviour from ``summary`` (:func:`crmlib.summary.customer_summary`): recency, frequency,
    total and per-purchase spend (net; a net-negative total counts as 0), tenure and category
    breadth; with ``transactions``, :func:`purchase_regularity`. ``extra_features`` names columns
    of ``customers`` to add: numbers as they are, dates as years before ``as_of_date``
    (``age`` is derived from ``birth_date``), text as categories (one-hot encoded by the
    pipeline). A feature that is missing for everyone is left out.
    """
    _require_columns(summary, ("customer_id", "recency_days", "frequency", "monetary_total",
                               "monetary_mean", "tenure_days"), "customer summary")
    if summary.empty:
        raise InputError("the customer summary is empty: no customer has a purchase up to the "
                         "as-of date. Check `as_of_date` and the transactions file.")
    features = summary.set_index("customer_id")[[c for c in BEHAVIOUR_FEATURES if c in summary]]
    features = features.astype(float)
    for column in ("monetary_total", "monetary_mean"):
        features[column] = features[column].clip(lower=0.0)
    if transactions is not None:
        features["purchase_regularity"] = purchase_regularity(transactions, as_of_date) \
            .reindex(features.index)
    extra = list(extra_features or ())
    if extra:
        features = features.join(_customer_attributes(customers, extra, summary, as_of_date))
    empty = [c for c in features if features[c].isna().all()]
    return features.drop(columns=empty)


def _customer_attributes(customers: pd.DataFrame | None, names: list[str], summary: pd.DataFrame,
                         as_of_date) -> pd.DataFrame:
    if customers is None or len(customers) == 0:
        raise InputError(f"extra_features {names} need a customers file, but none was given "
                         "(parameter `customers`). Give one, or set extra_features = [].")
    available = set(customers.columns) | ({"age"} if "birth_date" in customers else set())
    personal = [n for n in names if n in PERSONAL_COLUMNS]
    if personal:
        raise InputError(f"extra_features {personal}: names and contact details are personal data, "
                         "not behaviour, and cannot be clustering features. Remove them from "
                         "`extra_features`.")
    missing = [n for n in names if n not in available]
    if missing:
        raise InputError(f"extra_features {missing} not found in the customers table; its columns "
                         f"are: {', '.join(map(str, customers.columns))} (and `age` when "
                         "`birth_date` is present). Fix the parameter `extra_features`.")
    if "customer_id" not in customers:
        raise InputError("the customers table has no customer_id column; map it with "
                         "`customer_columns`.")
    table = customers.drop_duplicates("customer_id").set_index("customer_id")
    as_of = pd.Timestamp(as_of_date) if as_of_date not in (None, "") else \
        pd.Timestamp(summary["last_purchase"].max())
    out = pd.DataFrame(index=table.index)
    for name in names:
        column = table["birth_date"] if name == "age" else table[name]
        if name == "age" or pd.api.types.is_datetime64_any_dtype(column):
            out[name] = (as_of - pd.to_datetime(column, errors="coerce")).dt.days / 365.25
        elif pd.api.types.is_numeric_dtype(column):
            out[name] = column.astype(float)
        else:
            numbers = pd.to_numeric(column, errors="coerce")
            numeric = numbers.notna().sum() >= 0.9 * column.notna().sum() and numbers.notna().any()
            text = column.map(lambda v: np.nan if pd.isna(v) else str(v)).astype(object)
            out[name] = numbers.astype(float) if numeric else text
    return out


def _require_columns(frame: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise InputError(f"the {what} lacks column(s) {missing}; it has {list(frame.columns)}.")


# ----------------------------------------------------------------------------- pipeline

def build_preprocessor(features: pd.DataFrame) -> ColumnTransformer:
    """Impute, ``log1p`` the skewed behaviour columns, standardise numbers, one-hot text.

    Missing numbers (e.g. the age of a customer without a birth date) are imputed with the
    column median, missing text with ``"unknown"``.
    """
    text = [c for c in features if not pd.api.types.is_numeric_dtype(features[c])]
    logged = [c for c in features if c in LOG_FEATURES and c not in text]
    plain = [c for c in features if c not in logged and c not in text]
    parts = []
    if logged:
        parts.append(("log", Pipeline([
            ("impute", SimpleImputer(strategy="median")),
            ("log1p", FunctionTransformer(np.log1p, feature_names_out="one-to-one")),
            ("scale", StandardScaler())]), logged))
    if plain:
        parts.append(("num", Pipeline([("impute", SimpleImputer(strategy="median")),
                                       ("scale", StandardScaler())]), plain))
    if text:
        parts.append(("cat", Pipeline([
            ("impute", SimpleImputer(strategy="constant", fill_value="unknown")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]), text))
    return ColumnTransformer(parts, verbose_feature_names_out=False)


def make_kmeans(k: int, n_samples: int, random_state: int = 42,
                minibatch_threshold: int = MINIBATCH_THRESHOLD):
    """KMeans, or MiniBatchKMeans when ``n_samples`` exceeds ``minibatch_threshold``; fixed seed."""
    if n_samples > minibatch_threshold:
        return MiniBatchKMeans(n_clusters=k, n_init=MINIBATCH_N_INIT, batch_size=MINIBATCH_BATCH_SIZE,
                               random_state=random_state)
    return KMeans(n_clusters=k, n_init=KMEANS_N_INIT, random_state=random_state)


def _check_k(k, n_samples: int, name: str = "k") -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise InputError(f"{name} must be a whole number of at least 2 (or \"auto\" for k), not {k!r}.")
    if k >= n_samples:
        raise InputError(f"{name} = {k} needs more than {k} customers, but there are {n_samples}; "
                         f"lower `{name}`.")
    return int(k)


class CustomerClusters:
    """k-means on the customer features, with clusters numbered 1…k by mean ``order_by``.

    ``fit(features)`` builds and fits ``pipeline_`` (preprocessor + KMeans, or MiniBatchKMeans
    above ``minibatch_threshold`` customers) and reorders the centres so that cluster 1 has the
    highest mean ``order_by`` (monetary value; cluster size when the column is absent).
    ``predict`` assigns new customers with the same transform and centres.

    >>> model = CustomerClusters(k=4).fit(features)
    >>> model.labels_          # Series of 1…4 indexed by customer_id
    >>> model.predict(new_features)
    """

    def __init__(self, k: int = 4, random_state: int = 42,
                 minibatch_threshold: int = MINIBATCH_THRESHOLD, order_by: str = "monetary_total"):
        self.k = k
        self.random_state = random_state
        self.minibatch_threshold = minibatch_threshold
        self.order_by = order_by

    def fit(self, features: pd.DataFrame) -> "CustomerClusters":
        k = _check_k(self.k, len(features))
        self.feature_names_in_ = list(features.columns)
        self.pipeline_ = Pipeline([
            ("features", build_preprocessor(features)),
            ("kmeans", make_kmeans(k, len(features), self.random_state, self.minibatch_threshold))])
        with threadpool_limits(limits=N_THREADS):
            raw = self.pipeline_.fit_predict(features)
        if self.order_by in features:
            value = pd.Series(features[self.order_by].to_numpy(), index=raw).groupby(level=0).mean()
        else:
            value = pd.Series(raw).value_counts()
        value = value.reindex(range(k), fill_value=-np.inf)
        order = np.argsort(-value.to_numpy(), kind="stable")
        kmeans = self.pipeline_.named_steps["kmeans"]
        kmeans.cluster_centers_ = kmeans.cluster_centers_[order]
        self.algorithm_ = type(kmeans).__name__
        self.labels_ = self.predict(features)
        self.inertia_ = float(kmeans.inertia_)
        return self

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Cluster 1…k of each customer (index kept)."""
        with threadpool_limits(limits=N_THREADS):
            labels_ = self.pipeline_.predict(features[self.feature_names_in_]) + 1
        return pd.Series(labels_, index=features.index, name="cluster")

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        """The standardised features the clusters are computed on."""
        pre = self.pipeline_.named_steps["features"]
        return pd.DataFrame(pre.transform(features[self.feature_names_in_]), index=features.index,
                            columns=pre.get_feature_names_out())

    @property
    def centers_(self) -> pd.DataFrame:
        """Cluster centres in the standardised feature space (rows 1…k)."""
        pre = self.pipeline_.named_steps["features"]
        centres = self.pipeline_.named_steps["kmeans"].cluster_centers_
        return pd.DataFrame(centres, index=pd.RangeIndex(1, len(centres) + 1, name="cluster"),
                            columns=pre.get_feature_names_out())

    def save(self, path: str | Path) -> Path:
        """Save the fitted model with joblib (load with :func:`load_model`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path)
        return path


def load_model(path: str | Path) -> CustomerClusters:
    """A model saved by :meth:`CustomerClusters.save`."""
    return joblib.load(Path(path))


# ----------------------------------------------------------------------------- choosing k

@dataclass
class KSelection:
    """The criteria for each k and the k chosen.

    ``table`` (index k): inertia, silhouette, calinski_harabasz, davies_bouldin, stability_ari
    (mean adjusted Rand index between the full-data clusters and each bootstrap resample's
    clusters) and stability_ari_sd. ``rule`` is ``"auto"`` or ``"fixed"``.
    """

    table: pd.DataFrame
    k: int
    rule: str
    knee: int | None
    candidates: list[int]
    n_customers: int
    silhouette_n: int
    stability_n: int
    stability_resamples: int
    algorithm: str
    mean_ranks: pd.Series = field(default_factory=pd.Series)

    def to_results(self) -> dict:
        """``{k: {inertia, silhouette, calinski_harabasz, davies_bouldin, stability_ari}}``."""
        columns = ["inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "stability_ari"]
        return {str(k): {c: float(row[c]) for c in columns} for k, row in self.table.iterrows()}


def knee_point(ks, inertia) -> int | None:
    """The elbow of a decreasing inertia curve (Kneedle, Satopää et al. 2011).

    Both axes are scaled to 0–1 and the curve flipped to rise; the knee is the k where the curve
    lies farthest above the straight line from its first to its last point. None with fewer
    than three points or a flat curve.
    """
    ks = np.asarray(ks, dtype=float)
    y = np.asarray(inertia, dtype=float)
    if len(ks) < 3 or np.ptp(y) == 0 or np.ptp(ks) == 0:
        return None
    x_norm = (ks - ks.min()) / np.ptp(ks)
    rise = (y.max() - y) / np.ptp(y)
    return int(ks[int(np.argmax(rise - x_norm))])


def select_k(features: pd.DataFrame, k="auto", k_min: int = 2, k_max: int = 10,
             random_state: int = 42, stability_resamples: int = 20, silhouette_sample: int = 5000,
             stability_sample: int = STABILITY_SAMPLE,
             minibatch_threshold: int = MINIBATCH_THRESHOLD) -> KSelection:
    """Compute every criterion for k = ``k_min``…``k_max`` and choose k.

    Per k, a reference model is fitted on all customers (MiniBatchKMeans above
    ``minibatch_threshold``), giving inertia, Calinski–Harabasz and Davies–Bouldin on all
    customers, silhouette on a fixed-seed sample of ``silhouette_sample`` customers (exact when
    there are fewer). Stability: ``stability_resamples`` bootstrap resamples of a fixed-seed
    sample of at most ``stability_sample`` customers; each resample is clustered afresh and its
    centres label the sample; the ARI against the reference labels is averaged. ``k="auto"``
    applies :func:`choose_k`; a whole number fixes k (and is added to the range if outside it).
    """
    n = len(features)
    k_min, k_max = _check_k(k_min, n, "k_min"), _check_k(k_max, n, "k_max")
    if k_max < k_min:
        raise InputError(f"k_max ({k_max}) is smaller than k_min ({k_min}); widen the range.")
    if k != "auto":
        k = _check_k(k, n)
    if stability_resamples < 1 or silhouette_sample < 2 * k_max:
        raise InputError("stability_resamples must be at least 1 and silhouette_sample at least "
                         f"2 × k_max = {2 * k_max} (parameters `stability_resamples`, "
                         "`silhouette_sample`).")
    ks = sorted(set(range(k_min, k_max + 1)) | ({k} if k != "auto" else set()))
    X = build_preprocessor(features).fit_transform(features)
    rng = np.random.default_rng(random_state)
    sil_idx = np.sort(rng.choice(n, silhouette_sample, replace=False)) if n > silhouette_sample \
        else np.arange(n)
    stab_idx = np.sort(rng.choice(n, stability_sample, replace=False)) if n > stability_sample \
        else np.arange(n)
    boots = [rng.multinomial(len(stab_idx), np.full(len(stab_idx), 1 / len(stab_idx)))
             for _ in range(stability_resamples)]

    with threadpool_limits(limits=N_THREADS):
        rows = [_criteria(X, kk, sil_idx, stab_idx, boots, random_state, minibatch_threshold)
                for kk in ks]
    table = pd.DataFrame(rows).set_index("k")
    algorithm = type(make_kmeans(2, n, random_state, minibatch_threshold)).__name__
    in_range = table.loc[k_min:k_max]
    knee = knee_point(in_range.index, in_range["inertia"])
    chosen, candidates, ranks = choose_k(in_range, knee)
    return KSelection(table=table, k=chosen if k == "auto" else k, rule="auto" if k == "auto" else "fixed",
                      knee=knee, candidates=candidates, n_customers=n, silhouette_n=len(sil_idx),
                      stability_n=len(stab_idx), stability_resamples=stability_resamples,
                      algorithm=algorithm, mean_ranks=ranks)


def _criteria(X: np.ndarray, k: int, sil_idx: np.ndarray, stab_idx: np.ndarray, boots: list,
              random_state: int, minibatch_threshold: int) -> dict:
    """Every criterion for one k (see :func:`select_k`)."""
    reference = make_kmeans(k, len(X), random_state, minibatch_threshold).fit(X)
    labels_ = reference.predict(X) if isinstance(reference, MiniBatchKMeans) else reference.labels_
    silhouette = silhouette_score(X[sil_idx], labels_[sil_idx])
    X_stab, reference_stab = X[stab_idx], labels_[stab_idx]
    aris = []
    for b, weights in enumerate(boots):
        keep = weights > 0
        resample = make_kmeans(k, int(keep.sum()), random_state + 1 + b, minibatch_threshold)
        resample.fit(X_stab[keep], sample_weight=weights[keep])
        aris.append(adjusted_rand_score(reference_stab, resample.predict(X_stab)))
    return {"k": k, "inertia": float(reference.inertia_), "silhouette": float(silhouette),
            "calinski_harabasz": float(calinski_harabasz_score(X, labels_)),
            "davies_bouldin": float(davies_bouldin_score(X, labels_)),
            "stability_ari": float(np.mean(aris)), "stability_ari_sd": float(np.std(aris))}


def choose_k(table: pd.DataFrame, knee: int | None = None,
             stability_threshold: float = STABILITY_THRESHOLD) -> tuple[int, list[int], pd.Series]:
    """The ``k="auto"`` rule: stable first, then the best average rank of the other criteria.

    1. Candidates: k with mean bootstrap ARI ≥ ``stability_threshold``; if none, the k within
       ``STABILITY_TOLERANCE`` of the most stable k.
    2. Among candidates, rank silhouette (higher is better), Calinski–Harabasz (higher),
       Davies–Bouldin (lower) and distance from the inertia knee (smaller; left out when there
       is no knee); the lowest mean rank wins, ties go to the smaller k.

    Returns (k, candidates, mean rank per candidate).
    """
    stable = table.index[table["stability_ari"] >= stability_threshold]
    if len(stable) == 0:
        best = table["stability_ari"].max()
        stable = table.index[table["stability_ari"] >= best - STABILITY_TOLERANCE]
    rows = table.loc[stable]
    ranks = pd.DataFrame({
        "silhouette": rows["silhouette"].rank(ascending=False, method="min"),
        "calinski_harabasz": rows["calinski_harabasz"].rank(ascending=False, method="min"),
        "davies_bouldin": rows["davies_bouldin"].rank(ascending=True, method="min"),
    })
    if knee is not None:
        ranks["elbow"] = pd.Series(np.abs(rows.index - knee), index=rows.index).rank(method="min")
    mean_rank = ranks.mean(axis=1)
    chosen = int(mean_rank[mean_rank == mean_rank.min()].index.min())
    return chosen, [int(k) for k in stable], mean_rank


# ----------------------------------------------------------------------------- profiles

def cluster_profiles(features: pd.DataFrame, clusters: pd.Series,
                     revenue: pd.Series | None = None) -> pd.DataFrame:
    """Per cluster: customers, share of customers, revenue, share of revenue, median of each feature.

    ``revenue`` (per customer, e.g. the summary's net ``monetary_total``) defaults to the
    ``monetary_total`` feature.
    """
    revenue = features["monetary_total"] if revenue is None else revenue.reindex(features.index)
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(features[c])]
    grouped = features[numeric].groupby(clusters.reindex(features.index).rename("cluster"))
    out = pd.DataFrame({"customers": grouped.size()})
    out["customer_share"] = out["customers"] / out["customers"].sum()
    out["revenue"] = revenue.groupby(clusters.reindex(features.index)).sum()
    out["revenue_share"] = out["revenue"] / revenue.sum()
    medians = grouped.median().add_prefix("median_")
    return out.join(medians).sort_index()


def standardised_means(model: CustomerClusters, features: pd.DataFrame) -> pd.DataFrame:
    """Mean of each standardised feature per cluster (0 = the customer base's average; in SD)."""
    scaled = model.transform(features)
    return scaled.groupby(model.predict(features)).mean().sort_index()


def distinctive_features(means: pd.DataFrame, cluster: int, n: int = 2) -> list[str]:
    """The ``n`` features on which ``cluster``'s standardised mean is farthest from 0."""
    return list(means.loc[cluster].abs().sort_values(ascending=False, kind="stable").index[:n])


def pca_map(model: CustomerClusters, features: pd.DataFrame,
            random_state: int = 42) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers on the first two principal components of the standardised features.

    Returns (frame with pc1, pc2, cluster; explained variance ratio of the two components).
    """
    scaled = model.transform(features)
    pca = PCA(n_components=2, random_state=random_state).fit(scaled)
    coords = pca.transform(scaled)
    frame = pd.DataFrame({"pc1": coords[:, 0], "pc2": coords[:, 1],
                          "cluster": model.predict(features)}, index=features.index)
    return frame, pca.explained_variance_ratio_


# ----------------------------------------------------------------------------- personas

#: Secondary traits that tell apart clusters sharing a name: feature → (trait if high, if low).
SECONDARY_TRAITS = {
    "tenure_days": ("long_standing", "new"),
    "monetary_mean": ("big_baskets", "small_baskets"),
    "n_categories": ("broad", "narrow"),
    "purchase_regularity": ("regular", "irregular"),
    "recency_days": ("long_ago", "recent"),
}
#: The traits a persona's name is made of (:func:`persona_traits`).
NAME_TRAITS = ["status", "frequency", "spend"]


def persona_traits(profile: pd.DataFrame, means: pd.DataFrame,
                   inactive_days: int = INACTIVE_DAYS) -> pd.DataFrame:
    """Spend level, frequency level and status per cluster, from its profile.

    - spend: ``high`` / ``low`` when the standardised mean of total spend is above +0.5 / below
      -0.5 SD, else ``mid``;
    - frequency: ``one_time`` when the median customer bought on one day only, ``frequent`` when
      the standardised mean frequency is above +0.5 SD, else ``occasional``;
    - status: ``lapsed`` when the median recency exceeds ``inactive_days``, else ``active``.
    """
    level = PERSONA_LEVEL_SD
    spend = np.where(means["monetary_total"] > level, "high",
                     np.where(means["monetary_total"] < -level, "low", "mid"))
    frequency = np.where(profile["median_frequency"] <= 1, "one_time",
                         np.where(means["frequency"] > level, "frequent", "occasional"))
    status = np.where(profile["median_recency_days"] > inactive_days, "lapsed", "active")
    return pd.DataFrame({"spend": spend, "frequency": frequency, "status": status},
                        index=profile.index)


def programme(traits: pd.Series) -> tuple[str, str]:
    """The 4R (Relationship, Retention, Referral, Recovery) and programme key for one cluster.

    Lapsed and valuable → Recovery (``winback``, weighed against their value); lapsed otherwise
    → Recovery at low cost (``reactivate``); active, frequent and high-spending → Referral
    (``vip_referral``); active one-time buyers → Relationship (``second_purchase``); active high
    spenders → Retention with an upgrade offer (``upgrade``); everyone else → Retention
    (``loyalty``: loyalty reward, cross-sell).
    """
    valuable = traits["spend"] == "high" or traits["frequency"] == "frequent"
    if traits["status"] == "lapsed":
        return ("Recovery", "winback") if valuable else ("Recovery", "reactivate")
    if traits["frequency"] == "frequent" and traits["spend"] == "high":
        return "Referral", "vip_referral"
    if traits["frequency"] == "one_time":
        return "Relationship", "second_purchase"
    if traits["spend"] == "high":
        return "Retention", "upgrade"
    return "Retention", "loyalty"


def personas(profile: pd.DataFrame, means: pd.DataFrame, *,
             inactive_days: int = INACTIVE_DAYS) -> pd.DataFrame:
    """What each cluster's persona is made of: its traits, 4R and programme key.

    Columns (index cluster): r (the 4R: Relationship, Retention, Referral or Recovery),
    programme_key (:func:`programme`), spend, frequency, status (:func:`persona_traits`) and
    trait: for clusters that share status, frequency and spend with another, the secondary trait
    on which they differ most from those namesakes (:data:`SECONDARY_TRAITS`), else empty.
    :func:`crmlib.present.cluster_text.named_personas` words them.
    """
    traits = persona_traits(profile, means, inactive_days)
    chosen = {c: programme(row) for c, row in traits.iterrows()}
    out = pd.DataFrame({"r": {c: r for c, (r, _) in chosen.items()},
                        "programme_key": {c: key for c, (_, key) in chosen.items()}})
    out.index.name = "cluster"
    out = out.join(traits).sort_index()
    out["trait"] = distinguishing_traits(out, means)
    return out


def distinguishing_traits(traits: pd.DataFrame, means: pd.DataFrame) -> pd.Series:
    """Per cluster, the secondary trait setting it apart from clusters with the same name traits.

    Within each group of clusters sharing status, frequency and spend, a cluster gets the
    secondary feature on which its standardised mean lies farthest from the group's mean, as the
    high or low trait of :data:`SECONDARY_TRAITS`. Empty for a cluster alone in its group (or
    when no secondary feature was clustered).
    """
    chosen = pd.Series("", index=traits.index, dtype=object, name="trait")
    secondary = [c for c in SECONDARY_TRAITS if c in means]
    if not secondary:
        return chosen
    for _name, group in traits.groupby(NAME_TRAITS, sort=False):
        if len(group) < 2:
            continue
        block = means.loc[group.index, secondary]
        deviation = block - block.mean()
        for cluster in group.index:
            feature = deviation.loc[cluster].abs().idxmax()
            high, low = SECONDARY_TRAITS[feature]
            chosen[cluster] = high if deviation.loc[cluster, feature] > 0 else low
    return chosen


# ----------------------------------------------------------------------------- against segments

@dataclass
class SegmentAgreement:
    """Clusters against another segmentation: counts, row shares, ARI, AMI and where they differ.

    ``dominant`` (index cluster): each cluster's most common segment and its share of the
    cluster. ``most_split`` is the segment spread most evenly across clusters (the lowest largest
    share in any one cluster); ``split_parts`` the share of its customers in each cluster holding
    at least :data:`SPLIT_PART_MIN_SHARE` of them, largest first.
    """

    crosstab: pd.DataFrame
    shares: pd.DataFrame
    ari: float
    ami: float
    n_customers: int
    dominant: pd.DataFrame
    most_split: object
    split_parts: pd.Series


def compare_segments(clusters: pd.Series, segments: pd.Series, *, order=None) -> SegmentAgreement:
    """Cross-tab clusters (rows) × segments (columns) with the adjusted Rand index.

    Both Series are indexed by customer_id; customers in both are compared. ARI is 1 for the
    same partition and about 0 for agreement no better than chance; AMI (adjusted mutual
    information) is given alongside. The agreement also holds which segment dominates each
    cluster and which segment is split most across clusters. ``order`` lists the segments in
    display order (segments without customers are left out).
    """
    joined = pd.concat({"cluster": clusters, "segment": segments}, axis=1, join="inner").dropna()
    if joined.empty:
        raise InputError("no customer is in both the clusters and the segments: the two must be "
                         "indexed by the same customer_id.")
    crosstab = pd.crosstab(joined["cluster"], joined["segment"]).sort_index()
    if order is not None:
        listed = [s for s in order if s in crosstab.columns]
        crosstab = crosstab[listed + sorted(c for c in crosstab.columns if c not in listed)]
    shares = crosstab.div(crosstab.sum(axis=1), axis=0)
    ari = float(adjusted_rand_score(joined["cluster"], joined["segment"]))
    ami = float(adjusted_mutual_info_score(joined["cluster"], joined["segment"]))
    dominant = pd.DataFrame({"segment": shares.idxmax(axis=1), "share": shares.max(axis=1)})
    spread = crosstab.div(crosstab.sum(axis=0), axis=1)
    split = spread.max(axis=0).idxmin()
    parts = spread[split][spread[split] >= SPLIT_PART_MIN_SHARE].sort_values(ascending=False)
    return SegmentAgreement(crosstab=crosstab, shares=shares, ari=ari, ami=ami, n_customers=len(joined),
                            dominant=dominant, most_split=split, split_parts=parts)


# ----------------------------------------------------------------------------- exports
# ``persona_frame`` is the named one (:func:`crmlib.present.cluster_text.named_personas`):
# the exports carry the report's persona names as they are.

def cluster_table(profile: pd.DataFrame, persona_frame: pd.DataFrame) -> pd.DataFrame:
    """The export ``cluster_profiles.csv``: persona, 4R, programme, size, revenue and medians."""
    return persona_frame[["persona", "r", "r_label", "programme"]].join(profile).reset_index()


def cluster_assignments(clusters: pd.Series, persona_frame: pd.DataFrame) -> pd.DataFrame:
    """The export ``clusters.csv``: customer_id, cluster, persona (sorted by customer_id)."""
    frame = clusters.rename("cluster").rename_axis("customer_id").reset_index()
    frame["persona"] = frame["cluster"].map(persona_frame["persona"])
    return frame.sort_values("customer_id", kind="stable").reset_index(drop=True)


def cluster_results(selection: KSelection, profile: pd.DataFrame, persona_frame: pd.DataFrame,
                    agreement: SegmentAgreement | None = None) -> dict:
    """The headline figures for ``results.json`` (keys described in ``docs/cluster.md``)."""
    return {
        "k": selection.k,
        "k_rule": selection.rule,
        "k_knee": selection.knee,
        "k_candidates": selection.candidates,
        "k_selection": selection.to_results(),
        "stability_threshold": STABILITY_THRESHOLD,
        "algorithm": selection.algorithm,
        "n_customers": selection.n_customers,
        "clusters": {str(c): {"persona": persona_frame.loc[c, "persona"],
                              "r": persona_frame.loc[c, "r"],
                              "customers": int(profile.loc[c, "customers"]),
                              "revenue_share": float(profile.loc[c, "revenue_share"])}
                     for c in profile.index},
        "rfm_agreement_ari": None if agreement is None else agreement.ari,
        "rfm_agreement_ami": None if agreement is None else agreement.ami,
    }
