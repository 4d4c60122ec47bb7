"""Series for the Gauss hypergeometric functions of the Pareto/NBD likelihood, compiled.

Every function needed has the form G(z) = 2F1(1, b; c + 1; z) with c = r + s + x and
b one of r + x, r + x + 1 (dropout slower than purchasing) or s + 1, s (the opposite), and
0 <= z < 1. Its series sum_k g_k z^k has positive coefficients g_k = prod_{j<=k} (b+j-1)/(c+j)
that decrease in k, so it converges with no cancellation. For one frequency x the
coefficients are shared by all customers: one table per frequency holds the coefficients of
G and of its first and second derivatives with respect to r, s and z (exact derivatives of
the truncated series), and each customer's sums run until the terms fall below 1e-15 of G
at his own z. The loops are compiled with Numba (one pass per customer, no power matrix);
the compiled code is cached beside this file after the first use.
"""
from __future__ import annotations

import numba
import numpy as np

#: Hard cap on the number of terms (reached only when z > 0.999, far from any optimum).
MAX_TERMS = 20_000
_TOL = 1e-15
_ROWS_PER_CALL = 1 << 16  # rows per compiled call: the fit's time budget is checked between calls

# column order of the derivative block
COLUMNS = ("G", "r", "s", "rr", "rs", "ss", "z", "rz", "sz", "zz")
_N_COLUMNS = (1, 4, 10)


@numba.njit(cache=True, nogil=True)
def n_terms(b, c, z_max):
    """Terms after which g_k z^k (k+2)^2 / (1 - z) < 1e-15 (capped at MAX_TERMS)."""
    if z_max <= 0.0:
        return 3
    z_max = min(z_max, 1.0 - 1e-12)
    log_z, log_tol, log_gap = np.log(z_max), np.log(_TOL), np.log1p(-z_max)
    log_g = 0.0
    for k in range(1, MAX_TERMS + 1):
        log_g += np.log(b + k - 1.0) - np.log(c + k)
        if log_g + k * log_z + 2.0 * np.log(k + 2.0) - log_gap < log_tol:
            return min(k + 2, MAX_TERMS)
    return MAX_TERMS


@numba.njit(cache=True, nogil=True)
def coefficient_table(b, c, b_on_r, n, order):
    """Coefficients of sum_k coef_k z^k for G and its derivatives: (n, columns).

    ``b_on_r``: b moves one-for-one with r (else with s); c = r + s + x moves with both.
    """
    g = np.empty(n + 2)
    d_r = np.empty(n + 2)
    d_s = np.empty(n + 2)
    d_rr = np.empty(n + 2)
    d_rs = np.empty(n + 2)
    d_ss = np.empty(n + 2)
    log_g = A = P = A2 = P2 = 0.0
    for k in range(n + 2):
        if k > 0:
            rb, rc = b + k - 1.0, c + k
            log_g += np.log(rb) - np.log(rc)
            A += 1.0 / rb
            P += 1.0 / rc
            A2 += 1.0 / (rb * rb)
            P2 += 1.0 / (rc * rc)
        g[k] = np.exp(log_g)
        if b_on_r:
            d_r[k], d_s[k], d_rr[k], d_rs[k], d_ss[k] = A - P, -P, P2 - A2, P2, P2
        else:
            d_r[k], d_s[k], d_rr[k], d_rs[k], d_ss[k] = -P, A - P, P2, P2, P2 - A2
    out = np.empty((n, _N_COLUMNS[order]))
    for j in range(n):
        out[j, 0] = g[j]
        if order == 1:
            out[j, 1] = g[j] * d_r[j]
            out[j, 2] = g[j] * d_s[j]
            out[j, 3] = (j + 1) * g[j + 1]
        elif order == 2:
            out[j, 1] = g[j] * d_r[j]
            out[j, 2] = g[j] * d_s[j]
            out[j, 3] = g[j] * (d_r[j] * d_r[j] + d_rr[j])
            out[j, 4] = g[j] * (d_r[j] * d_s[j] + d_rs[j])
            out[j, 5] = g[j] * (d_s[j] * d_s[j] + d_ss[j])
            out[j, 6] = (j + 1) * g[j + 1]
            out[j, 7] = (j + 1) * g[j + 1] * d_r[j + 1]
            out[j, 8] = (j + 1) * g[j + 1] * d_s[j + 1]
            out[j, 9] = (j + 1) * (j + 2) * g[j + 2]
    return out


@numba.njit(cache=True, nogil=True)
def _cut_off(table, n, k, power, limit, last):
    """The last term's index: one past the first k whose bound g_k z^k (k+2)^2 is below
    ``limit`` (the group's cut-off counts terms the same way)."""
    if last == n and k > 0 and table[k, 0] * power * (k + 2.0) * (k + 2.0) < limit:
        return k + 1
    return last


@numba.njit(cache=True, nogil=True)
def row_sum(table, z, acc):
    """acc[:] = sum_k table[k] z^k, stopping at this z's own cut-off.

    One loop per column count (1, 4 or 10), with the sums in scalars (registers)."""
    n, n_cols = table.shape
    limit = _TOL * (1.0 - z)
    power, last = 1.0, n
    if n_cols == 1:
        a0 = 0.0
        for k in range(n):
            a0 += table[k, 0] * power
            if k >= last:
                break
            last = _cut_off(table, n, k, power, limit, last)
            power *= z
        acc[0] = a0
    elif n_cols == 4:
        a0 = a1 = a2 = a3 = 0.0
        for k in range(n):
            a0 += table[k, 0] * power
            a1 += table[k, 1] * power
            a2 += table[k, 2] * power
            a3 += table[k, 3] * power
            if k >= last:
                break
            last = _cut_off(table, n, k, power, limit, last)
            power *= z
        acc[0], acc[1], acc[2], acc[3] = a0, a1, a2, a3
    else:
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = a9 = 0.0
        for k in range(n):
            a0 += table[k, 0] * power
            a1 += table[k, 1] * power
            a2 += table[k, 2] * power
            a3 += table[k, 3] * power
            a4 += table[k, 4] * power
            a5 += table[k, 5] * power
            a6 += table[k, 6] * power
            a7 += table[k, 7] * power
            a8 += table[k, 8] * power
            a9 += table[k, 9] * power
            if k >= last:
                break
            last = _cut_off(table, n, k, power, limit, last)
            power *= z
        acc[0], acc[1], acc[2], acc[3], acc[4] = a0, a1, a2, a3, a4
        acc[5], acc[6], acc[7], acc[8], acc[9] = a5, a6, a7, a8, a9


@numba.njit(cache=True, nogil=True)
def _sum_rows(z, lo, hi, table, out):
    acc = np.empty(table.shape[1])
    for i in range(lo, hi):
        row_sum(table, z[i], acc)
        out[i, :] = acc


@numba.njit(cache=True, nogil=True)
def _sum_groups(z, bounds, b, c, b_on_r, order, out):
    for g in range(b.size):
        lo, hi = bounds[g], bounds[g + 1]
        if hi <= lo:
            continue
        z_max = z[lo:hi].max()
        coef = coefficient_table(b[g], c[g], b_on_r, n_terms(b[g], c[g], z_max), order)
        _sum_rows(z, lo, hi, coef, out)


def evaluate_groups(z: np.ndarray, bounds: np.ndarray, b: np.ndarray, c: np.ndarray,
                    b_on_r: bool, order: int) -> np.ndarray:
    """G(z) = 2F1(1, b; c+1; z) and derivatives (columns as :data:`COLUMNS`; order 0 gives
    G only, order 1 G, r, s, z) for consecutive groups of rows: rows bounds[g]:bounds[g+1]
    use b[g], c[g]."""
    from crmlib.ltv._fit import check_budget

    z = np.ascontiguousarray(z, dtype=float)
    out = np.empty((z.size, _N_COLUMNS[order]))
    bounds = np.asarray(bounds, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=float)
    c = np.ascontiguousarray(c, dtype=float)
    # groups are split so one compiled call covers at most _ROWS_PER_CALL rows
    group = 0
    while group < b.size:
        end = int(np.searchsorted(bounds, bounds[group] + _ROWS_PER_CALL, side="right")) - 1
        end = min(max(end, group + 1), b.size)
        check_budget()
        _sum_groups(z, bounds[group:end + 1], b[group:end], c[group:end], bool(b_on_r), order, out)
        group = end
    return np.asfortranarray(out)  # column-major: callers read whole columns


def evaluate(z: np.ndarray, b: float, c: float, b_on_r: bool, order: int) -> np.ndarray:
    """G(z) = 2F1(1, b; c+1; z) and derivatives (columns as :data:`COLUMNS`) for one b, c."""
    z = np.asarray(z, float)
    return evaluate_groups(z, np.array([0, z.size]), np.array([b]), np.array([c]), b_on_r, order)
