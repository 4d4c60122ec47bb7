"""Profiling the customer database (notebook 01).

- :mod:`crmlib.profile.database` — the profile slide's figures and completeness by data
  category (re-exported here);
- :mod:`crmlib.profile.quality` — data-quality alerts;
- :mod:`crmlib.profile.cohorts` — trends, period retention and acquisition cohorts;
- :mod:`crmlib.profile.report` — the tables, titles and sentences people read;
- :mod:`crmlib.profile.plots` — the charts.
"""
from crmlib.profile import cohorts, quality  # noqa: F401  (submodules, imported in dependency order)
from crmlib.profile.database import (DATA_CATEGORIES, DEFAULT_DATA_CATEGORIES, EXPECTED_FIELDS, NOT_DATA,
                                     SLIDE_ROWS, completeness, completeness_matrix, contact_checks,
                                     customer_profile, data_categories, is_filled, profile_table)

__all__ = ["DATA_CATEGORIES", "DEFAULT_DATA_CATEGORIES", "EXPECTED_FIELDS", "NOT_DATA", "SLIDE_ROWS",
           "completeness", "completeness_matrix", "contact_checks", "customer_profile", "data_categories",
           "is_filled", "profile_table"]
