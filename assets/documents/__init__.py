"""The documents domain's Dagster asset and check (defs.py). The document code itself (rendering, Factur-X,
UBL, EDIFACT, validation) is plain Python in channels/documents."""
