"""Dagster definitions for the serving domain."""

import dagster as dg

defs = dg.Definitions()
