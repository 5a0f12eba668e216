"""The Dagster code location and the CLI. Wiring only: `<domain>.py` holds a domain's jobs, sensors and
schedules (and an op only its job uses) and its `Definitions`, which gathers the assets and checks defined in
assets/<domain>/defs.py; definitions.py merges the domains; resources.py, executors.py, celery_app.py and
runs.py serve every domain; cli.py and commands/ are the `relance` command line."""
