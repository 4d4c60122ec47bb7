"""Time-ordered backtest: snapshots at several cutoffs, train on earlier ones, test on the last.

No random split of snapshots of the same customer: a training cutoff is used only when its
whole label window ends on or before the test cutoff (``c + horizon <= test cutoff``), so
nothing the model learns comes from after the moment it is tested at.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from threadpoolctl import threadpool_limits

from crmlib.churn import baselines
from crmlib.churn.features import ATTRIBUTE_COLUMNS, churn_snapshot, feature_columns, purchase_history
from crmlib.io import InputError

#: OpenMP threads for gradient boosting. One thread: on a shared 2-core machine OpenMP's
#: thread hand-offs cost far more than they save (20× slower predictions under load).
N_THREADS = 1


def model_threads():
    """Context that limits scikit-learn's OpenMP threads to :data:`N_THREADS`."""
    return threadpool_limits(limits=N_THREADS, user_api="openmp")


#: Learned models (the baselines are ``recency`` and, with the LTV module, ``bgnbd``).
MODEL_NAMES = ("logistic", "gradient_boosting")
BASELINE_NAMES = ("recency", "bgnbd")


def backtest_cutoffs(as_of_date, horizon_days: int = 90, n_cutoffs: int = 4,
                     spacing_days: int | None = None, test_cutoff=None, cutoffs=None,
                     data_start=None, data_end=None) -> list[pd.Timestamp]:
    """Cutoff dates, oldest first; the last one is the test cutoff.

    Explicit ``cutoffs`` win. Otherwise the test cutoff is ``test_cutoff`` (e.g. a calibration end)
    or the latest date whose label window is observed: ``end − horizon`` with ``end`` the
    earlier of ``as_of_date`` and ``data_end`` (the last transaction day, when given). Up to
    ``n_cutoffs − 1`` training cutoffs go back in steps of ``spacing_days`` (default: the
    horizon), none before ``data_start`` (when given): there is no one to train on before it.
    """
    if cutoffs:
        dates = sorted(pd.Timestamp(c).normalize() for c in cutoffs)
    else:
        if n_cutoffs < 2:
            raise InputError(f"a backtest needs at least 2 cutoffs (1 to train, 1 to test), "
                             f"not churn_n_cutoffs = {n_cutoffs}.")
        step = int(spacing_days or horizon_days)
        ends = [pd.Timestamp(d).normalize() for d in (as_of_date, data_end) if d not in (None, "")]
        if not ends and test_cutoff in (None, ""):
            raise InputError("automatic churn cutoffs need `as_of_date` or the data's last day.")
        end = min(ends) if ends else None
        last = (pd.Timestamp(test_cutoff) if test_cutoff not in (None, "")
                else end - pd.Timedelta(days=horizon_days)).normalize()
        dates = [last - pd.Timedelta(days=step * k) for k in range(n_cutoffs - 1, -1, -1)]
        if data_start is not None:
            dates = [d for d in dates if d >= pd.Timestamp(data_start).normalize()] or [last]
    if len(set(dates)) != len(dates):
        raise InputError(f"the churn cutoffs repeat a date: {[f'{d:%Y-%m-%d}' for d in dates]}.")
    return dates


@dataclass(frozen=True)
class BacktestPlan:
    """The cutoffs a history allows, and whether they make a backtest.

    ``enough`` is False when the data cannot hold one training cutoff whose label window ends
    by the test cutoff and a test cutoff whose window ends by the data's end, i.e. when the
    history (``first_day`` … ``last_day``) is shorter than ``needed_days``; the notebook then
    says so and skips the models.
    """

    cutoffs: list
    enough: bool
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    horizon_days: int
    needed_days: int

    @property
    def history_days(self) -> int:
        return int((self.last_day - self.first_day).days)


def plan_backtest(history, as_of_date, horizon_days: int = 90, n_cutoffs: int = 4,
                  spacing_days: int | None = None, test_cutoff=None, cutoffs=None) -> BacktestPlan:
    """:func:`backtest_cutoffs` fitted to ``history`` (a :class:`PurchaseHistory` or transactions).

    Automatic cutoffs count back from the last transaction day when the data end before
    ``as_of_date`` (an export ending the day before would otherwise put the test cutoff's label
    window past the data), and start no earlier than the first. Explicit ``cutoffs`` or
    ``test_cutoff`` are kept as given: a window past the data stays an error naming them.
    """
    history = purchase_history(history) if isinstance(history, pd.DataFrame) else history
    days = history.daily["day"]
    first = pd.Timestamp(np.datetime64(int(days.min()), "D"))
    last = pd.Timestamp(np.datetime64(int(history.last_day), "D"))
    step = int(spacing_days or horizon_days)
    needed = int(horizon_days) + step * int(np.ceil(horizon_days / step)) + 1  # test + training window
    dates = backtest_cutoffs(as_of_date, horizon_days, n_cutoffs, spacing_days, test_cutoff, cutoffs,
                             data_start=first + pd.Timedelta(days=1), data_end=last)
    explicit = bool(cutoffs) or test_cutoff not in (None, "")
    enough = explicit or (len(dates) >= 2 and (last - first).days >= needed)
    return BacktestPlan(cutoffs=dates, enough=enough, first_day=first, last_day=last,
                        horizon_days=int(horizon_days), needed_days=needed)


def build_snapshots(data, cutoffs, horizon_days: int = 90, customers=None,
                    lookback_days: int | None = 365, inactive_days: int = 90,
                    window_days: int = 90, attributes=ATTRIBUTE_COLUMNS) -> pd.DataFrame:
    """Stacked :func:`~crmlib.churn.features.churn_snapshot` tables, one block per cutoff."""
    history = purchase_history(data) if isinstance(data, pd.DataFrame) else data
    blocks = [churn_snapshot(history, c, horizon_days, customers, lookback_days, inactive_days,
                             window_days, attributes) for c in cutoffs]
    return pd.concat(blocks, ignore_index=True)


def time_split(snapshots: pd.DataFrame, horizon_days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test): test = the last cutoff; train = cutoffs whose label window ends by then."""
    cutoffs = sorted(snapshots["cutoff"].unique())
    test_cutoff = pd.Timestamp(cutoffs[-1])
    usable = [c for c in cutoffs[:-1] if pd.Timestamp(c) + pd.Timedelta(days=horizon_days) <= test_cutoff]
    if not usable:
        raise InputError(f"no training cutoff ends its {horizon_days}-day label window by the test "
                         f"cutoff {test_cutoff:%Y-%m-%d}; space the cutoffs at least "
                         "`churn_horizon_days` apart.")
    train = snapshots[snapshots["cutoff"].isin(usable)].reset_index(drop=True)
    test = snapshots[snapshots["cutoff"] == test_cutoff].reset_index(drop=True)
    for name, part in (("training", train), ("test", test)):
        if part["churned"].nunique() < 2:
            raise InputError(f"the {name} snapshots hold only one class (churned = "
                             f"{bool(part['churned'].iloc[0])}); use more or other cutoffs.")
    return train, test


def _log1p_signed_inplace(x):
    """sign(x) log(1 + |x|), computed in ``x`` itself (the same values as the plain expression).

    Only for a fresh array nobody else holds: in the pipeline it follows the imputer, whose
    output (the values with the missing-value indicators appended) is new.
    """
    x = np.asarray(x, dtype=float)
    negative = x < 0
    np.abs(x, out=x)
    np.log1p(x, out=x)
    np.negative(x, out=x, where=negative)
    return x


class ColumnMedianImputer(SimpleImputer):
    """``SimpleImputer(strategy="median")`` whose fit takes the medians one column at a time.

    The same medians (``np.median`` of each column's present values) without scikit-learn's
    ``np.ma.median``, which sorts a masked copy of the whole matrix with its index: on ten
    million lines' training snapshots that held 1.4 GB at once. Missing means NaN.
    """

    def __init__(self, *, add_indicator=False, keep_empty_features=False):
        super().__init__(strategy="median", add_indicator=add_indicator,
                         keep_empty_features=keep_empty_features)

    def _dense_fit(self, X, strategy, missing_values, fill_value):
        missing = np.isnan(X)
        self._fit_indicator(missing)
        empty = 0.0 if self.keep_empty_features else np.nan
        return np.array([np.median(X[~missing[:, j], j]) if not missing[:, j].all() else empty
                         for j in range(X.shape[1])])


def make_models(numeric: list[str], categorical: list[str], class_weight=None,
                random_state: int = 0) -> dict[str, Pipeline]:
    """Unfitted Pipelines: recency-only baseline, logistic regression, gradient boosting.

    Class imbalance: no resampling and, by default, no class weights, so the probabilities stay
    calibrated for the profit calculation; ranking quality is judged with PR AUC and lift
    next to ROC AUC. ``class_weight="balanced"`` is available for very rare churn.
    """
    linear = ColumnTransformer([
        # the imputer's output is fresh (it appends the indicators into a new array), so the log
        # and the scaler work in place on it: the same arithmetic, two copies fewer
        ("numeric", make_pipeline(ColumnMedianImputer(add_indicator=True),
                                  FunctionTransformer(_log1p_signed_inplace), StandardScaler(copy=False)),
         numeric),
        ("categorical", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                      OneHotEncoder(handle_unknown="ignore", min_frequency=20)),
         categorical),
    ])
    trees = ColumnTransformer([
        ("categorical", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                       encoded_missing_value=np.nan, min_frequency=20), categorical),
        ("numeric", "passthrough", numeric),
    ], verbose_feature_names_out=False).set_output(transform="pandas")
    # Shallow trees, and churn risk never falls as the days since the last purchase grow.
    monotone = {"recency_days": 1} if "recency_days" in numeric else None
    recency = ColumnTransformer([("recency", FunctionTransformer(np.log1p), ["recency_days"])])
    return {
        "recency": Pipeline([("select", recency), ("model", LogisticRegression())]),
        "logistic": Pipeline([("features", linear),
                              ("model", LogisticRegression(C=1.0, max_iter=2000,
                                                           class_weight=class_weight))]),
        "gradient_boosting": Pipeline([("features", trees), ("model", HistGradientBoostingClassifier(
            learning_rate=0.05, max_iter=150, max_depth=3, min_samples_leaf=100,
            early_stopping=False, categorical_features=list(categorical) or None,
            monotonic_cst=monotone, class_weight=class_weight, random_state=random_state))]),
    }


@dataclass
class BacktestResult:
    """Fitted models, the training and test snapshots, and test predictions per model."""

    models: dict
    train: pd.DataFrame
    test: pd.DataFrame
    predictions: pd.DataFrame
    numeric: list[str]
    categorical: list[str]
    cutoffs: list[pd.Timestamp]
    horizon_days: int
    notes: dict = field(default_factory=dict)

    @property
    def test_cutoff(self) -> pd.Timestamp:
        return self.cutoffs[-1]

    @property
    def model_names(self) -> list[str]:
        return [c for c in self.predictions.columns if c not in ("customer_id", "churned", "status")]


def run_backtest(data, cutoffs, horizon_days: int = 90, customers=None,
                 lookback_days: int | None = 365, inactive_days: int = 90, window_days: int = 90,
                 models: tuple[str, ...] = ("recency",) + MODEL_NAMES, bgnbd: bool = True,
                 class_weight=None, random_state: int = 0,
                 attributes=ATTRIBUTE_COLUMNS) -> BacktestResult:
    """Snapshots at ``cutoffs``, models fitted on the training cutoffs, scored on the test cutoff.

    With ``bgnbd=True`` and the LTV module installed, the BG/NBD baseline (fitted on the
    history up to the test cutoff) is added as model ``bgnbd``.
    """
    history = purchase_history(data) if isinstance(data, pd.DataFrame) else data
    snapshots = build_snapshots(history, cutoffs, horizon_days, customers, lookback_days,
                                inactive_days, window_days, attributes)
    train, test = time_split(snapshots, horizon_days)
    snapshot_cutoffs = [pd.Timestamp(c) for c in sorted(snapshots["cutoff"].unique())]
    del snapshots  # train and test are copies: a million customers a cutoff make this a gigabyte
    numeric, categorical = feature_columns(train)
    numeric = [c for c in numeric if train[c].notna().any()]
    pipelines = make_models(numeric, categorical, class_weight, random_state)
    X_train, y_train = train[numeric + categorical], train["churned"].astype(int)
    predictions = test[["customer_id", "churned", "status"]].copy()
    with model_threads():
        fitted = {name: pipelines[name].fit(X_train, y_train) for name in models}
        for name, model in fitted.items():
            predictions[name] = model.predict_proba(test[numeric + categorical])[:, 1]
    notes = {}
    if bgnbd:
        score, note = baselines.bgnbd_churn_probability(history, test["customer_id"],
                                                        cutoffs[-1], horizon_days)
        if score is not None:
            predictions["bgnbd"] = score
        notes["bgnbd"] = note
    return BacktestResult(models=fitted, train=train, test=test, predictions=predictions,
                          numeric=numeric, categorical=categorical,
                          cutoffs=snapshot_cutoffs,
                          horizon_days=horizon_days, notes=notes)


def refit(result: BacktestResult, name: str):
    """The model ``name`` refitted on every labelled snapshot (training + test), for scoring today."""
    def stacked(column: str) -> pd.Series:
        return pd.concat([result.train[column], result.test[column]], ignore_index=True)

    # only the model's columns, one at a time: on a million customers a cutoff the whole
    # snapshots stacked would be a gigabyte more
    X = pd.DataFrame({column: stacked(column) for column in result.numeric + result.categorical})
    y = stacked("churned").astype(int)
    pipeline = clone(result.models[name])
    with model_threads():  # what Pipeline.fit does, step by step, so that each step's input is let go
        for _, step in pipeline.steps[:-1]:
            X = step.fit_transform(X, y)
        pipeline.steps[-1][1].fit(X, y)
    return pipeline
