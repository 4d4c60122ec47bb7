"""On CDNOW (master, 39-week calibration to 1997-09-30): the models beat the recency baseline."""
import pytest

from crmlib.churn.backtest import backtest_cutoffs, run_backtest
from crmlib.churn.evaluate import metrics_table
from crmlib.datasets import load_cdnow
from crmlib.paths import shared_dataset

MASTER = shared_dataset("cdnow", "CDNOW_master.txt")


@pytest.mark.slow
def test_models_beat_recency_on_cdnow():
    if not MASTER.is_file():
        pytest.skip("CDNOW master file not available")
    transactions = load_cdnow("master")
    cutoffs = backtest_cutoffs("1998-06-30", horizon_days=90, n_cutoffs=3, test_cutoff="1997-09-30")
    result = run_backtest(transactions, cutoffs, horizon_days=90)
    metrics = metrics_table(result.predictions, result.model_names).set_index("model")
    print(metrics.round(4).to_string())
    assert len(result.test) > 23_000                  # every customer bought in Q1 1997
    assert 0.75 < result.test["churned"].mean() < 0.9  # most CDNOW customers never come back
    for name in ("logistic", "gradient_boosting"):
        assert metrics.loc[name, "roc_auc"] > metrics.loc["recency", "roc_auc"] + 0.005, metrics
        assert metrics.loc[name, "brier"] < metrics.loc["recency", "brier"]
