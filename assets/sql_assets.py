"""The one factory that turns a warehouse SQL file into a Dagster asset, for every domain.

`sql/<layer>/<name>.sql` becomes the asset keyed [layer, name]. Its upstream assets are the tables the
statement reads, found in its text (`raw.`, `staging.`, `intermediate.` or `marts.` and a table name,
outside comments), so a join added to the SQL is an edge of the asset graph without a Python change. Each
build binds the run's business date (assets/business_date.py) as `$as_of`, plus the parameters the domain
adds, and every SQL asset reports the same metadata: `dagster/row_count` and `run_date`.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import dagster as dg
import duckdb

from assets.business_date import business_date
from pipelines.resources import WAREHOUSE_POOL
from stores import warehouse

_LINE_COMMENT = re.compile(r"--[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_TABLE_REFERENCE = re.compile(r"\b(raw|staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")

# (context, business date) -> extra parameters of the statement, e.g. the analytics settings
Parameters = Callable[[dg.AssetExecutionContext, date], Mapping[str, Any]]


def upstream_keys(layer: str, name: str) -> list[dg.AssetKey]:
    """The tables a model's SQL reads, as asset keys (a table named only in a comment is no input)."""
    code = _BLOCK_COMMENT.sub("", _LINE_COMMENT.sub("", warehouse.sql_text(layer, name)))
    found = {(m.group(1), m.group(2)) for m in _TABLE_REFERENCE.finditer(code)}
    found.discard((layer, name))
    return [dg.AssetKey([lay, table]) for lay, table in sorted(found)]


def build_metadata(rows: int, day: date | None = None, **extra: Any) -> dict[str, Any]:
    """What every warehouse asset reports: its row count (the key Dagster's UI shows) and its business date."""
    metadata: dict[str, Any] = {"dagster/row_count": dg.MetadataValue.int(int(rows))}
    if day is not None:
        metadata["run_date"] = dg.MetadataValue.text(day.isoformat())
    metadata.update(extra)
    return metadata


def sql_asset(
    layer: str,
    name: str,
    *,
    group: str,
    description: str,
    parameters: Parameters | None = None,
    resources: Iterable[str] = (),
    before_build: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> dg.AssetsDefinition:
    """The asset building table <layer>.<name> from its SQL file in the warehouse pool.

    `parameters` adds the statement's own parameters (it may read the resources named in `resources`);
    `before_build` prepares the connection first (e.g. creates the raw tables a fresh warehouse lacks)."""

    @dg.asset(
        key=[layer, name],
        deps=upstream_keys(layer, name),
        group_name=group,
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description=description,
        required_resource_keys={"relance", *resources},
    )
    def _build(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        day = business_date(context)
        params = {"as_of": day, **(parameters(context, day) if parameters else {})}
        with context.resources.relance.warehouse() as con:
            if before_build is not None:
                before_build(con)
            rows = warehouse.build_model(con, layer, name, params)
        return dg.MaterializeResult(metadata=build_metadata(rows, day))

    _build.__name__ = f"{layer}_{name}"
    return _build
