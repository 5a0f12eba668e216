"""The Dagster code location: the Definitions load, and the webserver started on workspace.yaml shows the
`relance` location loaded. (`dagster dev -w workspace.yaml` itself, webserver plus daemon, is started by
`relance demo` in test_demo.py, which checks the same location through the same query.)"""

from __future__ import annotations

import json
import sys
import time
import urllib.request

import dagster as dg
import pytest

from demo.processes import ChildSpec, Supervisor, descendants
from stores.home import PROJECT_ROOT, Home
from tests.conftest import free_port

LOCATION_QUERY = """
{ workspaceOrError { __typename
    ... on Workspace { locationEntries { name loadStatus
        locationOrLoadError { __typename
          ... on RepositoryLocation { repositories { name assetNodes { id } jobs { name } } }
          ... on PythonError { message } } } } } }
"""


def test_definitions_load_with_the_relance_resource_everywhere():
    from pipelines.definitions import defs

    dg.Definitions.validate_loadable(defs)
    repository = defs.get_repository_def()
    keys = repository.asset_graph.get_all_asset_keys()
    layers = {key.path[0] for key in keys}
    assert {"raw", "staging", "marts"} <= layers
    assert "relance" in repository.get_top_level_resources()
    # every asset job resolves, including the implicit one `relance materialize` and the demo run
    assert defs.resolve_implicit_global_asset_job_def().graph.node_names()


def relance_location(port: int) -> dict | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": LOCATION_QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        workspace = json.load(response)["data"]["workspaceOrError"]
    for entry in workspace.get("locationEntries", []):
        if entry["name"] == "relance":
            return entry
    return None


def wait_for_relance_location(port: int, deadline: float) -> dict | None:
    """Poll the GraphQL API until the `relance` location is LOADED (or the monotonic deadline passes)."""
    entry = None
    while time.monotonic() < deadline:
        entry = relance_location(port)
        if entry and entry["loadStatus"] == "LOADED":
            break
        time.sleep(1)
    return entry


def assert_relance_loaded(entry: dict | None) -> None:
    assert entry is not None, "the workspace has no `relance` location"
    assert entry["loadStatus"] == "LOADED", entry
    loaded = entry["locationOrLoadError"]
    assert loaded["__typename"] == "RepositoryLocation", loaded.get("message", loaded)
    repository = loaded["repositories"][0]
    assert repository["assetNodes"] and any(j["name"] == "ingest_job" for j in repository["jobs"])


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_webserver_on_workspace_yaml_serves_the_relance_code_location(tmp_path):
    from demo.commands.demo import prepare_dagster_home

    started = time.monotonic()
    home = Home(tmp_path / "home").ensure()
    prepare_dagster_home(home)
    port = free_port()
    spec = ChildSpec(
        "dagster",
        [
            sys.executable,
            "-m",
            "dagster_webserver",
            "-w",
            str(PROJECT_ROOT / "workspace.yaml"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        port,
        ready_path="/server_info",
        ready_timeout=50,
        cwd=PROJECT_ROOT,
        env={"DAGSTER_HOME": str(home.dagster_home), "RELANCE_HOME": str(home.root)},
    )
    supervisor = Supervisor([spec], log_dir=tmp_path / "logs", stop_timeout=10)
    with supervisor:
        pids = [supervisor.children[0].process.pid]
        entry = wait_for_relance_location(port, started + 55)
        pids += descendants(pids[0])
        assert_relance_loaded(entry)
        assert len(pids) >= 2  # the webserver and the code server it started for the location
    assert [pid for pid in pids if _alive(pid)] == []
    assert time.monotonic() - started < 60


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
