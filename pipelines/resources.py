"""Resources shared by every domain, configured from the environment."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import dagster as dg
import duckdb
from sqlalchemy import Engine

from stores import operational, warehouse
from stores.home import Home


class RelanceResource(dg.ConfigurableResource):
    """The data home (RELANCE_HOME) and the operational store URL (RELANCE_OPERATIONAL_URL)."""

    home: str
    operational_url: Optional[str] = None

    @property
    def paths(self) -> Home:
        return Home(Path(self.home).expanduser().resolve()).ensure()

    @contextmanager
    def warehouse(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = warehouse.connect(self.paths.warehouse, read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def opstore(self) -> Engine:
        return operational.open_store(self.operational_url or self.paths.operational_url)


def _from_env(name: str, default: str | None):
    # EnvVar defers reading to run time (what the Dagster UI shows); a default keeps a plain checkout working.
    return dg.EnvVar(name) if os.environ.get(name) else default


def relance_resource() -> RelanceResource:
    return RelanceResource(
        home=_from_env("RELANCE_HOME", str(Path("./var").resolve())),
        operational_url=_from_env("RELANCE_OPERATIONAL_URL", None),
    )


WAREHOUSE_POOL = "warehouse"  # every asset writing the DuckDB file runs in this pool, limit 1
