"""Dashboard benchmark: every page's first render and a filter change on a snapshot of 1,000,000 invoices.

    .venv/bin/python benchmarks/dashboard_benchmark.py [--invoices 1000000] [--customers 20000]
        [--repeat 3] [--work-dir DIR] [--json]

Builds a serving snapshot with the test generator (tests/dashboard/snapshot_fixture.py: invoices, customers,
payments, disputes, ~3.5 events per invoice, retrieval, late causes, risk scores), signs in through the
app's login form with Streamlit's AppTest, and for each page measures:
- first render: the page's script run right after the data cache was emptied (a new snapshot file);
- filter change: the run after choosing one segment in the sidebar (cache warm for everything else).
Reported times are the median of --repeat runs. Targets: first render <= 2 s, filter change <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGES = {
    "Overview": None,
    "Retrieval": "app_pages/retrieval.py",
    "Late-payment origins": "app_pages/late_origins.py",
    "At-risk invoices": "app_pages/at_risk.py",
    "Customer 360": "app_pages/customer_360.py",
    "Channels": "app_pages/channels.py",
    "Campaigns": "app_pages/campaigns.py",
}
FIRST_RENDER_TARGET, FILTER_CHANGE_TARGET = 2.0, 1.0


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure; the median is reported")
    parser.add_argument("--work-dir", type=Path, default=None, help="where the snapshot is built (default: temp)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="relance-dashboard-bench-"))
    home = work / "home"
    (home / "serving").mkdir(parents=True, exist_ok=True)
    os.environ["RELANCE_HOME"] = str(home)
    os.environ.pop("RELANCE_OPERATIONAL_URL", None)

    from streamlit.testing.v1 import AppTest

    from dashboard import auth, data
    from stores import operational as ops
    from tests.dashboard.snapshot_fixture import build_snapshot

    users = work / "users.toml"
    auth.save_user(users, "fiona", "benchmark-password", "finance_lead")
    os.environ["RELANCE_DASHBOARD_USERS"] = str(users)
    ops.open_store(f"sqlite:///{home / 'operational.sqlite'}").dispose()

    started = time.perf_counter()
    snapshot = build_snapshot(
        home / "serving" / "snapshot.duckdb", invoices=args.invoices, customers=args.customers, work_dir=work
    )
    build_seconds = time.perf_counter() - started
    size_mb = snapshot.stat().st_size / 1e6

    app = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.run()
    at.text_input(key="login_username").input("fiona")
    at.text_input(key="login_password").input("benchmark-password")
    at.button[0].click()
    at.run()

    results = []
    for title, path in PAGES.items():
        firsts, changes = [], []
        for _ in range(args.repeat):
            at.sidebar.multiselect(key="filter_segments").set_value([])
            data._snapshots.clear()  # a cold cache, as right after a new snapshot is published
            if path:
                at.switch_page(path)
            else:
                at.switch_page("app_pages/overview.py")
            firsts.append(_timed(at.run))
            assert not at.exception, (title, [e.value for e in at.exception])
            at.sidebar.multiselect(key="filter_segments").set_value(["sme"])
            changes.append(_timed(at.run))
            assert not at.exception, (title, [e.value for e in at.exception])
        results.append(
            {
                "page": title,
                "first_render_s": round(statistics.median(firsts), 3),
                "filter_change_s": round(statistics.median(changes), 3),
                "first_render_max_s": round(max(firsts), 3),
                "filter_change_max_s": round(max(changes), 3),
            }
        )

    summary = {
        "invoices": args.invoices,
        "customers": args.customers,
        "snapshot_mb": round(size_mb, 1),
        "build_s": round(build_seconds, 1),
        "repeat": args.repeat,
        "pages": results,
        "all_within_targets": all(
            r["first_render_s"] <= FIRST_RENDER_TARGET and r["filter_change_s"] <= FILTER_CHANGE_TARGET for r in results
        ),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"snapshot: {args.invoices:,} invoices, {args.customers:,} customers, {size_mb:.0f} MB "
            f"(built in {build_seconds:.0f} s); median of {args.repeat} runs"
        )
        print(f"{'page':<24}{'first render (s)':>18}{'filter change (s)':>19}")
        for r in results:
            print(f"{r['page']:<24}{r['first_render_s']:>18.3f}{r['filter_change_s']:>19.3f}")
        print("targets (2 s / 1 s):", "met" if summary["all_within_targets"] else "NOT met")
    return 0 if summary["all_within_targets"] else 1


if __name__ == "__main__":
    sys.exit(main())
