"""Dagster definitions for the dashboard domain: the marts its screens read (published with the snapshot)."""

import dagster as dg

from assets.dashboard_assets import ASSETS, CHECKS

defs = dg.Definitions(assets=ASSETS, asset_checks=CHECKS)
