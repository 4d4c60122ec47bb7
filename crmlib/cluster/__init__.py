"""Behavioural customer clusters with k-means (notebook 03).

Computing lives in :mod:`crmlib.cluster.kmeans` (re-exported here), the persona names, 4R
labels, programmes and agreement sentences in :mod:`crmlib.present.cluster_text`, the tables and
titles people read in :mod:`crmlib.cluster.report`, the charts in :mod:`crmlib.cluster.plots`.
"""
from crmlib.cluster.kmeans import (BEHAVIOUR_FEATURES, build_preprocessor, choose_k,
                                   cluster_assignments, cluster_features, cluster_profiles,
                                   cluster_results, cluster_table, compare_segments,
                                   CustomerClusters, distinctive_features,
                                   distinguishing_traits, INACTIVE_DAYS, KMEANS_N_INIT, knee_point,
                                   KSelection, load_model, LOG_FEATURES, make_kmeans,
                                   MINIBATCH_BATCH_SIZE, MINIBATCH_N_INIT, MINIBATCH_THRESHOLD,
                                   N_THREADS, NAME_TRAITS, pca_map, PERSONA_LEVEL_SD,
                                   persona_traits, PERSONAL_COLUMNS, personas, programme,
                                   purchase_regularity, REGULARITY_MIN_GAPS, SECONDARY_TRAITS,
                                   SegmentAgreement, select_k, SPLIT_PART_MIN_SHARE,
                                   STABILITY_SAMPLE, STABILITY_THRESHOLD, STABILITY_TOLERANCE,
                                   standardised_means)

__all__ = ["BEHAVIOUR_FEATURES", "build_preprocessor", "choose_k", "cluster_assignments",
           "cluster_features", "cluster_profiles", "cluster_results", "cluster_table",
           "compare_segments", "CustomerClusters", "distinctive_features",
           "distinguishing_traits", "INACTIVE_DAYS", "KMEANS_N_INIT", "knee_point", "KSelection",
           "load_model", "LOG_FEATURES", "make_kmeans", "MINIBATCH_BATCH_SIZE",
           "MINIBATCH_N_INIT", "MINIBATCH_THRESHOLD", "N_THREADS", "NAME_TRAITS", "pca_map",
           "PERSONA_LEVEL_SD", "persona_traits", "PERSONAL_COLUMNS", "personas",
           "programme", "purchase_regularity", "REGULARITY_MIN_GAPS",
           "SECONDARY_TRAITS", "SegmentAgreement", "select_k", "SPLIT_PART_MIN_SHARE",
           "STABILITY_SAMPLE", "STABILITY_THRESHOLD", "STABILITY_TOLERANCE", "standardised_means"]
