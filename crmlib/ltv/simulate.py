"""Simulated customer bases drawn from the BG/NBD, MBG/NBD, Pareto/NBD, BG/BB and
Gamma-Gamma models.

Times are continuous (no ties), in the same time unit as the parameters. Each simulator
returns the calibration summary (frequency, recency, T) of customers whose first purchase
is at time 0 and who are observed for T; ``T`` may be one number or one per customer.
Fully vectorised: given N arrivals of a Poisson process in [0, T], the k-th arrival time
is T times a Beta(k, N - k + 1) variable.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd


def _observation_lengths(n: int, T) -> np.ndarray:
    T = np.broadcast_to(np.asarray(T, float), (n,)).copy()
    if np.any(T <= 0):
        raise ValueError("T must be positive")
    return T


def _summary(frequency, recency, T, **extra) -> pd.DataFrame:
    frame = pd.DataFrame({"frequency": frequency.astype("int64"), "recency": recency, "T": T})
    for name, values in extra.items():
        frame[name] = values
    return frame


def simulate_bgnbd(n: int, params: Mapping[str, float], T, seed: int = 0,
                   return_latent: bool = False) -> pd.DataFrame:
    """BG/NBD customers: lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b).

    After each repeat purchase the customer drops out with probability p, so the number
    of repeat purchases before dropout is geometric; x = min(that, Poisson arrivals in T).
    ``return_latent`` adds the columns lam, p and alive (alive at T).
    """
    return _beta_geometric(n, params, T, seed, return_latent, toss_after_first=False)


def simulate_mbgnbd(n: int, params: Mapping[str, float], T, seed: int = 0,
                    return_latent: bool = False) -> pd.DataFrame:
    """MBG/NBD customers: as :func:`simulate_bgnbd`, but the dropout coin is also tossed
    right after the first purchase, so at most geometric(p) - 1 repeat purchases happen."""
    return _beta_geometric(n, params, T, seed, return_latent, toss_after_first=True)


def _beta_geometric(n, params, T, seed, return_latent, toss_after_first: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = _observation_lengths(n, T)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], size=n)
    p = rng.beta(params["a"], params["b"], size=n)
    arrivals = rng.poisson(lam * T)
    # >= 1: dropout right after that purchase (counting the first one for the MBG/NBD)
    repeats_before_dropout = rng.geometric(p) - int(toss_after_first)
    x = np.minimum(arrivals, repeats_before_dropout)
    recency = np.zeros(n)
    has = x > 0
    recency[has] = T[has] * rng.beta(x[has], arrivals[has] - x[has] + 1)
    if not return_latent:
        return _summary(x, recency, T)
    return _summary(x, recency, T, lam=lam, p=p, alive=arrivals < repeats_before_dropout)


def simulate_bgbb(n: int, params: Mapping[str, float], n_opportunities: int, seed: int = 0,
                  return_latent: bool = False) -> pd.DataFrame:
    """BG/BB customers over ``n_opportunities`` discrete purchase opportunities.

    p ~ Beta(alpha, beta) is the chance to buy at an opportunity while alive, theta ~
    Beta(gamma, delta) the chance to drop out at the start of each opportunity. Returns
    frequency x (opportunities with a purchase), recency t_x (the last one, 0 without any)
    and n_periods; ``return_latent`` adds p, theta and alive (alive at the last opportunity).
    """
    if int(n_opportunities) != n_opportunities or n_opportunities < 1:
        raise ValueError("n_opportunities must be a positive whole number")
    rng = np.random.default_rng(seed)
    p = rng.beta(params["alpha"], params["beta"], size=n)
    theta = rng.beta(params["gamma"], params["delta"], size=n)
    death = rng.geometric(theta)  # the opportunity at whose start he drops out
    periods = np.arange(1, int(n_opportunities) + 1)
    bought = (rng.random((n, periods.size)) < p[:, None]) & (periods < death[:, None])
    x = bought.sum(axis=1)
    recency = np.where(x > 0, np.max(np.where(bought, periods, 0), axis=1), 0)
    frame = pd.DataFrame({"frequency": x.astype("int64"), "recency": recency.astype("int64"),
                          "n_periods": np.full(n, int(n_opportunities), dtype="int64")})
    if return_latent:
        frame["p"], frame["theta"], frame["alive"] = p, theta, death > n_opportunities
    return frame


def simulate_pareto_nbd(n: int, params: Mapping[str, float], T, seed: int = 0,
                        return_latent: bool = False) -> pd.DataFrame:
    """Pareto/NBD customers: lambda ~ Gamma(r, rate alpha), mu ~ Gamma(s, rate beta).

    The lifetime is exponential with rate mu; purchases follow a Poisson process with rate
    lambda while alive. ``return_latent`` adds lam, mu and alive (alive at T).
    """
    rng = np.random.default_rng(seed)
    T = _observation_lengths(n, T)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], size=n)
    mu = rng.gamma(params["s"], 1.0 / params["beta"], size=n)
    lifetime = rng.exponential(1.0 / mu)
    active = np.minimum(lifetime, T)
    x = rng.poisson(lam * active)
    recency = np.zeros(n)
    has = x > 0
    recency[has] = active[has] * rng.beta(x[has], 1.0)  # last of x uniform arrivals
    if not return_latent:
        return _summary(x, recency, T)
    return _summary(x, recency, T, lam=lam, mu=mu, alive=lifetime > T)


def simulate_gamma_gamma(frequency, params: Mapping[str, float], seed: int = 0) -> np.ndarray:
    """Mean spend per repeat purchase of customers with the given frequencies.

    nu ~ Gamma(q, rate gamma) per customer; each purchase amount ~ Gamma(p, rate nu), so
    the mean of x amounts is Gamma(p x, rate nu x). Customers with x = 0 get 0.
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(frequency, float)
    nu = rng.gamma(params["q"], 1.0 / params["gamma"], size=x.size)
    spend = np.zeros(x.size)
    has = x > 0
    spend[has] = rng.gamma(params["p"] * x[has], 1.0 / (nu[has] * x[has]))
    return spend
