"""MBG/NBD model of repeat purchasing (Batislam, Denizel & Filiztekin 2007; as lifetimes'
``ModifiedBetaGeoFitter`` and PyMC-Marketing's ``ModifiedBetaGeoModel``).

The BG/NBD with one change: a customer may also drop out right after his first purchase,
so a customer without repeat purchases is not certainly alive. While alive he buys as a
Poisson process with rate lambda ~ Gamma(r, alpha); after every purchase, the first one
included, he drops out with probability p ~ Beta(a, b).

Likelihood: B(a, b+x+1)/B(a, b) Gamma(r+x) alpha^r / Gamma(r) [(alpha+T)^-(r+x)
+ a/(b+x) (alpha+t_x)^-(r+x)]; P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)).
Every BG/NBD formula holds with b replaced by b + 1 for the customer alive after his first
purchase, who is so with probability b/(a+b).
"""
from __future__ import annotations

from crmlib.ltv.bgnbd import BetaGeoModel


class ModifiedBetaGeoModel(BetaGeoModel):
    """MBG/NBD model, fitted by maximum likelihood (same API as :class:`BetaGeoModel`)."""

    _shift = 1

    def _prior_alive(self) -> float:
        """P(no dropout right after the first purchase) = E[1 - p] = b / (a + b)."""
        _, _, a, b = self._theta()
        return b / (a + b)
