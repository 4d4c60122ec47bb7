"""Maximum-likelihood machinery shared by the lifetime-value models.

Every model supplies a log-likelihood returning the weighted sum, its gradient and
(optionally) its Hessian with respect to the natural parameters. Here the search runs on
log-parameters: several L-BFGS-B starts (on a random subsample when the data are large),
then Newton steps with the analytic Hessian on all rows, which also give the standard
errors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import norm

#: Box on the log-parameters seen by the optimiser (natural values 4.5e-5 .. 2.2e4 times
#: the time scale); an optimum on this box means the data do not identify the model.
LOG_BOUND = 10.0


class ModelIdentificationError(ValueError):
    """The data cannot identify the model (too few customers, no repeat purchases, ...)."""


class NotFittedError(RuntimeError):
    """A prediction was asked of a model before ``fit``."""


# loglik(theta, data, order) -> (value, gradient, hessian); gradient/hessian None when order is lower.
LogLik = Callable[[np.ndarray, object, int], tuple]


@dataclass
class Optimum:
    theta: np.ndarray
    loglik: float
    hessian_log: np.ndarray  # Hessian of the log-likelihood in log-parameters
    hessian: np.ndarray  # Hessian of the log-likelihood in natural parameters
    converged: bool
    n_evaluations: int


def to_log_space(theta: np.ndarray, grad: np.ndarray, hess: np.ndarray | None):
    """Chain rule from natural to log-parameters (phi = log theta)."""
    g_phi = theta * grad
    if hess is None:
        return g_phi, None
    h_phi = np.outer(theta, theta) * hess + np.diag(g_phi)
    return g_phi, h_phi


def maximise(
    loglik: LogLik,
    data_full,
    data_start,
    starts: Sequence[np.ndarray],
    total_weight: float,
    param_names: Sequence[str],
    log_scale: np.ndarray,
    max_newton: int = 30,
) -> Optimum:
    """Multi-start L-BFGS-B on ``data_start`` then Newton polishing on ``data_full``.

    ``log_scale`` centres the log-parameter box (time-scale parameters move with the data's
    time unit). Raises :class:`ModelIdentificationError` when the best optimum sits on the box.
    """
    n_evals = 0
    lower, upper = log_scale - LOG_BOUND, log_scale + LOG_BOUND

    def objective(phi, data, scale):
        nonlocal n_evals
        n_evals += 1
        theta = np.exp(phi)
        value, grad, _ = loglik(theta, data, 1)
        if not np.isfinite(value):
            return 1e300, np.zeros_like(phi)
        g_phi, _ = to_log_space(theta, grad, None)
        return -value / scale, -g_phi / scale

    start_weight = data_start.total_weight
    best = None
    for start in starts:
        phi0 = np.clip(np.log(np.asarray(start, float)), lower + 1e-6, upper - 1e-6)
        res = minimize(objective, phi0, args=(data_start, start_weight), jac=True,
                       method="L-BFGS-B", bounds=list(zip(lower, upper)),
                       options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9})
        if best is None or res.fun < best.fun:
            best = res
    phi = best.x.copy()

    theta = np.exp(phi)
    value, grad, hess = loglik(theta, data_full, 2)
    converged = False
    for _ in range(max_newton):
        g_phi, h_phi = to_log_space(theta, grad, hess)
        try:
            chol = np.linalg.cholesky(-h_phi)
            step = np.linalg.solve(chol.T, np.linalg.solve(chol, g_phi))
        except np.linalg.LinAlgError:
            step = None
        if step is None:  # not concave here: fall back to L-BFGS-B on all rows
            res = minimize(objective, phi, args=(data_full, total_weight), jac=True,
                           method="L-BFGS-B", bounds=list(zip(lower, upper)),
                           options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-10})
            if np.allclose(res.x, phi):
                break
            phi = res.x
            theta = np.exp(phi)
            value, grad, hess = loglik(theta, data_full, 2)
            continue
        decrement = float(g_phi @ step)
        if decrement < 1e-12 * max(1.0, abs(value)) and np.max(np.abs(step)) < 1e-7:
            converged = True
            break
        t = 1.0
        while t > 1e-6:
            phi_new = np.clip(phi + t * step, lower, upper)
            theta_new = np.exp(phi_new)
            value_new, grad_new, hess_new = loglik(theta_new, data_full, 2)
            n_evals += 1
            if np.isfinite(value_new) and value_new >= value - 1e-10 * abs(value):
                break
            t /= 2
        else:
            converged = decrement < 1e-6
            break
        phi, theta, value, grad, hess = phi_new, theta_new, value_new, grad_new, hess_new

    on_box = (phi <= lower + 1e-3) | (phi >= upper - 1e-3)
    if on_box.any():
        names = ", ".join(name for name, flag in zip(param_names, on_box) if flag)
        raise ModelIdentificationError(
            f"The likelihood keeps improving as {names} runs off to "
            f"{'0' if phi[on_box][0] < log_scale[on_box][0] else 'infinity'}: the data "
            "cannot identify the model (check for too few repeat purchases or customers, "
            "or a wrong time unit)."
        )
    _, h_phi = to_log_space(theta, grad, hess)
    return Optimum(theta=theta, loglik=float(value), hessian_log=h_phi, hessian=hess,
                   converged=converged, n_evaluations=n_evals)


def covariance_from_hessian(hessian: np.ndarray) -> np.ndarray:
    """Inverse of the negative log-likelihood Hessian; NaN when not positive definite."""
    info = -np.asarray(hessian, float)
    try:
        np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        return np.full_like(info, np.nan)
    return np.linalg.inv(info)


def summary_frame(names, estimates, log_cov) -> pd.DataFrame:
    """Estimate, standard error and a 95% interval computed on the log scale."""
    estimates = np.asarray(estimates, float)
    se_log = np.sqrt(np.diag(log_cov))
    z = norm.ppf(0.975)
    return pd.DataFrame({
        "estimate": estimates,
        "se": estimates * se_log,
        "lower_95": estimates * np.exp(-z * se_log),
        "upper_95": estimates * np.exp(z * se_log),
    }, index=pd.Index(list(names), name="parameter"))
