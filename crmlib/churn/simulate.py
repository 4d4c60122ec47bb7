"""A customer base where churn comes from known drivers (for tests and the benchmark).

Each customer signs up on a random day, buys as a Poisson process with a personal rate and
stops for good at a random *death* day. The death hazard is driven by the customer's ``plan``
(``basic`` customers leave ``plan_effect`` times faster than ``premium`` ones); ``city`` is pure
noise. Dead customers never buy again, so the true churn drivers are known.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_customer_base(n_customers: int = 3000, seed: int = 0, start: str = "2023-01-01",
                           days: int = 730, purchase_every_days: float = 30.0,
                           premium_lifetime_days: float = 600.0, plan_effect: float = 5.0
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(transactions, customers) in canonical form; customers also hold the true ``death_date``.

    Purchase rates are Gamma(2) around one purchase every ``purchase_every_days``; lifetimes
    are exponential with mean ``premium_lifetime_days`` (premium) or that ÷ ``plan_effect``
    (basic). Sign-ups are uniform over the first 60 % of the period.
    """
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    origin = pd.Timestamp(start)
    signup = rng.integers(0, int(days * 0.6), n)
    premium = rng.random(n) < 0.5
    lifetime = rng.exponential(np.where(premium, premium_lifetime_days,
                                        premium_lifetime_days / plan_effect))
    rate = rng.gamma(2.0, 1.0 / (2.0 * purchase_every_days), n)
    end_alive = np.minimum(signup + lifetime, days)
    counts = rng.poisson(rate * (end_alive - signup))
    owner = np.repeat(np.arange(n), counts)
    offsets = rng.random(owner.size) * (end_alive - signup)[owner]
    day = np.concatenate([signup, (signup[owner] + offsets).astype(np.int64)])
    owner = np.concatenate([np.arange(n), owner])  # everyone buys on the sign-up day
    ids = np.array([f"C{i:07d}" for i in range(n)], dtype=object)
    transactions = pd.DataFrame({
        "customer_id": ids[owner],
        "date": origin + pd.to_timedelta(day, unit="D"),
        "amount": np.round(rng.lognormal(np.log(150_000), 0.6, owner.size), -2),
    }).sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)
    transactions["is_return"] = False
    customers = pd.DataFrame({
        "customer_id": ids,
        "plan": np.where(premium, "premium", "basic"),
        "city": rng.choice(["Jakarta", "Bandung", "Surabaya", "Medan"], n),
        "death_date": origin + pd.to_timedelta(np.floor(signup + lifetime), unit="D"),
    })
    return transactions, customers
