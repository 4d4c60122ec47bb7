"""Vectorised series for the Gauss hypergeometric functions of the Pareto/NBD likelihood.

Every function needed has the form G(z) = 2F1(1, b; c + 1; z) with c = r + s + x and
b one of r + x, r + x + 1 (dropout slower than purchasing) or s + 1, s (the opposite), and
0 <= z < 1. Its series sum_k g_k z^k has positive coefficients g_k = prod_{j<=k} (b+j-1)/(c+j)
that decrease in k, so it converges with no cancellation. For one frequency x the
coefficients are shared by all customers: the powers z^k form a matrix Z and one matrix
product Z @ C returns G together with its first and second derivatives with respect to
r, s and z (exact derivatives of the truncated series, truncated below 1e-15 of G).
"""
from __future__ import annotations

import numpy as np

from crmlib.ltv._fit import check_budget

#: Bin edges on z: rows in a higher bin need more terms.
_Z_BINS = np.array([0.25, 0.5, 0.7, 0.85, 0.93, 0.97, 0.99, 0.997])
#: Hard cap on the number of terms (reached only when z > 0.999, far from any optimum).
MAX_TERMS = 20_000
_TOL = 1e-15
_MAX_CELLS = 1 << 22  # rows x terms per matrix block
#: Groups needing at most this many terms are summed in one block (no binning on z).
_FAST_TERMS = 64

# column order of the derivative block
COLUMNS = ("G", "r", "s", "rr", "rs", "ss", "z", "rz", "sz", "zz")


def n_terms(b: float, c: float, z_max: float) -> int:
    """Number of terms after which g_k z^k (k+2)^2 / (1 - z) < 1e-15 (capped)."""
    if z_max <= 0.0:
        return 3
    z_max = min(z_max, 1.0 - 1e-12)
    limit = 64
    while True:
        k = np.arange(1, limit + 1)
        log_g = np.cumsum(np.log(b + k - 1.0) - np.log(c + k))
        bound = log_g + k * np.log(z_max) + 2 * np.log(k + 2.0) - np.log1p(-z_max)
        hit = np.nonzero(bound < np.log(_TOL))[0]
        if hit.size:
            return int(hit[0]) + 3
        if limit >= MAX_TERMS:
            return MAX_TERMS
        limit = min(limit * 4, MAX_TERMS)


def coefficients(b, c, b_on_r: bool, n: int, order: int) -> np.ndarray:
    """Coefficients of sum_k coef_k z^k for G and its derivatives.

    ``b`` and ``c`` are scalars or arrays (one per frequency); the result has shape
    (len(b), n, columns) (leading axis dropped for scalars). ``b_on_r``: b moves
    one-for-one with r (else with s); c = r + s + x moves with both. order 0 gives the G
    column only; order 1 adds r, s, z; order 2 all ten columns of :data:`COLUMNS`.
    """
    scalar = np.ndim(b) == 0
    b = np.atleast_1d(np.asarray(b, float))[:, None]
    c = np.atleast_1d(np.asarray(c, float))[:, None]
    k = np.arange(1, n + 2)
    rb, rc = b + k - 1.0, c + k
    zero = np.zeros((b.shape[0], 1))
    g = np.exp(np.concatenate([zero, np.cumsum(np.log(rb) - np.log(rc), axis=1)], axis=1))
    if order == 0:
        out = g[:, :n, None]
        return out[0] if scalar else out
    A = np.concatenate([zero, np.cumsum(1.0 / rb, axis=1)], axis=1)
    P = np.concatenate([zero, np.cumsum(1.0 / rc, axis=1)], axis=1)
    d_r, d_s = (A - P, -P) if b_on_r else (-P, A - P)
    j = np.arange(n, dtype=float)
    g_r, g_s = g * d_r, g * d_s
    if order == 1:
        out = np.stack([g[:, :n], g_r[:, :n], g_s[:, :n], (j + 1) * g[:, 1:n + 1]], axis=2)
        return out[0] if scalar else out
    A2 = np.concatenate([zero, np.cumsum(1.0 / rb**2, axis=1)], axis=1)
    P2 = np.concatenate([zero, np.cumsum(1.0 / rc**2, axis=1)], axis=1)
    d_rr, d_rs, d_ss = (-A2 + P2, P2, P2) if b_on_r else (P2, P2, -A2 + P2)
    out = np.stack([
        g[:, :n], g_r[:, :n], g_s[:, :n],
        (g * (d_r**2 + d_rr))[:, :n], (g * (d_r * d_s + d_rs))[:, :n], (g * (d_s**2 + d_ss))[:, :n],
        (j + 1) * g[:, 1:n + 1], (j + 1) * g_r[:, 1:n + 1], (j + 1) * g_s[:, 1:n + 1],
        (j + 1) * (j + 2) * g[:, 2:n + 2],
    ], axis=2)
    return out[0] if scalar else out


def _n_terms_many(b: np.ndarray, c: np.ndarray, z_max: np.ndarray, limit: int = 64) -> np.ndarray:
    """:func:`n_terms` for many (b, c, z_max) at once; ``limit + 1`` where more are needed."""
    k = np.arange(1, limit + 1)
    log_g = np.cumsum(np.log(b[:, None] + k - 1.0) - np.log(c[:, None] + k), axis=1)
    z = np.clip(z_max, 1e-300, 1.0 - 1e-12)[:, None]
    bound = log_g + k * np.log(z) + 2 * np.log(k + 2.0) - np.log1p(-z)
    below = bound < np.log(_TOL)
    first = np.where(below.any(axis=1), below.argmax(axis=1) + 3, limit + 1)
    return np.where(z_max <= 0.0, 3, first)


def _powers(z: np.ndarray, n: int) -> np.ndarray:
    """Matrix of z^k, k = 0..n-1."""
    powers = np.empty((z.size, n), order="F")
    powers[:, 0] = 1.0
    for k in range(1, n):
        np.multiply(powers[:, k - 1], z, out=powers[:, k])
    return powers


def _powers_times(z: np.ndarray, coef: np.ndarray) -> np.ndarray:
    n_terms_ = coef.shape[0]
    out = np.empty((z.size, coef.shape[1]))
    step = max(1, _MAX_CELLS // n_terms_)
    for start in range(0, z.size, step):
        check_budget()
        out[start:start + step] = _powers(z[start:start + step], n_terms_) @ coef
    return out


def evaluate_groups(z: np.ndarray, bounds: np.ndarray, b: np.ndarray, c: np.ndarray,
                    b_on_r: bool, order: int) -> np.ndarray:
    """:func:`evaluate` for consecutive groups of rows (rows bounds[g]:bounds[g+1] use
    b[g], c[g]); groups needing few terms share one coefficient table and power matrix."""
    n_cols = (1, 4, 10)[order]
    out = np.empty((z.size, n_cols), order="F")  # column-major: callers read whole columns
    if z.size == 0:
        return out
    lo = bounds[:-1]
    z_max = np.maximum.reduceat(z, lo)
    n_needed = _n_terms_many(b, c, z_max, _FAST_TERMS)
    fast = n_needed <= _FAST_TERMS
    if fast.any():
        n_max = int(n_needed[fast].max())
        table = coefficients(b[fast], c[fast], b_on_r, n_max, order)
        for row, g in enumerate(np.nonzero(fast)[0]):
            start, stop, n = bounds[g], bounds[g + 1], int(n_needed[g])
            if start == 0 and stop == z.size:
                np.matmul(_powers(z, n), table[row, :n], out=out)
            else:
                out[start:stop] = _powers(z[start:stop], n) @ table[row, :n]
    for g in np.nonzero(~fast)[0]:
        start, stop = bounds[g], bounds[g + 1]
        out[start:stop] = evaluate(z[start:stop], b[g], c[g], b_on_r, order)
    return out


def evaluate(z: np.ndarray, b: float, c: float, b_on_r: bool, order: int) -> np.ndarray:
    """G(z) = 2F1(1, b; c+1; z) and derivatives (columns as :data:`COLUMNS`) for one x."""
    z = np.asarray(z, float)
    n_cols = (1, 4, 10)[order]
    if z.size == 0:
        return np.empty((0, n_cols))
    z_max = float(z.max())
    if z_max <= _Z_BINS[0]:
        n = n_terms(b, c, z_max)
        return _powers_times(z, coefficients(b, c, b_on_r, n, order))
    out = np.empty((z.size, n_cols))
    bins = np.searchsorted(_Z_BINS, z)
    for level in np.unique(bins):
        rows = np.nonzero(bins == level)[0]
        zb = z[rows]
        n = n_terms(b, c, float(zb.max()))
        out[rows] = _powers_times(zb, coefficients(b, c, b_on_r, n, order))
    return out
