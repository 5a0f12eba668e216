"""Dagster definitions for the serving domain: the snapshot asset (assets/serving/defs.py) placed after every
marts asset of the domains it is merged with. No job of its own: the ingest job and the dashboard refresh
job end with it."""

from collections.abc import Iterable

import dagster as dg

from assets.serving.defs import build_snapshot_asset


def build_defs(upstream: Iterable[dg.AssetKey]) -> dg.Definitions:
    return dg.Definitions(assets=[build_snapshot_asset(upstream)])


def marts_keys(defs: dg.Definitions) -> list[dg.AssetKey]:
    """Keys prefixed "marts" among the (unresolved) definitions: resolving would demand resources that are
    bound only once the domains are merged."""
    keys: list[dg.AssetKey] = []
    for item in defs.assets or []:
        if isinstance(item, dg.AssetsDefinition):
            keys.extend(item.keys)
        elif isinstance(item, dg.AssetSpec):
            keys.append(item.key)
    return sorted({k for k in keys if k.path[0] == "marts"}, key=lambda k: k.to_user_string())


# alone (without the other domains) the snapshot follows the staging tables only
defs = build_defs([])
