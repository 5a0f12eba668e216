"""Resources shared by every domain, configured from the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from sqlalchemy import Engine

from stores import operational, warehouse
from stores.home import Home, relance_home


class RelanceResource(dg.ConfigurableResource):
    """The data home (RELANCE_HOME) and the operational store URL (RELANCE_OPERATIONAL_URL)."""

    # None: read RELANCE_HOME (default ./var) when the run uses it, not when the code location is loaded
    home: str | None = None
    operational_url: str | None = None

    @property
    def paths(self) -> Home:
        if self.home:
            return Home(Path(self.home).expanduser().resolve()).ensure()
        return relance_home().ensure()

    @contextmanager
    def warehouse(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = warehouse.connect(self.paths.warehouse, read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def opstore(self) -> Engine:
        return operational.open_store(self.operational_url or self.paths.operational_url)


def _from_env(name: str):
    # EnvVar: read at run time and shown as such in the Dagster UI. Unset at load time: None, so the
    # resource falls back to the environment (or the default) when a run starts, never to a path frozen
    # at import.
    return dg.EnvVar(name) if os.environ.get(name) else None


def relance_resource() -> RelanceResource:
    return RelanceResource(home=_from_env("RELANCE_HOME"), operational_url=_from_env("RELANCE_OPERATIONAL_URL"))


WAREHOUSE_POOL = "warehouse"  # every asset writing the DuckDB file runs in this pool, limit 1
