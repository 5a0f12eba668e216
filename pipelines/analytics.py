"""Dagster definitions for the analytics domain: its assets and checks (assets/analytics/defs.py), the
job rebuilding them, and the `analytics_settings` resource their SQL reads its parameters from."""

import dagster as dg

from assets.analytics.defs import ASSETS, CHECKS, GROUP
from pipelines.resources import AnalyticsSettings

analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=dg.AssetSelection.groups(GROUP),
    description="Rebuild every KPI, late-payment origin, reminder statistic and the risk score as of the run's "
    "business date (tag relance/run_date, else today in the company's time zone).",
)

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[analytics_job],
    # the `relance` resource is bound once for the code location in pipelines/definitions.py
    resources={"analytics_settings": AnalyticsSettings()},
)
