"""The dunning domain: policies, the planner, batches, templates and the simulator (plain Python), and its
Dagster assets in defs.py (the request job's op is in pipelines/dunning.py)."""
