"""Dagster definitions for the analytics domain."""

import dagster as dg

defs = dg.Definitions()
