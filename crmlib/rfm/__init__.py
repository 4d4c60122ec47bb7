"""RFM segmentation (notebook 02): scores, named segments with a 4R programme, tiers, migration.

Computing lives in :mod:`crmlib.rfm.segments` (re-exported here), the default segment rules and
the segment names in both languages in ``rfm_segments.yaml`` beside it, the tables and sentences
people read in :mod:`crmlib.rfm.report`, the charts in :mod:`crmlib.rfm.plots`. The customer summary it
starts from is :mod:`crmlib.summary` (shared by notebooks 02–05); campaign lists are
:mod:`crmlib.campaigns` (shared with notebook 04).
"""
from crmlib.rfm.segments import (assign_segments, assign_tiers, DEFAULT_RULES_PATH,
                                 edge_scores, FOUR_R, FREQUENCY_BASES,
                                 headline_figures, load_segment_rules, migration,
                                 migration_matrix, MONETARY_BASES, movements, NO_LONGER,
                                 NOT_YET, quantile_scores, resolve_earlier_date, rf_grid,
                                 rfm_scores, SCORES, Segment, segment_customers,
                                 segment_summary, SegmentRules, slipping_high_value, TIER_NAMES,
                                 tier_summary, to_scale)

__all__ = ["assign_segments", "assign_tiers", "DEFAULT_RULES_PATH",
           "edge_scores", "FOUR_R", "FREQUENCY_BASES", "headline_figures",
           "load_segment_rules", "migration", "migration_matrix", "MONETARY_BASES", "movements",
           "NO_LONGER", "NOT_YET", "quantile_scores", "resolve_earlier_date", "rf_grid",
           "rfm_scores", "SCORES", "Segment", "segment_customers", "segment_summary",
           "SegmentRules", "slipping_high_value", "TIER_NAMES", "tier_summary", "to_scale"]
