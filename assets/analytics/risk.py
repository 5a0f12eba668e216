"""Overdue-risk score: for every open invoice, the probability of being paid late and the expected days late.

Features come from intermediate.risk_features (sql/intermediate/risk_features.sql), which only reads what
was known at each scoring date: a customer's history is built from invoices settled strictly before it.
Labels come from the invoices themselves, as known on the day the model is trained (`knowledge_through`):

- an invoice settled by then is late when it was settled after its due date;
- an invoice still unpaid then, whose due date has passed, is known to be late already;
- any other invoice (not yet due, unpaid) has no known outcome and is left out of training.

The classifier is a soft vote of gradient boosting and logistic regression, calibrated with isotonic
regression (Platt scaling on small samples);
the regressor is gradient boosting with a Poisson loss on days late. A per-invoice factor is the change in
probability when that feature is replaced by its typical training value (median or most common category),
which is what "this invoice is riskier because ..." means to a credit manager.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
from scipy.stats import norm
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, VotingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

NUMERIC_FEATURES = (
    "log_amount",
    "terms_days",
    "has_purchase_order",
    "issue_month",
    "issue_weekday",
    "prior_settled",
    "prior_late_rate",
    "prior_mean_days_late",
    "prior_max_days_late",
    "prior_mean_days_to_pay",
    "prior_days_to_pay_spread",
    "prior_late_rate_same_channel",
    "recent_late_rate",
    "days_since_last_settlement",
    "prior_invoices",
    "amount_vs_usual",
    "open_invoices",
    "overdue_invoices",
    "overdue_amount",
    "prior_dispute_rate",
)
CATEGORICAL_FEATURES = ("channel", "country", "segment")
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
# derived from the features above when encoding (see Encoder.transform)
DERIVED_FEATURES = ("smoothed_late_rate", "late_chance_from_pay_pattern")
SMOOTHING_INVOICES = 5.0
MIN_TRAINING_ROWS = 30
RANDOM_STATE = 20260
CALIBRATION_BINS = 10


class NotEnoughHistory(ValueError):
    """Too few invoices with a known outcome to train on."""


@dataclass
class FeatureRows:
    """Scoring points with their features, in one column-oriented block."""

    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.columns["invoice_number"])

    def take(self, mask: np.ndarray) -> FeatureRows:
        return FeatureRows({name: values[mask] for name, values in self.columns.items()})

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]


def read_features(con: duckdb.DuckDBPyConnection, scoring: str) -> FeatureRows:
    """Rows of intermediate.risk_features of one scoring kind ('at_issue' or 'open')."""
    names = ("invoice_number", "customer_id", "scored_on", "issue_date", "due_date", "amount") + FEATURES
    result = con.execute(
        f"select {', '.join(names)} from intermediate.risk_features where scoring = ? order by issue_date, "
        "invoice_number",
        [scoring],
    )
    rows = result.fetchall()
    columns: dict[str, np.ndarray] = {}
    for index, name in enumerate(names):
        values = [row[index] for row in rows]
        if name in NUMERIC_FEATURES or name == "amount":
            columns[name] = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
        else:
            columns[name] = np.array(values, dtype=object)
    return FeatureRows(columns)


@dataclass(frozen=True)
class Outcome:
    due_date: date
    settled_date: date | None


def read_outcomes(con: duckdb.DuckDBPyConnection) -> dict[str, Outcome]:
    """Due and settled dates of every invoice, as the warehouse holds them now (labels, never features)."""
    result = con.execute(
        "select invoice_number, due_date, settled_date from marts.invoices where document_type = 'invoice'"
    )
    return {number: Outcome(due, settled) for number, due, settled in result.fetchall()}


def known_labels(
    invoice_numbers: Sequence[str], outcomes: dict[str, Outcome], knowledge_through: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(known, is_late, days_late) for each invoice, using only what was known at the end of
    `knowledge_through`. days_late of an invoice still unpaid then is its lateness so far (a lower bound)."""
    known = np.zeros(len(invoice_numbers), dtype=bool)
    late = np.zeros(len(invoice_numbers), dtype=int)
    days = np.zeros(len(invoice_numbers), dtype=float)
    for i, number in enumerate(invoice_numbers):
        outcome = outcomes.get(number)
        if outcome is None or outcome.due_date is None:
            continue
        settled = outcome.settled_date if outcome.settled_date and outcome.settled_date <= knowledge_through else None
        if settled is not None:
            known[i] = True
            late[i] = int(settled > outcome.due_date)
            days[i] = max((settled - outcome.due_date).days, 0)
        elif outcome.due_date < knowledge_through:
            known[i] = True
            late[i] = 1
            days[i] = (knowledge_through - outcome.due_date).days
    return known, late, days


@dataclass
class Encoder:
    """Numeric features as they are (gradient boosting takes NaN), categories one-hot over the values seen
    in training (an unseen value gets all zeros)."""

    categories: dict[str, list[str]] = field(default_factory=dict)
    overall_late_rate: float = 0.5

    def fit(self, rows: FeatureRows, late: np.ndarray | None = None) -> Encoder:
        if late is not None and len(late):
            self.overall_late_rate = float(np.mean(late))
        for name in CATEGORICAL_FEATURES:
            values, counts = np.unique(rows[name].astype(str), return_counts=True)
            order = np.argsort(-counts, kind="stable")
            self.categories[name] = [str(values[i]) for i in order[:30]]
        return self

    def groups(self) -> dict[str, list[int]]:
        """Matrix columns of each feature (a categorical feature spans its one-hot columns)."""
        groups = {name: [i] for i, name in enumerate(NUMERIC_FEATURES + DERIVED_FEATURES)}
        offset = len(NUMERIC_FEATURES) + len(DERIVED_FEATURES)
        for name in CATEGORICAL_FEATURES:
            width = len(self.categories[name])
            groups[name] = list(range(offset, offset + width))
            offset += width
        return groups

    def derived(self, rows: FeatureRows) -> np.ndarray:
        """Two readings of the customer's history that trees cannot build from the raw columns:
        - the past late rate shrunk towards the overall rate by SMOOTHING_INVOICES pseudo-invoices, so a
          customer with one late invoice is not a certain late payer;
        - the chance that days to pay exceed the terms, if the customer's days to pay were normal with their
          past mean and spread (a smooth estimate that sees "pays on day 29" as close to late)."""
        settled = np.nan_to_num(rows["prior_settled"], nan=0.0)
        late_count = np.nan_to_num(rows["prior_late_rate"], nan=0.0) * settled
        smoothed = (late_count + SMOOTHING_INVOICES * self.overall_late_rate) / (settled + SMOOTHING_INVOICES)
        spread = np.fmax(np.nan_to_num(rows["prior_days_to_pay_spread"], nan=5.0), 1.0)
        with np.errstate(invalid="ignore"):
            chance = norm.sf((rows["terms_days"] + 0.5 - rows["prior_mean_days_to_pay"]) / spread)
        return np.column_stack([smoothed, chance])

    def transform(self, rows: FeatureRows) -> np.ndarray:
        blocks = [np.column_stack([rows[name] for name in NUMERIC_FEATURES]), self.derived(rows)]
        for name in CATEGORICAL_FEATURES:
            values = rows[name].astype(str)
            blocks.append(np.column_stack([(values == v).astype(float) for v in self.categories[name]]))
        return np.hstack(blocks)


@dataclass
class RiskModel:
    encoder: Encoder
    classifier: Any
    regressor: Any
    reference: np.ndarray  # the typical training row, used to measure each feature's contribution
    base_rate: float
    training_rows: int
    calibration_method: str

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        return self.classifier.predict_proba(matrix)[:, 1]

    def expected_days_late(self, matrix: np.ndarray) -> np.ndarray:
        return np.clip(self.regressor.predict(matrix), 0, None)

    def factors(self, matrix: np.ndarray, top: int = 3) -> list[list[dict]]:
        """For each row, the `top` features whose typical value would move its probability most."""
        base = self.probability(matrix)
        groups = self.encoder.groups()
        effects = {}
        for name, columns in groups.items():
            changed = matrix.copy()
            changed[:, columns] = self.reference[columns]
            effects[name] = base - self.probability(changed)
        result = []
        for i in range(matrix.shape[0]):
            ranked = sorted(effects, key=lambda name: -abs(effects[name][i]))[:top]
            result.append(
                [
                    {
                        "feature": name,
                        "contribution": round(float(effects[name][i]), 4),
                        "value": _display_value(self.encoder, name, matrix[i]),
                    }
                    for name in ranked
                    if abs(effects[name][i]) > 1e-6
                ]
            )
        return result


def _display_value(encoder: Encoder, name: str, row: np.ndarray) -> Any:
    columns = encoder.groups()[name]
    if name in CATEGORICAL_FEATURES:
        hits = [encoder.categories[name][k] for k, column in enumerate(columns) if row[column] == 1]
        return hits[0] if hits else "other"
    value = float(row[columns[0]])
    return None if math.isnan(value) else round(value, 4)


def fit(rows: FeatureRows, late: np.ndarray, days_late: np.ndarray) -> RiskModel:
    """Train the calibrated classifier and the days-late regressor on labelled scoring points."""
    if len(rows) < MIN_TRAINING_ROWS or len(set(late.tolist())) < 2:
        raise NotEnoughHistory(
            f"need at least {MIN_TRAINING_ROWS} invoices with a known outcome, both late and on time, to "
            f"train the risk model; have {len(rows)} ({int(late.sum())} late)"
        )
    encoder = Encoder().fit(rows, late)
    matrix = encoder.transform(rows)
    # A soft vote of shallow boosted trees (interactions, thresholds) and a regularised logistic regression
    # (smooth in the customer's history, steady on few invoices), then calibrated. On the IBM backtests
    # (docs/analytics.md) either one alone loses to the plain baseline at some cut-off; the vote does not.
    boosting = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=150,
        max_depth=2,
        min_samples_leaf=40,
        l2_regularization=1.0,
        random_state=RANDOM_STATE,
    )
    logistic = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=0.3, max_iter=3000),
    )
    vote = VotingClassifier([("boosting", boosting), ("logistic", logistic)], voting="soft")
    # isotonic needs enough points per fold to be a step function rather than noise
    method = "isotonic" if len(rows) >= 1000 else "sigmoid"
    folds = int(min(3, max(2, min(np.bincount(late)))))
    # tiny matrices: OpenMP threads only contend with each other (and with whatever else runs)
    with threadpool_limits(limits=1):
        classifier = CalibratedClassifierCV(vote, method=method, cv=folds).fit(matrix, late)
        regressor = HistGradientBoostingRegressor(
            loss="poisson",
            learning_rate=0.05,
            max_iter=150,
            max_depth=3,
            min_samples_leaf=30,
            random_state=RANDOM_STATE,
        ).fit(matrix, days_late)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reference = np.nanmedian(matrix, axis=0)  # an all-missing column stays NaN, which the model accepts
    for name, columns in encoder.groups().items():
        if name in CATEGORICAL_FEATURES:  # the most common category, not a blend of them
            reference[columns] = 0.0
            reference[columns[0]] = 1.0
    return RiskModel(encoder, classifier, regressor, reference, float(late.mean()), len(rows), method)


def baseline_probability(rows: FeatureRows, fallback_rate: float) -> np.ndarray:
    """The plain baseline: the customer's own past late rate at the scoring date, or the overall training
    late rate for a customer without history."""
    rate = rows["prior_late_rate"]
    return np.where(np.isnan(rate), fallback_rate, rate)


def metrics(late: np.ndarray, probability: np.ndarray) -> dict[str, float | None]:
    auc = roc_auc_score(late, probability) if len(set(late.tolist())) == 2 else None
    return {
        "auc": None if auc is None else float(auc),
        "brier": float(brier_score_loss(late, probability)),
        "accuracy": float(accuracy_score(late, probability >= 0.5)),
    }


def calibration_table(late: np.ndarray, probability: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict]:
    """Predicted against observed late rate in equal-width probability bins."""
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(probability, edges[1:-1]), 0, bins - 1)
    table = []
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        table.append(
            {
                "bin": b + 1,
                "probability_from": float(edges[b]),
                "probability_to": float(edges[b + 1]),
                "invoices": count,
                "mean_predicted": float(probability[members].mean()) if count else None,
                "observed_late_rate": float(late[members].mean()) if count else None,
            }
        )
    return table


def backtest(con: duckdb.DuckDBPyConnection, cutoff: date) -> dict:
    """Train on invoices issued before `cutoff` (outcomes as known the day before it), score those issued on
    or after it (outcomes as known now), and compare with the customer's-past-late-rate baseline.

    intermediate.risk_features must have been built as of a date covering the test period."""
    rows = read_features(con, "at_issue")
    if not len(rows):
        raise NotEnoughHistory("intermediate.risk_features holds no invoice: build it first")
    outcomes = read_outcomes(con)
    numbers = rows["invoice_number"]
    issued_before = np.array([d < cutoff for d in rows["issue_date"]])
    known_then, late_then, days_then = known_labels(numbers, outcomes, cutoff - timedelta(days=1))
    train_mask = issued_before & known_then
    latest = max((o.settled_date or o.due_date) for o in outcomes.values())
    known_now, late_now, _ = known_labels(numbers, outcomes, latest)
    test_mask = ~issued_before & known_now
    if not test_mask.any():
        raise NotEnoughHistory(f"no invoice issued on or after {cutoff} has a known outcome to test on")
    model = fit(rows.take(train_mask), late_then[train_mask], days_then[train_mask])
    test = rows.take(test_mask)
    y = late_now[test_mask]
    predicted = model.probability(model.encoder.transform(test))
    baseline = baseline_probability(test, model.base_rate)
    return {
        "cutoff": cutoff.isoformat(),
        "train_invoices": int(train_mask.sum()),
        "train_late_rate": model.base_rate,
        "test_invoices": int(test_mask.sum()),
        "test_late_rate": float(y.mean()),
        "calibration_method": model.calibration_method,
        "model": metrics(y, predicted),
        "baseline": metrics(y, baseline),
        "calibration": calibration_table(y, predicted),
    }


def train_and_score(con: duckdb.DuckDBPyConnection, as_of: date, holdout_share: float = 0.2) -> dict:
    """Retrain on everything known on `as_of`, score every invoice open then, and write marts.risk_scores,
    marts.risk_calibration and marts.risk_model_metrics. The calibration table and the metrics come from a
    time-ordered holdout (the latest `holdout_share` of labelled invoices) scored by a model trained on the
    earlier ones; the published scores come from the model refitted on all of them."""
    history = read_features(con, "at_issue")
    outcomes = read_outcomes(con)
    known, late, days = known_labels(history["invoice_number"], outcomes, as_of)
    labelled = history.take(known)
    late, days = late[known], days[known]
    _create_risk_tables(con)
    summary = {
        "as_of": as_of,
        "status": "trained",
        "training_invoices": len(labelled),
        "training_late_rate": float(late.mean()) if len(late) else None,
        "holdout_invoices": 0,
        "calibration_method": None,
        "model_auc": None,
        "model_brier": None,
        "model_accuracy": None,
        "baseline_auc": None,
        "baseline_brier": None,
        "baseline_accuracy": None,
        "scored_invoices": 0,
        "features": json.dumps(list(FEATURES + DERIVED_FEATURES)),
    }
    order = np.argsort(np.array([d.toordinal() for d in labelled["issue_date"]]), kind="stable")
    in_earlier = np.zeros(len(labelled), dtype=bool)
    in_earlier[order[: int(len(order) * (1 - holdout_share))]] = True
    try:
        evaluation = fit(labelled.take(in_earlier), late[in_earlier], days[in_earlier])
        model = fit(labelled, late, days)
    except NotEnoughHistory as exc:
        # a young warehouse: publish no score rather than a score nobody could trust
        summary["status"] = f"not enough history: {exc}"
        _insert(con, "marts.risk_model_metrics", [list(summary.values())])
        return summary
    holdout = labelled.take(~in_earlier)
    holdout_late = late[~in_earlier]
    holdout_probability = evaluation.probability(evaluation.encoder.transform(holdout))
    model_metrics = metrics(holdout_late, holdout_probability)
    baseline_metrics = metrics(holdout_late, baseline_probability(holdout, evaluation.base_rate))
    calibration = calibration_table(holdout_late, holdout_probability)

    open_rows = read_features(con, "open")
    scores = []
    if len(open_rows):
        matrix = model.encoder.transform(open_rows)
        probability = model.probability(matrix)
        expected = model.expected_days_late(matrix)
        factors = model.factors(matrix)
        for i in range(len(open_rows)):
            scores.append(
                [
                    open_rows["invoice_number"][i],
                    open_rows["customer_id"][i],
                    as_of,
                    float(probability[i]),
                    float(expected[i]),
                    _band(probability[i]),
                    json.dumps(factors[i]),
                ]
            )
    _insert(con, "marts.risk_scores", scores)
    _insert(
        con,
        "marts.risk_calibration",
        [
            [
                as_of,
                c["bin"],
                c["probability_from"],
                c["probability_to"],
                c["invoices"],
                c["mean_predicted"],
                c["observed_late_rate"],
            ]
            for c in calibration
        ],
    )
    summary.update(
        {
            "holdout_invoices": len(holdout),
            "calibration_method": model.calibration_method,
            "model_auc": model_metrics["auc"],
            "model_brier": model_metrics["brier"],
            "model_accuracy": model_metrics["accuracy"],
            "baseline_auc": baseline_metrics["auc"],
            "baseline_brier": baseline_metrics["brier"],
            "baseline_accuracy": baseline_metrics["accuracy"],
            "scored_invoices": len(scores),
        }
    )
    _insert(con, "marts.risk_model_metrics", [list(summary.values())])
    return summary


def _create_risk_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create or replace table marts.risk_scores (invoice_number varchar, customer_id varchar, scored_on date, "
        "probability_late double, expected_days_late double, risk_band varchar, top_factors json)"
    )
    con.execute(
        "create or replace table marts.risk_calibration (as_of date, bin integer, probability_from double, "
        "probability_to double, invoices integer, mean_predicted double, observed_late_rate double)"
    )
    con.execute(
        "create or replace table marts.risk_model_metrics (as_of date, status varchar, training_invoices integer, "
        "training_late_rate double, holdout_invoices integer, calibration_method varchar, model_auc double, "
        "model_brier double, model_accuracy double, baseline_auc double, baseline_brier double, "
        "baseline_accuracy double, scored_invoices integer, features json)"
    )


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[list]) -> None:
    if rows:
        con.executemany(f"insert into {table} values ({', '.join('?' for _ in rows[0])})", rows)


def _band(probability: float) -> str:
    return "high" if probability >= 0.6 else "medium" if probability >= 0.3 else "low"
