"""Future value per customer, and summed over RFM segments or clusters.

:func:`customer_value` gathers each customer's forecasts (P(alive), purchases next year,
spend per purchase, next purchase date, CLV with its band) into one table;
:func:`segment_clv` sums it over segments.

The segments come from notebooks 02 (RFM) and 03 (k-means) of the same run: their output
folders sit beside notebook 05's (``<run>/02_rfm_segmentation/``, ``<run>/03_kmeans_clustering/``)
and hold a per-customer table with ``customer_id`` and a segment column.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from crmlib.run_tables import SEGMENT_SOURCES  # noqa: F401 (re-exported)
from crmlib.ltv.predict import clv_interval, expected_purchases_in_days, next_purchase_date

#: Columns of :func:`customer_value`'s table.
CUSTOMER_VALUE_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value", "p_alive",
                          "purchases_next_365_days", "spend_per_purchase", "next_purchase_median",
                          "clv", "clv_low", "clv_high")


def customer_value(summary: pd.DataFrame, transaction_model, spend_model, as_of, horizon_months: int = 12,
                   annual_discount_rate: float = 0.1, margin: float = 1.0, n_draws: int = 200,
                   seed: int = 0) -> pd.DataFrame:
    """One row per customer of ``summary`` (a BTYD summary indexed by customer_id, at ``as_of``).

    CLV = margin x expected spend x expected purchases month by month over ``horizon_months``,
    discounted monthly (:func:`crmlib.ltv.predict.clv_interval`, band = 90 % of ``n_draws``
    parameter draws, or the delta method's on large bases; ``.attrs["band_method"]`` says which).
    Columns: :data:`CUSTOMER_VALUE_COLUMNS`.
    """
    x, t_x, T, spend = summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
    table = clv_interval(transaction_model, spend_model, x, t_x, T, spend, horizon=int(horizon_months),
                         period="M", annual_discount_rate=annual_discount_rate, margin=margin,
                         n_draws=int(n_draws), level=0.90, seed=seed)
    table.insert(0, "p_alive", transaction_model.probability_alive(x, t_x, T))
    table.insert(1, "purchases_next_365_days", expected_purchases_in_days(transaction_model, x, t_x, T, 365))
    table.insert(2, "spend_per_purchase", spend_model.conditional_expected_spend(x, spend))
    table.insert(3, "next_purchase_median", next_purchase_date(transaction_model, x, t_x, T, as_of))
    band_method = table.attrs["band_method"]
    table = summary[["frequency", "recency", "T", "monetary_value"]].join(table)
    table.index.name = "customer_id"
    table = table.reset_index()[list(CUSTOMER_VALUE_COLUMNS)]
    table.attrs["band_method"] = band_method  # "draws" or "delta" (see clv_interval)
    return table



#: Segment name given to customers with a CLV but no segment in the table.
NO_SEGMENT = "(no segment)"


def find_segments(output_dir: str | Path, kind: str) -> tuple[pd.DataFrame, str] | None:
    """``(customer_id, segment)`` table of ``kind`` ("rfm" or "cluster") from the same run.

    Looks in the sibling folder of ``output_dir`` written by the notebook that makes these
    segments; returns the table (columns ``customer_id``, ``segment``) and the file's name,
    or ``None`` when that notebook's output is not there.
    """
    if kind not in SEGMENT_SOURCES:
        raise ValueError(f"kind must be one of {sorted(SEGMENT_SOURCES)}, not {kind!r}")
    folder_name, preferred, columns = SEGMENT_SOURCES[kind]
    folder = Path(output_dir).resolve().parent / folder_name
    if not folder.is_dir():
        return None
    candidates = [folder / f"{name}.csv" for name in preferred]
    candidates += sorted(p for p in folder.glob("*.csv") if p not in candidates)
    for path in candidates:
        if not path.is_file():
            continue
        header = set(pd.read_csv(path, nrows=0, encoding="utf-8").columns)
        chosen = next((combo for combo in columns if set(combo) <= header), None)
        if "customer_id" not in header or chosen is None:
            continue
        table = pd.read_csv(path, usecols=["customer_id", *chosen], dtype=str, encoding="utf-8")
        segment = table[chosen[0]].fillna("")
        for column in chosen[1:]:
            segment = segment + " · " + table[column].fillna("")
        table = pd.DataFrame({"customer_id": table["customer_id"], "segment": segment})
        return table.drop_duplicates("customer_id").reset_index(drop=True), path.name
    return None


def segment_clv(clv: pd.DataFrame, segments: pd.DataFrame, value: str = "clv") -> pd.DataFrame:
    """CLV per segment: customers, their share, total and mean CLV, share of the total CLV.

    ``clv``: one row per customer with ``customer_id`` and ``value``; ``segments``: columns
    ``customer_id`` and ``segment``. Customers with a CLV but no segment are grouped under
    ``"(no segment)"``; segmented customers without a CLV (no purchase) count with 0.
    Sorted by total CLV, largest first.
    """
    for name, frame, needed in (("clv", clv, ("customer_id", value)),
                                ("segments", segments, ("customer_id", "segment"))):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} table lacks column(s) {missing}")
    merged = (clv[["customer_id", value]].astype({"customer_id": str})
              .merge(segments[["customer_id", "segment"]].astype({"customer_id": str}),
                     on="customer_id", how="outer"))
    merged["segment"] = merged["segment"].fillna(NO_SEGMENT)
    merged[value] = merged[value].fillna(0.0)
    grouped = merged.groupby("segment", sort=True)[value]
    table = pd.DataFrame({"customers": grouped.size(), "clv_total": grouped.sum(),
                          "clv_mean": grouped.mean()})
    table["share_of_customers"] = table["customers"] / table["customers"].sum()
    total = table["clv_total"].sum()
    table["share_of_value"] = table["clv_total"] / total if total else 0.0
    table["value_index"] = table["share_of_value"] / table["share_of_customers"]
    return (table.reset_index().sort_values(["clv_total", "segment"], ascending=[False, True],
                                            ignore_index=True))


def top_customers(customer_clv: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` customers with the highest CLV (ids and forecasts only: no personal data)."""
    columns = ["customer_id", "frequency", "p_alive", "purchases_next_365_days", "spend_per_purchase",
               "clv", "clv_low", "clv_high"]
    return (customer_clv.sort_values(["clv", "customer_id"], ascending=[False, True]).head(n)[columns]
            .reset_index(drop=True))


def segment_names(output_dir: str | Path) -> dict[str, str]:
    """RFM segment -> the name notebook 02 showed for it in its run language (``{}`` without it).

    Read from 02's ``segment_summary.csv`` (columns ``segment`` and ``label``) in the same run,
    so 05 names the segments exactly as 02 does, custom segment rules included.
    """
    path = Path(output_dir).resolve().parent / SEGMENT_SOURCES["rfm"][0] / "segment_summary.csv"
    if not path.is_file():
        return {}
    table = pd.read_csv(path, dtype=str, encoding="utf-8")
    if not {"segment", "label"} <= set(table.columns):
        return {}
    return dict(zip(table["segment"], table["label"].fillna(table["segment"])))
