"""Future value by segment: customer lifetime value summed over RFM segments or clusters.

The segments come from notebooks 02 (RFM) and 03 (k-means) of the same run: their output
folders sit beside notebook 05's (``<run>/02_rfm_segmentation/``, ``<run>/03_kmeans_clustering/``)
and hold a per-customer table with ``customer_id`` and a segment column.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

#: Where each kind of segment comes from: notebook folder, candidate tables (first found
#: wins, then any CSV) and candidate segment columns.
SEGMENT_SOURCES = {
    "rfm": ("02_rfm_segmentation", ("customer_segments", "rfm_customers", "customers", "rfm_scores"),
            ("segment", "rfm_segment", "segment_name")),
    "cluster": ("03_kmeans_clustering", ("customer_clusters", "cluster_assignments", "customers",
                                         "clusters"),
                ("cluster_name", "cluster_label", "segment", "cluster")),
}

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
        header = pd.read_csv(path, nrows=0, encoding="utf-8").columns
        column = next((c for c in columns if c in header), None)
        if "customer_id" not in header or column is None:
            continue
        table = pd.read_csv(path, usecols=["customer_id", column], dtype={"customer_id": str},
                            encoding="utf-8")
        table = table.rename(columns={column: "segment"}).drop_duplicates("customer_id")
        table["segment"] = table["segment"].astype(str)
        return table, path.name
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
