"""Churn prediction for non-contractual customers (notebook 04).

A customer has churned after ``churn_inactive_days`` without a purchase. The package builds
leakage-free labels and features at cutoff dates (:mod:`~crmlib.churn.features`), backtests
models in time order against baselines (:mod:`~crmlib.churn.backtest`,
:mod:`~crmlib.churn.baselines`, :mod:`~crmlib.churn.evaluate`), turns probabilities into a
profitable contact list (:mod:`~crmlib.churn.targeting`), explains them
(:mod:`~crmlib.churn.explain`), scores today's customers with a 4R action
(:mod:`~crmlib.churn.scoring`) and shows how fast segments churn (:mod:`~crmlib.churn.survival`).
Charts live in :mod:`crmlib.churn.plots`.
"""
from crmlib.churn.backtest import (BacktestPlan, BacktestResult, backtest_cutoffs, build_snapshots,
                                   make_models, plan_backtest, refit, run_backtest, time_split)
from crmlib.churn.evaluate import evaluate, gains_table, metrics_table
from crmlib.churn.features import (PurchaseHistory, churn_features, churn_labels, churn_snapshot,
                                   feature_columns, purchase_history)
from crmlib.churn.targeting import best_cutoff, customer_value, expected_gain, profit_curve

__all__ = ["BacktestPlan", "BacktestResult", "PurchaseHistory", "backtest_cutoffs", "best_cutoff", "build_snapshots",
           "churn_features", "churn_labels", "churn_snapshot", "customer_value", "evaluate",
           "expected_gain", "feature_columns", "gains_table", "make_models", "metrics_table",
           "plan_backtest", "profit_curve", "purchase_history", "refit", "run_backtest", "time_split"]
