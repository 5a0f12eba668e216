"""Dagster asset of the serving domain: the snapshot the dashboard and the portal read.

The snapshot runs after every marts asset of every domain, so it is built by a factory taking the upstream
asset keys; pipelines/serving.py passes the marts keys of the merged domains. Thin: publishing is
stores/snapshot.py.
"""

from collections.abc import Iterable

import dagster as dg

from pipelines.resources import WAREHOUSE_POOL, RelanceResource
from stores import snapshot

GROUP = "serving"
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
        group_name=GROUP,
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
