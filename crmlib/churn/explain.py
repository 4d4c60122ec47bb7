"""Why a customer is at risk: global permutation importance and per-customer reason codes.

Reason codes are model-based: for each group of related features the customer's values are
replaced by a typical customer's (the training median, or the most common level) and the drop
in predicted churn probability is that group's contribution. The groups with the largest
contributions are the customer's reasons; :mod:`crmlib.present.churn_text` words them with the
customer's own figures ("current gap 3.1× the usual 40 days").
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.utils import check_random_state

from crmlib.churn.backtest import model_threads

#: Related features explained together, in display order.
REASON_GROUPS = {
    "recency": ("recency_days",),
    "gap": ("gap_ratio", "ipt_mean_days", "last_gap_days"),
    "spend_trend": ("spend_trend", "spend_recent", "spend_previous"),
    "freq_trend": ("freq_trend", "freq_recent", "freq_previous"),
    "frequency": ("frequency", "purchases_per_year"),
    "spend": ("monetary_mean", "monetary_total", "spend_last_year"),
    "tenure": ("tenure_days",),
    "categories": ("n_categories",),
    "returns": ("return_share",),
    "channel": ("main_channel",),
    "age": ("age",),
}


def permutation_importance_table(model, X: pd.DataFrame, y, n_repeats: int = 5,
                                 random_state: int = 0, max_rows: int | None = 20_000) -> pd.DataFrame:
    """Drop in holdout ROC AUC when each feature is shuffled (mean and sd over repeats), largest first.

    At most ``max_rows`` rows (a fixed random subsample) are used, to keep it quick. The figures
    are scikit-learn's ``permutation_importance`` (same shuffles, same scores: tested), with the
    ``n_repeats`` shuffled copies of a feature scored in one prediction instead of one each,
    since a pipeline's per-call checks cost more than predicting a few thousand rows.
    """
    y = np.asarray(y, int)
    if max_rows is not None and len(X) > max_rows:
        rows = np.sort(np.random.default_rng(random_state).choice(len(X), max_rows, replace=False))
        X, y = X.iloc[rows], y[rows]
    with model_threads():
        importances = _permutation_importances(model, X, y, n_repeats, random_state)
    table = pd.DataFrame({"feature": list(X.columns), "importance": importances.mean(axis=1),
                          "importance_sd": importances.std(axis=1)})
    return table.sort_values(["importance", "feature"], ascending=[False, True], kind="stable") \
        .reset_index(drop=True)


def _scores(model, X: pd.DataFrame) -> np.ndarray:
    """What scikit-learn's ``roc_auc`` scorer ranks by: the decision function, else P(class 1)."""
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), float)
    return np.asarray(model.predict_proba(X)[:, 1], float)


def _permutation_importances(model, X: pd.DataFrame, y: np.ndarray, n_repeats: int,
                             random_state) -> np.ndarray:
    """Baseline AUC minus the AUC with each column shuffled: (features, repeats), drawn as
    ``sklearn.inspection.permutation_importance`` draws them (one seed for every column, each
    repeat shuffling the previous repeat's column)."""
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max + 1)
    baseline = roc_auc_score(y, _scores(model, X))
    copies = pd.concat([X] * n_repeats, ignore_index=True)
    out = np.empty((X.shape[1], n_repeats))
    for col_idx, name in enumerate(X.columns):
        rng = check_random_state(seed)
        shuffle, positions, taken = np.arange(len(X)), np.arange(len(X)), []
        for _ in range(n_repeats):
            rng.shuffle(shuffle)
            positions = positions[shuffle]
            taken.append(positions)
        original = copies[name]
        copies[name] = X[name].iloc[np.concatenate(taken)].reset_index(drop=True)
        scores = _scores(model, copies).reshape(n_repeats, len(X))
        out[col_idx] = [baseline - roc_auc_score(y, repeat) for repeat in scores]
        copies[name] = original
    return out


def reference_values(X: pd.DataFrame) -> dict:
    """A typical customer: median of each numeric column, most common level of the others."""
    values = {}
    for column in X.columns:
        if pd.api.types.is_numeric_dtype(X[column]):
            values[column] = float(X[column].median()) if X[column].notna().any() else np.nan
        else:
            mode = X[column].dropna().mode()
            values[column] = mode.iloc[0] if len(mode) else np.nan
    return values


def reason_groups(columns) -> dict[str, tuple[str, ...]]:
    """:data:`REASON_GROUPS` restricted to ``columns``, plus one group per other column."""
    present = set(columns)
    groups = {name: tuple(c for c in cols if c in present) for name, cols in REASON_GROUPS.items()}
    groups = {name: cols for name, cols in groups.items() if cols}
    covered = {c for cols in groups.values() for c in cols}
    groups.update({c: (c,) for c in columns if c not in covered})
    return groups


def contributions(model, X: pd.DataFrame, reference: dict) -> pd.DataFrame:
    """Per customer and reason group: predicted probability minus the probability with the
    group set to the reference values (positive = raises the churn risk)."""
    out = {}
    with model_threads():
        base = model.predict_proba(X)[:, 1]
        for name, columns in reason_groups(X.columns).items():
            typical = X.copy()
            for column in columns:
                typical[column] = reference[column]
            out[name] = base - model.predict_proba(typical)[:, 1]
    return pd.DataFrame(out, index=X.index)


def reason_codes(model, X: pd.DataFrame, reference: dict, top: int = 3, min_effect: float = 0.01) -> pd.DataFrame:
    """Up to ``top`` reason groups per customer (``reason_1``…, strongest first; ``""`` for none).

    Only groups that raise the predicted risk by at least ``min_effect`` are named; the
    ``reason_codes`` column joins them (``recency;gap``) for filtering.
    """
    effects = contributions(model, X, reference)
    groups = reason_groups(X.columns)
    values = effects.to_numpy()
    names = np.asarray(effects.columns)
    order = np.argsort(-values, axis=1, kind="stable")[:, :top]
    missing = np.column_stack([_missing(X, groups[name]) for name in names])
    rows = []
    for i, picks in enumerate(order):
        chosen = [str(names[j]) for j in picks if values[i, j] >= min_effect and not missing[i, j]]
        rows.append([";".join(chosen)] + chosen + [""] * (top - len(chosen)))
    columns = ["reason_codes"] + [f"reason_{k + 1}" for k in range(top)]
    return pd.DataFrame(rows, columns=columns, index=X.index)


def _missing(X: pd.DataFrame, columns) -> np.ndarray:
    """Per row, True when a categorical reason has no value (a missing attribute is no reason to name);
    a numeric value, NaN included, is never missing here."""
    missing = np.zeros(len(X), bool)
    for column in columns:
        if not pd.api.types.is_numeric_dtype(X[column]):
            missing |= [not isinstance(value, (int, float, np.number)) and pd.isna(value) for value in X[column]]
    return missing
