"""`relance` commands that exist only for the demo: `demo`, `generate`, `mail`, `apportal`, `platform`. Each
module has `register(subparsers)`, listed in pyproject.toml's `relance.commands` entry points, which
pipelines/cli.py loads without naming this package."""
