"""The Dagster code location (Definitions, resources, jobs, sensors, schedules) and the CLI. Wiring only."""
