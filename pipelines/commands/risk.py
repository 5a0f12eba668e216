"""`relance risk backtest`: how well the overdue-risk model would have predicted late payments."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(subparsers) -> None:
    parser = subparsers.add_parser("risk", help="overdue-risk model: backtest it on past invoices")
    actions = parser.add_subparsers(dest="risk_action", required=True, metavar="ACTION")
    backtest = actions.add_parser(
        "backtest",
        help="train on invoices issued before the cut-off, score those issued after, compare with a baseline",
        description="Trains the risk model on invoices issued before --cutoff (with outcomes as known the day "
        "before), scores the invoices issued on or after it, and prints AUC, Brier score and "
        "accuracy of the model and of the baseline (each customer's own past late rate). Reads "
        "a copy of the warehouse (RELANCE_HOME), or an ERP export given with --input.",
    )
    backtest.add_argument("--cutoff", type=_date, required=True, metavar="DATE", help="cut-off date, YYYY-MM-DD")
    backtest.add_argument("--json", action="store_true", help="print the result as JSON")
    backtest.add_argument(
        "--input",
        type=Path,
        default=None,
        metavar="PATH",
        help="an ERP export to take in through the ingest path instead of the warehouse",
    )
    backtest.add_argument(
        "--profile",
        default=None,
        metavar="NAME",
        help="ingest profile for --input (e.g. ibm_accounts_receivable); default: recognised from the headers",
    )
    backtest.set_defaults(handler=run_backtest)


def _format(result: dict) -> str:
    def cell(value):
        return "n/a" if value is None else f"{value:.3f}"

    lines = [
        (
            f"Cut-off {result['cutoff']}: trained on {result['train_invoices']} invoices "
            f"(late rate {result['train_late_rate']:.1%}), tested on {result['test_invoices']} "
            f"(late rate {result['test_late_rate']:.1%}); calibration: {result['calibration_method']}"
        ),
        "",
        f"{'':28}{'AUC':>8}{'Brier':>8}{'Accuracy':>10}",
    ]
    for label, key in (("model", "model"), ("baseline (own past late rate)", "baseline")):
        m = result[key]
        lines.append(f"{label:28}{cell(m['auc']):>8}{cell(m['brier']):>8}{cell(m['accuracy']):>10}")
    lines += ["", "Calibration on the test invoices (predicted vs observed late rate):"]
    for row in result["calibration"]:
        if row["invoices"]:
            lines.append(
                f"  {row['probability_from']:.1f}-{row['probability_to']:.1f}: {row['invoices']:>5} invoices, "
                f"predicted {row['mean_predicted']:.2f}, observed {row['observed_late_rate']:.2f}"
            )
    return "\n".join(lines)


def run_backtest(args) -> int:
    from assets.analytics import backtest as data
    from assets.analytics.risk import NotEnoughHistory, backtest
    from stores.home import relance_home

    if args.profile and not args.input:
        print("relance risk backtest: --profile needs --input", file=sys.stderr)
        return 2
    try:
        con = (
            data.from_export(args.input, args.profile) if args.input else data.from_warehouse(relance_home().warehouse)
        )
        data.build_features(con, data.latest_known_date(con))
        result = backtest(con, args.cutoff)
    except (data.BacktestInputError, NotEnoughHistory, FileNotFoundError) as exc:
        print(f"relance risk backtest: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if args.json else _format(result))
    return 0
