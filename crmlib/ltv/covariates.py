"""BG/NBD and Pareto/NBD with time-invariant customer covariates (acquisition channel, city,
gender, first-basket size band, ...).

Parameterisation (as CLVTools, Fader & Hardie 2007 note 019): for a customer with covariates
z, the purchase-rate scale is alpha_i = alpha0 exp(-gamma_p' z), so his mean purchase rate
r / alpha_i is exp(gamma_p' z) times the reference customer's; the dropout scale is
beta_i = beta0 exp(-gamma_d' z) in the Pareto/NBD (mean dropout rate times exp(gamma_d' z))
and b_i = b0 exp(-gamma_d' z) in the BG/NBD (mean dropout probability after a purchase
a/(a+b_i) rises with gamma_d). CLVTools scales a and b of the BG/NBD together, which moves
only the spread of p, not its mean; scaling b alone lets a covariate make customers more
or less likely to drop out, which is what an analyst asks.

The parameters are estimated as positive multipliers exp(gamma) (``purchase:<column>`` and
``dropout:<column>`` in ``params_``), so the fitting machinery and the summary's log-scale
intervals apply unchanged. Customers are grouped by their covariate row: within a group the
plain model's analytic likelihood, gradient and Hessian apply, and the chain rule on the
log-parameters (linear in gamma) gives the covariate model's. Covariates are meant to be
categorical (dummies); continuous ones should be banded (:func:`covariate_design` does it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

from crmlib.ltv._base import RepeatPurchaseModel, coerce_rfm, output_like
from crmlib.ltv._fit import newton_through, penalised, single_threaded_blas, subsamples, to_log_space
from crmlib.ltv.bgnbd import BetaGeoModel
from crmlib.ltv.pareto_nbd import ParetoNBDModel

#: Levels rarer than this share of customers (or 20 customers) join "other".
MIN_LEVEL_SHARE = 0.01
MAX_LEVELS = 8
NUMERIC_BANDS = 4
MISSING = "(missing)"
OTHER = "(other)"


# -- design matrix from a customers file ----------------------------------------------------------

@dataclass
class CovariateDesign:
    """Dummy columns ``<column>=<level>`` per customer and, per covariate, its reference level."""

    matrix: pd.DataFrame
    references: dict
    levels: dict


def covariate_design(customers: pd.DataFrame, columns, customer_ids) -> CovariateDesign:
    """0/1 dummies of ``columns`` of ``customers`` (indexed or with a customer_id column) for
    ``customer_ids``, in that order.

    Text columns keep their levels (the most common is the reference; levels with fewer than
    1 % or 20 customers, and beyond the 8 most common, become "(other)"; no value is
    "(missing)"). Numeric columns with more than 8 distinct values are cut into quartile
    bands Q1..Q4 (Q1 the reference). A customer absent from the file gets "(missing)".
    """
    columns = list(columns)
    frame = customers.set_index("customer_id") if "customer_id" in customers.columns else customers
    frame.index = frame.index.astype(str)
    if frame.index.has_duplicates:
        twice = frame.index[frame.index.duplicated()][:3].tolist()
        raise ValueError(f"the customers file lists some customers twice (e.g. {twice}); keep one row each")
    unknown = [c for c in columns if c not in frame.columns]
    if unknown:
        raise ValueError(f"ltv_covariates names columns the customers file lacks: {unknown}; "
                         f"it has {sorted(map(str, frame.columns))}")
    ids = pd.Index(pd.Index(customer_ids).astype(str))
    rows = frame.reindex(ids)
    dummies, references, levels = {}, {}, {}
    for column in columns:
        values = _levels(rows[column])
        counts = values.value_counts()
        order = sorted(counts.index, key=lambda v: (-counts[v], str(v)))
        if values.attrs.get("banded"):
            order = sorted(counts.index, key=lambda v: (v == MISSING, str(v)))
        references[column], levels[column] = order[0], order[1:]
        for level in order[1:]:
            dummies[f"{column}={level}"] = (values == level).astype(float).to_numpy()
    matrix = pd.DataFrame(dummies, index=ids)
    return CovariateDesign(matrix=matrix, references=references, levels=levels)


def _levels(series: pd.Series) -> pd.Series:
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if numeric and series.nunique() > MAX_LEVELS:
        bands = pd.qcut(series, NUMERIC_BANDS, duplicates="drop")
        labels = {interval: f"Q{i + 1}" for i, interval in enumerate(bands.cat.categories)}
        out = bands.map(labels).astype(object).fillna(MISSING)
        out.attrs["banded"] = True
        return out
    out = series.astype(object).where(series.notna(), MISSING).map(str)
    counts = out.value_counts()
    keep = counts[(counts >= max(20, MIN_LEVEL_SHARE * len(out)))].index[:MAX_LEVELS]
    return out.where(out.isin(keep) | (out == MISSING), OTHER)


# -- the models ------------------------------------------------------------------------------------

def _row_groups(matrix: np.ndarray):
    """Group code of each row and the distinct rows (hash-based: fast for many rows)."""
    frame = pd.DataFrame(matrix)
    codes = frame.groupby(list(frame.columns), sort=True).ngroup().to_numpy()
    rows = frame.drop_duplicates().assign(code=codes[~frame.duplicated().to_numpy()]).sort_values("code")
    return codes, rows.drop(columns="code").to_numpy(float)


@dataclass
class _CovData:
    groups: list  # (z row, plain model's prepared data, rows of the customers)
    total_weight: float


class _CovariateModel(RepeatPurchaseModel):
    """Shared fit and predictions; subclasses name the plain model and its dropout scale."""

    base: type = RepeatPurchaseModel
    #: positions of the purchase scale (alpha) and of the dropout scale (b or beta)
    purchase_index, dropout_index = 1, 3

    def fit(self, frequency, recency=None, T=None, covariates=None, weights=None):
        """Fit with ``covariates`` (a numeric frame, one row per customer, e.g.
        ``covariate_design(...).matrix``); also fits the plain model (``plain_``) for
        :meth:`likelihood_ratio_test`. Returns self."""
        if covariates is None:
            raise ValueError("give covariates: a numeric frame with one row per customer")
        x, t_x, T_, w = coerce_rfm(frequency, recency, T, weights)
        Z = np.asarray(covariates, float)
        if Z.ndim != 2 or Z.shape[0] != x.size:
            raise ValueError(f"covariates need one row per customer ({x.size}), got shape {Z.shape}")
        if not np.all(np.isfinite(Z)):
            raise ValueError("covariates must be finite numbers (dummies for categories)")
        if Z.shape[1] == 0:
            raise ValueError("covariates has no columns")
        self.covariate_names_ = [str(c) for c in getattr(covariates, "columns", range(Z.shape[1]))]
        plain = self.base(n_starts=self.n_starts, time_unit=self.time_unit,
                          warm_start_rows=self.warm_start_rows, random_state=self.random_state,
                          penalizer_coef=self.penalizer_coef).fit(x, t_x, T_, w)
        self.plain_ = plain
        self.param_names = (*plain.param_names, *(f"purchase:{c}" for c in self.covariate_names_),
                            *(f"dropout:{c}" for c in self.covariate_names_))
        data = self._group_data(x, t_x, T_, w, Z)
        k = Z.shape[1]
        # The plain optimum with no covariate effects is the nested model's maximum: Newton
        # steps from there (on growing subsamples first when the data are large) need no search.
        start = np.concatenate([plain._theta(), np.ones(2 * k)])
        time_scale = float(np.average(T_, weights=w))
        log_scale = np.concatenate([[np.log(time_scale) if n in plain.time_scale_params else 0.0
                                     for n in plain.param_names], np.zeros(2 * k)])
        objective = penalised(self._loglik, self.penalizer_coef, log_scale)
        stages = [self._group_data(x[rows], t_x[rows], T_[rows], w[rows], Z[rows])
                  for rows in subsamples(x.size, self.warm_start_rows, np.random.default_rng(self.random_state))]
        with single_threaded_blas():
            optimum = newton_through(objective, [*stages, data], start, self.param_names, log_scale)
        return self._store_fit(optimum, self._unpenalised_loglik(optimum, data), float(w.sum()))

    def _group_data(self, x, t_x, T, w, Z) -> _CovData:
        codes, rows = _row_groups(Z)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(rows) + 1))
        groups = []
        for g, z in enumerate(rows):
            members = order[bounds[g]:bounds[g + 1]]
            groups.append((z, self.base()._prepare(x[members], t_x[members], T[members], w[members]), members))
        return _CovData(groups=groups, total_weight=float(w.sum()))

    def _loglik(self, theta, data: _CovData, order: int):
        """Sum over covariate groups of the plain log-likelihood at the group's parameters;
        derivatives by the chain rule on log-parameters, returned for the natural ones."""
        theta = np.asarray(theta, float)
        k = (theta.size - 4) // 2
        log_theta = np.log(theta)
        value, g_log, h_log = 0.0, np.zeros(theta.size), np.zeros((theta.size, theta.size))
        for z, group, _ in data.groups:
            A = self._jacobian(z, k)
            group_theta = np.exp(A @ log_theta)
            v, grad, hess = self.base._loglik(group_theta, group, order)
            value += v
            if order >= 1:
                gg, hh = to_log_space(group_theta, grad, hess)
                g_log += A.T @ gg
                if order == 2:
                    h_log += A.T @ hh @ A
        if order == 0:
            return value, None, None
        grad_nat = g_log / theta
        if order == 1:
            return value, grad_nat, None
        hess_nat = (h_log - np.diag(g_log)) / np.outer(theta, theta)
        return value, grad_nat, hess_nat

    def _jacobian(self, z, k) -> np.ndarray:
        """d log(group parameters) / d log(model parameters): 4 x (4 + 2k)."""
        A = np.zeros((4, 4 + 2 * k))
        A[:, :4] = np.eye(4)
        A[self.purchase_index, 4:4 + k] = -z
        A[self.dropout_index, 4 + k:] = -z
        return A

    # -- predictions, per customer ------------------------------------------------------------
    def customer_params(self, covariates) -> np.ndarray:
        """Each customer's plain-model parameters (customers x 4)."""
        theta = self._theta()
        Z = np.asarray(covariates, float)
        k = len(self.covariate_names_)
        if Z.ndim != 2 or Z.shape[1] != k:
            raise ValueError(f"covariates need the {k} columns the model was fitted on")
        return np.exp(np.log(theta[:4])[None, :] + self._shifts(Z))

    def _shifts(self, Z) -> np.ndarray:
        k = len(self.covariate_names_)
        gamma = np.log(self._theta()[4:])
        shifts = np.zeros((Z.shape[0], 4))
        shifts[:, self.purchase_index] = -Z @ gamma[:k]
        shifts[:, self.dropout_index] = -Z @ gamma[k:]
        return shifts

    def _by_group(self, method: str, covariates, arrays, *args, **kwargs):
        Z = np.asarray(covariates, float)
        params = self.customer_params(Z)
        inverse, rows = _row_groups(params)
        out = None
        for g, theta in enumerate(rows):
            members = np.flatnonzero(inverse == g)
            plain = self.base(time_unit=self.time_unit).with_params(theta)
            part = np.asarray(getattr(plain, method)(*args, *(a[members] for a in arrays), **kwargs))
            if out is None:
                out = np.empty(part.shape[:-1] + (Z.shape[0],))
            out[..., members] = part
        return out

    def probability_alive(self, frequency, recency, T, covariates, future_t=0.0):
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        return output_like(frequency, self._by_group("probability_alive", covariates, (x, t_x, T_),
                                                     future_t=future_t))

    def conditional_expected_purchases(self, t, frequency, recency, T, covariates):
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        return output_like(frequency, self._by_group("conditional_expected_purchases", covariates,
                                                     (x, t_x, T_), t))

    def conditional_expected_purchases_path(self, times, frequency, recency, T, covariates):
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        return self._by_group("conditional_expected_purchases_path", covariates, (x, t_x, T_), times)

    def conditional_probability_of_n_purchases(self, n, t, frequency, recency, T, covariates):
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        return output_like(frequency, self._by_group("conditional_probability_of_n_purchases", covariates,
                                                     (x, t_x, T_), n, t))

    def time_to_next_purchase(self, frequency, recency, T, covariates, statistic: str = "median"):
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        return output_like(frequency, self._by_group("time_to_next_purchase", covariates, (x, t_x, T_),
                                                     statistic=statistic))

    def probability_of_n_purchases(self, n, t, covariates):
        """P(X(t) = n) of a new customer with each row of ``covariates``."""
        Z = np.asarray(covariates, float)
        zeros = np.zeros(Z.shape[0])
        return self._by_group("conditional_probability_of_n_purchases", Z, (zeros, zeros, np.full_like(zeros, 1e-12)),
                              n, t)

    def log_likelihood(self, frequency, recency=None, T=None, covariates=None, weights=None) -> float:
        x, t_x, T_, w = coerce_rfm(frequency, recency, T, weights)
        return float(self._loglik(self._theta(), self._group_data(x, t_x, T_, w, np.asarray(covariates, float)), 0)[0])

    # -- effects and test -------------------------------------------------------------------------
    def _dropout_ratio(self, log_theta, j: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def effects(self) -> pd.DataFrame:
        """Per covariate: purchase-rate multiplier and dropout multiplier with SEs.

        ``purchase_ratio`` = exp(gamma_p): mean purchase rate relative to the reference
        customer; ``dropout_ratio``: the mean dropout rate (Pareto/NBD, exp(gamma_d)) or mean
        dropout probability after a purchase (BG/NBD, (a+b0)/(a+b0 exp(-gamma_d))) relative
        to the reference. SEs by the delta method on the log-parameters' covariance.
        """
        self._require_fit()
        log_theta = np.log(self._theta())
        k = len(self.covariate_names_)
        rows = []
        for j, name in enumerate(self.covariate_names_):
            purchase = float(np.exp(log_theta[4 + j]))
            dropout = self._dropout_ratio(log_theta, j)
            gradient = np.zeros(log_theta.size)
            for i in range(log_theta.size):
                step = np.zeros(log_theta.size)
                step[i] = 1e-6
                gradient[i] = (self._dropout_ratio(log_theta + step, j)
                               - self._dropout_ratio(log_theta - step, j)) / 2e-6
            rows.append({
                "covariate": name,
                "purchase_ratio": purchase,
                "purchase_se": purchase * float(np.sqrt(self.cov_log_[4 + j, 4 + j])),
                "dropout_ratio": dropout,
                "dropout_se": float(np.sqrt(gradient @ self.cov_log_ @ gradient)),
                "purchase_z": log_theta[4 + j] / float(np.sqrt(self.cov_log_[4 + j, 4 + j])),
                "dropout_z": log_theta[4 + k + j] / float(np.sqrt(self.cov_log_[4 + k + j, 4 + k + j])),
            })
        return pd.DataFrame(rows)

    def likelihood_ratio_test(self) -> dict:
        """Against the plain model: statistic 2 (LL_cov - LL_plain), df = 2 x covariates, p-value."""
        self._require_fit()
        statistic = max(0.0, 2.0 * (self.loglik_ - self.plain_.loglik_))
        df = 2 * len(self.covariate_names_)
        return {"statistic": statistic, "df": df, "p_value": float(chi2.sf(statistic, df)),
                "loglik": self.loglik_, "loglik_plain": self.plain_.loglik_}


class BetaGeoCovariateModel(_CovariateModel):
    """BG/NBD with covariates: alpha_i = alpha0 exp(-gamma_p'z), b_i = b0 exp(-gamma_d'z)."""

    base = BetaGeoModel
    time_scale_params = ("alpha",)

    def _dropout_ratio(self, log_theta, j):
        a, b0 = np.exp(log_theta[2]), np.exp(log_theta[3])
        k = len(self.covariate_names_)
        return float((a + b0) / (a + b0 * np.exp(-log_theta[4 + k + j])))


class ParetoNBDCovariateModel(_CovariateModel):
    """Pareto/NBD with covariates: alpha_i = alpha0 exp(-gamma_p'z), beta_i = beta0 exp(-gamma_d'z)."""

    base = ParetoNBDModel
    time_scale_params = ("alpha", "beta")

    def _dropout_ratio(self, log_theta, j):
        return float(np.exp(log_theta[4 + len(self.covariate_names_) + j]))
