"""P(alive) along a customer's history: the value each day equals the model's P(alive) on the
package's own BTYD summary cut at that day."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.ltv import ParetoNBDModel, alive_path
from crmlib.summary import btyd_summary
from test_ltv_models import PUBLISHED_PARETO, cdnow, cdnow_bgnbd  # noqa: F401


@pytest.fixture(scope="module")
def cdnow_transactions():
    from conftest import require_dataset
    require_dataset("cdnow", "CDNOW_sample.txt")
    from crmlib.datasets import load_cdnow
    return load_cdnow("sample")


def test_alive_path_matches_the_summary_cut_at_each_day(cdnow_transactions, cdnow_bgnbd):
    counts = cdnow_transactions.groupby("customer_id")["date"].nunique()
    customer = counts[counts >= 5].index[0]
    path = alive_path(cdnow_bgnbd, cdnow_transactions, customer, "1997-09-30")
    assert path["date"].iloc[0] == cdnow_transactions.loc[
        cdnow_transactions["customer_id"] == customer, "date"].min().normalize()
    assert path["date"].iloc[-1] == pd.Timestamp("1997-09-30")
    assert path["date"].diff().dropna().eq(pd.Timedelta(days=1)).all()
    own = cdnow_transactions[cdnow_transactions["customer_id"] == customer]
    for day in path["date"].iloc[[3, 40, 100, -1]]:
        summary = btyd_summary(own, calibration_end=day, time_unit="W")
        expected = cdnow_bgnbd.probability_alive(summary["frequency"], summary["recency"], summary["T"])
        row = path.set_index("date").loc[day]
        assert row["frequency"] == summary["frequency"].iloc[0]
        assert row["p_alive"] == pytest.approx(float(np.asarray(expected)[0]), rel=1e-12)
    # BG/NBD: 1 until the first repeat purchase, then falls between purchases
    assert (path.loc[path["frequency"] == 0, "p_alive"] == 1.0).all()
    quiet = path[(path["frequency"] == path["frequency"].max())]
    assert np.all(np.diff(quiet["p_alive"].to_numpy()) <= 1e-15)


def test_pareto_alive_path_is_one_on_purchase_days(cdnow_transactions):
    model = ParetoNBDModel().with_params(list(PUBLISHED_PARETO.values()))
    counts = cdnow_transactions.groupby("customer_id")["date"].nunique()
    customer = counts[counts >= 3].index[1]
    path = alive_path(model, cdnow_transactions, customer, "1998-06-30")
    bought = path["recency"] == path["T"]
    assert bought.sum() >= 2
    np.testing.assert_allclose(path.loc[bought, "p_alive"], 1.0, atol=1e-9)
    assert path["p_alive"].iloc[-1] < path["p_alive"].max()


def test_alive_path_errors(cdnow_transactions, cdnow_bgnbd):
    with pytest.raises(ValueError, match="no transactions"):
        alive_path(cdnow_bgnbd, cdnow_transactions, "no such customer", "1997-09-30")
    first = cdnow_transactions["customer_id"].iloc[0]
    with pytest.raises(ValueError, match="no purchase on or before"):
        alive_path(cdnow_bgnbd, cdnow_transactions, first, "1990-01-01")


def test_archetypes_are_distinct_customers_with_their_defining_traits(cdnow, cdnow_bgnbd):
    from crmlib.ltv.alive_path import alive_archetypes
    picks = alive_archetypes(cdnow, cdnow_bgnbd)
    assert list(picks) == ["loyal", "lapsing", "one_time", "newcomer"]
    assert len(set(picks.values())) == 4
    alive = np.asarray(cdnow_bgnbd.probability_alive(cdnow["frequency"], cdnow["recency"], cdnow["T"]))
    alive = pd.Series(alive, index=cdnow.index)
    assert cdnow.loc[picks["loyal"], "frequency"] >= cdnow["frequency"].quantile(0.95)
    assert alive[picks["lapsing"]] == alive[cdnow["frequency"] >= 3].min()
    assert cdnow.loc[picks["one_time"], "frequency"] == 0
    assert cdnow.loc[picks["one_time"], "T"] == cdnow.loc[cdnow["frequency"] == 0, "T"].max()
    assert cdnow.loc[picks["newcomer"], "T"] < cdnow.loc[picks["one_time"], "T"]


def test_mask_id():
    from crmlib.privacy import mask_id
    assert mask_id("C000123") == "C***23"
    assert mask_id(98765) == "9***65"
    assert mask_id("AB1") == "***"


def test_alive_path_chart_draws_one_line_per_customer(cdnow_transactions, cdnow_bgnbd):
    import matplotlib
    matplotlib.use("Agg")
    from crmlib.ltv.model_plots import archetype_label, plot_alive_paths
    first = cdnow_transactions["customer_id"].iloc[0]
    paths = {archetype_label("loyal", "0***01", "id"): alive_path(cdnow_bgnbd, cdnow_transactions, first, "1997-09-30")}
    ax = plot_alive_paths(paths, lang="id")
    assert len(ax.get_lines()) == 1
    assert ax.get_legend().get_texts()[0].get_text() == "Pembeli setia yang sering (0***01)"
    assert ax.get_title() == "Peluang masih aktif sepanjang riwayat pelanggan"
