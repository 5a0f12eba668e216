"""The serving domain: the snapshot asset (defs.py) publishing staging and marts for the dashboard and the
portal; the publication itself is stores/snapshot.py."""
