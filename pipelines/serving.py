"""Dagster definitions for the serving domain: the snapshot the dashboard and the portal read.

The snapshot asset runs after every marts asset of every domain, so it is built by a factory taking the
upstream asset keys; pipelines/definitions.py collects them from the merged domain definitions.
"""

from collections.abc import Iterable

import dagster as dg

from pipelines.resources import WAREHOUSE_POOL, RelanceResource
from stores import snapshot

SNAPSHOT_KEY = dg.AssetKey(["serving", "snapshot"])
# what the dashboard and portal need besides the marts
STAGING_PUBLISHED = ("customers", "invoices", "invoice_lines", "payments", "disputes", "quarantine")


def published_tables(con) -> list[str]:
    marts = [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
        ).fetchall()
    ]
    return [f"staging.{t}" for t in STAGING_PUBLISHED] + [f"marts.{t}" for t in marts]


def build_snapshot_asset(upstream: Iterable[dg.AssetKey]) -> dg.AssetsDefinition:
    deps = sorted(
        {*upstream, *(dg.AssetKey(["staging", t]) for t in STAGING_PUBLISHED)}, key=lambda k: k.to_user_string()
    )

    @dg.asset(
        key=SNAPSHOT_KEY,
        deps=deps,
        group_name="serving",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description="Copies staging and every marts table into RELANCE_HOME/serving/snapshot.duckdb "
        "and swaps it in atomically.",
    )
    def serving_snapshot(relance: RelanceResource) -> dg.MaterializeResult:
        with relance.warehouse() as con:
            counts = snapshot.publish(con, published_tables(con), relance.paths.snapshot)
        return dg.MaterializeResult(
            metadata={
                "tables": dg.MetadataValue.json(counts),
                "table_count": dg.MetadataValue.int(len(counts)),
                "path": dg.MetadataValue.path(str(relance.paths.snapshot)),
            }
        )

    return serving_snapshot


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
