"""Profiling the customer database (notebook 01).

- :mod:`crmlib.profile.database` — the profile slide, completeness by data category, key
  messages (re-exported here);
- :mod:`crmlib.profile.quality` — data-quality alerts;
- :mod:`crmlib.profile.cohorts` — trends, period retention and acquisition cohorts.
"""
from crmlib.profile import cohorts, quality  # noqa: F401  (submodules, imported in dependency order)
from crmlib.profile.database import (completeness, completeness_display, completeness_matrix,
                                     contact_checks, customer_profile, DATA_CATEGORIES,
                                     data_categories, DEFAULT_DATA_CATEGORIES, EXPECTED_FIELDS,
                                     is_filled, key_messages, NOT_DATA, profile_display,
                                     profile_table, SLIDE_ROWS, so_what_completeness,
                                     so_what_slide)

__all__ = ["completeness", "completeness_display", "completeness_matrix", "contact_checks",
           "customer_profile", "DATA_CATEGORIES", "data_categories", "DEFAULT_DATA_CATEGORIES",
           "EXPECTED_FIELDS", "is_filled", "key_messages", "NOT_DATA", "profile_display",
           "profile_table", "SLIDE_ROWS", "so_what_completeness", "so_what_slide"]
