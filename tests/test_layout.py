"""The layout rule of the README holds for every file, so a newcomer can rely on it: production code never
imports the demo's stand-ins, Dagster and Streamlit stay in the files meant for them, and assets are
defined only in assets/<domain>/defs.py (jobs, sensors and schedules in pipelines/<domain>.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ("pipelines", "assets", "channels", "dashboard", "stores")


def python_files(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, including inside functions and by importlib.import_module("...")."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def importers(files: list[Path], top_level: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name} imports {module}"
        for path in files
        for module in sorted(imported_modules(path))
        if module == top_level or module.startswith(f"{top_level}.")
    ]


def test_the_files_are_found():
    files = python_files(*PRODUCTION)
    assert len(files) > 100 and ROOT / "pipelines" / "cli.py" in files


def test_production_code_never_imports_the_demo():
    assert importers(python_files(*PRODUCTION), "demo") == []


def test_the_import_scan_sees_every_form_of_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import demo\nimport demo.mailserver as m\nfrom demo.generator import generate\n"
        "def f():\n    from demo import processes\n    importlib.import_module('demo.commands.mail')\n"
        "import demography\n",
        encoding="utf-8",
    )
    assert imported_modules(sample) >= {"demo", "demo.mailserver", "demo.generator", "demo.commands.mail"}
    assert [line.split(" imports ")[1] for line in importers([sample], "demo")] == [
        "demo",
        "demo.commands.mail",
        "demo.generator",
        "demo.mailserver",
    ]


def _outside(files: list[Path], allowed) -> list[Path]:
    return [p for p in files if not allowed(p.relative_to(ROOT))]


@pytest.mark.parametrize(
    ("framework", "allowed"),
    [
        # Dagster: the code location, each domain's defs.py, the SQL-asset factory
        (
            "dagster",
            lambda rel: rel.parts[0] == "pipelines" or rel.name == "defs.py" or rel == Path("assets/sql_assets.py"),
        ),
        # Streamlit: the app, its pages and their one helper module
        (
            "streamlit",
            lambda rel: (
                rel == Path("dashboard/app.py")
                or rel.parts[:2] == ("dashboard", "app_pages")
                or rel == Path("dashboard/ui.py")
            ),
        ),
    ],
)
def test_plain_python_modules_import_neither_dagster_nor_streamlit(framework, allowed):
    files = _outside(python_files(*PRODUCTION, "demo"), allowed)
    assert importers(files, framework) == []


# (pipelines/serving.py places the snapshot, which assets/serving/defs.py defines, after the merged marts)
DEFINING = ("asset", "multi_asset", "asset_check", "multi_asset_check", "sql_asset")


def test_assets_and_checks_are_defined_only_in_assets_domain_defs():
    misplaced = []
    for path in python_files("pipelines", "assets"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] == "assets" and (rel.name == "defs.py" or rel == Path("assets/sql_assets.py")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            target = node.func if isinstance(node, ast.Call) else None
            name = getattr(target, "attr", None) or getattr(target, "id", None)
            if name in DEFINING:
                misplaced.append(f"{rel}:{node.lineno} {name}")
    assert misplaced == []


def test_every_asset_of_the_code_location_comes_from_a_domain_defs_module():
    import dagster as dg

    from pipelines.definitions import defs

    modules = set()
    for item in defs.assets or []:
        assert isinstance(item, dg.AssetsDefinition)
        compute = item.op.compute_fn.decorated_fn
        modules.add(compute.__module__)
    assert modules <= {
        "assets.sql_assets",
        *(f"assets.{p.parent.name}.defs" for p in (ROOT / "assets").glob("*/defs.py")),
    }, modules
    assert "assets.sql_assets" in modules and "assets.ingest.defs" in modules
