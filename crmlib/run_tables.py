"""Which tables of a run one notebook reads from another's folder (a light module: the runner
schedules by it without importing the models)."""
from __future__ import annotations

#: Where each kind of segment comes from: the notebook's folder, tables to look at first
#: (then any other CSV), and the columns naming the segment, best first (several columns
#: are joined: cluster "1" with persona "Loyal big spenders" -> "1 · Loyal big spenders").
SEGMENT_SOURCES = {
    "rfm": ("02_rfm_segmentation", ("rfm_segments", "customer_segments", "segments", "rfm_customers",
                                    "customers"),
            (("segment",), ("rfm_segment",), ("segment_name",))),
    "cluster": ("03_kmeans_clustering", ("clusters", "customer_clusters", "cluster_assignments"),
                (("cluster", "persona"), ("persona",), ("cluster_name",), ("cluster",))),
}

#: Notebooks that read other notebooks' tables of the same run: 05 values the RFM segments and clusters.
READS_FROM = {"05_ltv_scenarios": tuple(folder for folder, _, _ in SEGMENT_SOURCES.values())}
