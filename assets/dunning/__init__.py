"""The dunning domain: policies, who is left alone (eligibility), the planner and its ledger of contacts,
batches, on-demand requests, what a message says (templates, messages) and the simulator (plain Python), and
its Dagster assets in defs.py (the request job's op is in pipelines/dunning.py)."""
