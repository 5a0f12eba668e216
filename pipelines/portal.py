"""Dagster definitions for the portal domain."""

import dagster as dg

defs = dg.Definitions()
