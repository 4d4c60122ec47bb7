"""The Pareto/NBD likelihood's per-customer terms and their weighted sums, compiled.

For each customer, with E(t) = (alpha+t)^-(r+x) (beta+t)^-s and c = r + s + x,

    u1 = log[(r+x)/c E(T) K(z_T)],   u2 = log[(s/c) E(t_x) H(z_tx)]

(``pareto_nbd`` gives K, H and z), and the bracketed likelihood is exp(u1) + exp(u2).
:func:`sum_terms` adds w log(exp(u1) + exp(u2)) over customers with its gradient and
Hessian in theta = (r, alpha, s, beta), one pass per customer with no per-customer
temporaries; it also writes u1 and u2 per customer (P(alive) is exp(u1) over the sum).
Customers come sorted by frequency, in groups sharing x, hence the series' coefficients.
"""
from __future__ import annotations

import numba
import numpy as np

from crmlib.ltv._hyp2f1_series import coefficient_table, n_terms, row_sum


@numba.njit(cache=True, nogil=True)
def _z(t, alpha, beta):
    if alpha >= beta:
        return (alpha - beta) / (alpha + t)
    return (beta - alpha) / (beta + t)


@numba.njit(cache=True, nogil=True)
def _log_term(t, x, r, alpha, s, beta, is_K, coef, order, cols, grad, hess):
    """One term (``is_K``: u1 at t = T, else u2 at t = t_x); fills ``grad`` (4) and ``hess``
    (4 x 4) up to ``order`` and returns the value. ``cols``: scratch for the series."""
    above = alpha >= beta
    z = _z(t, alpha, beta)
    with_factor = is_K if above else not is_K
    row_sum(coef, z, cols)
    rx, c = r + x, r + s + x
    log_at, log_bt = np.log(alpha + t), np.log(beta + t)
    G = cols[0]
    value = np.log(G) - rx * log_at - s * log_bt - np.log(c)
    value += np.log(rx) if is_K else np.log(s)
    if with_factor:
        value += np.log1p(-z)
    if order == 0:
        return value
    inv_G, inv_c = 1.0 / G, 1.0 / c
    inv_at, inv_bt = 1.0 / (alpha + t), 1.0 / (beta + t)
    L_r, L_s = cols[1] * inv_G, cols[2] * inv_G
    G_z = (cols[6] if order == 2 else cols[3]) * inv_G
    L_z = G_z - 1.0 / (1.0 - z) if with_factor else G_z
    if above:  # derivatives of z with respect to alpha and beta
        z_a, z_b = (beta + t) * inv_at * inv_at, -inv_at
    else:
        z_a, z_b = -inv_bt, (alpha + t) * inv_bt * inv_bt
    grad[0] = L_r - log_at - inv_c + (1.0 / rx if is_K else 0.0)
    grad[1] = L_z * z_a - rx * inv_at
    grad[2] = L_s - log_bt - inv_c + (0.0 if is_K else 1.0 / s)
    grad[3] = L_z * z_b - s * inv_bt
    if order == 1:
        return value
    L_zz = cols[9] * inv_G - G_z * G_z
    if with_factor:
        L_zz -= 1.0 / ((1.0 - z) * (1.0 - z))
    L_rz = cols[7] * inv_G - L_r * G_z
    L_sz = cols[8] * inv_G - L_s * G_z
    inv_c2 = inv_c * inv_c
    hess[0, 0] = cols[3] * inv_G - L_r * L_r + inv_c2 - (1.0 / (rx * rx) if is_K else 0.0)
    hess[0, 1] = L_rz * z_a - inv_at
    hess[0, 2] = cols[4] * inv_G - L_r * L_s + inv_c2
    hess[0, 3] = L_rz * z_b
    hess[1, 2] = L_sz * z_a
    hess[2, 2] = cols[5] * inv_G - L_s * L_s + inv_c2 - (0.0 if is_K else 1.0 / (s * s))
    hess[2, 3] = L_sz * z_b - inv_bt
    if above:  # z_aa = -2 (beta+t)/(alpha+t)^3, z_ab = 1/(alpha+t)^2, z_bb = 0
        hess[1, 1] = L_zz * z_a * z_a - 2.0 * L_z * z_a * inv_at
        hess[1, 3] = L_zz * z_a * z_b + L_z * inv_at * inv_at
        hess[3, 3] = L_zz * z_b * z_b
    else:  # z_aa = 0, z_ab = 1/(beta+t)^2, z_bb = -2 (alpha+t)/(beta+t)^3
        hess[1, 1] = L_zz * z_a * z_a
        hess[1, 3] = L_zz * z_a * z_b + L_z * inv_bt * inv_bt
        hess[3, 3] = L_zz * z_b * z_b - 2.0 * L_z * z_b * inv_bt
    hess[1, 1] += rx * inv_at * inv_at
    hess[3, 3] += s * inv_bt * inv_bt
    for i in range(4):
        for j in range(i):
            hess[i, j] = hess[j, i]
    return value


@numba.njit(cache=True, nogil=True)
def sum_terms(theta, x, t_x, T, w, bounds, order, u1_out, u2_out, grad_out, hess_out):
    """Weighted sum of log(exp(u1) + exp(u2)) over rows bounds[0]:bounds[-1] (groups of one
    frequency each); adds the gradient and Hessian into ``grad_out``/``hess_out`` (order 1,
    2) and writes u1, u2 per row. Returns the value."""
    r, alpha, s, beta = theta[0], theta[1], theta[2], theta[3]
    above = alpha >= beta
    n_cols = (1, 4, 10)[order]
    cols = np.empty(n_cols)
    g1, g2, g2_last = np.zeros(4), np.zeros(4), np.zeros(4)
    h1, h2, h2_last = np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((4, 4))
    total = 0.0
    for g in range(bounds.size - 1):
        lo, hi = bounds[g], bounds[g + 1]
        if hi <= lo:
            continue
        xg = x[lo]
        c = r + s + xg
        # z falls with t: the group's largest z is at its shortest T and t_x
        T_min, tx_min = T[lo:hi].min(), t_x[lo:hi].min()
        b_K = r + xg + 1.0 if above else s
        b_H = r + xg if above else s + 1.0
        z_K, z_H = _z(T_min, alpha, beta), _z(tx_min, alpha, beta)
        coef_K = coefficient_table(b_K, c, above, n_terms(b_K, c, z_K), order)
        coef_H = coefficient_table(b_H, c, above, n_terms(b_H, c, z_H), order)
        last_tx, u2_last = -1.0, 0.0
        for i in range(lo, hi):
            u1 = _log_term(T[i], xg, r, alpha, s, beta, True, coef_K, order, cols, g1, h1)
            if t_x[i] == last_tx:  # e.g. every customer without repeat purchases: t_x = 0
                u2 = u2_last
                g2[:] = g2_last
                h2[:, :] = h2_last
            else:
                u2 = _log_term(t_x[i], xg, r, alpha, s, beta, False, coef_H, order, cols, g2, h2)
                last_tx, u2_last = t_x[i], u2
                g2_last[:] = g2
                h2_last[:, :] = h2
            u1_out[i], u2_out[i] = u1, u2
            m = max(u1, u2)
            m += np.log(np.exp(u1 - m) + np.exp(u2 - m))
            wi = w[i]
            total += wi * m
            if order == 0:
                continue
            w1 = np.exp(u1 - m)
            ww1, ww2 = wi * w1, wi * (1.0 - w1)
            for a in range(4):
                grad_out[a] += ww1 * g1[a] + ww2 * g2[a]
            if order == 2:
                spread = ww1 * (1.0 - w1)
                for a in range(4):
                    d_a = g1[a] - g2[a]
                    for b in range(4):
                        hess_out[a, b] += ww1 * h1[a, b] + ww2 * h2[a, b] + spread * d_a * (g1[b] - g2[b])
    return total
