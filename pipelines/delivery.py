"""Dagster definitions for the delivery domain."""

import dagster as dg

defs = dg.Definitions()
