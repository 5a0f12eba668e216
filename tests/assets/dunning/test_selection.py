"""Which policy applies: segment, tags, preferred channel, amount band and the risk model's band."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from assets.dunning.data import load_customers
from assets.dunning.policy import parse_policy, policy_for
from tests.assets.dunning.world import World

STEPS = '\n[[steps]]\nname = "d1"\noffset = 1\nchannel = "email"\ntemplate = "reminder_friendly"\n'


def policy(name: str, priority: int, selector: str):
    return parse_policy(
        f'name = "{name}"\npriority = {priority}\n[selector]\n{selector}\n{STEPS}', Path(f"{name}.toml")
    )


POLICIES = sorted(
    [
        policy("risky", 5, 'risk_bands = ["high"]'),
        policy("big-sme", 10, 'segments = ["sme"]\nmin_amount = "10000"'),
        policy("key", 20, 'tags_any = ["key-account"]\ntags_none = ["no-dunning"]'),
        policy("paper", 30, 'channels = ["paper"]'),
        policy("default", 100, ""),
    ],
    key=lambda p: p.priority,
)


def pick(customer: dict, amount: str | None = None) -> str:
    chosen = policy_for(
        POLICIES,
        {"segment": "sme", "tags": [], "preferred_channel": "email", **customer},
        Decimal(amount) if amount else None,
    )
    return chosen.name if chosen else None


def test_selector_fields_in_priority_order():
    assert pick({}, "500") == "default"
    assert pick({}, "10000") == "big-sme" and pick({}, "9999.99") == "default"
    assert pick({"segment": "group"}, "20000") == "default"
    assert pick({"tags": ["key-account"]}, "50") == "key"
    assert pick({"tags": ["key-account", "no-dunning"]}, "50") == "default"
    assert pick({"preferred_channel": "paper"}, "50") == "paper"
    assert pick({"risk_band": "high", "preferred_channel": "paper"}, "50") == "risky"


def test_risk_band_comes_from_the_risk_models_scores(tmp_path):
    world = World(tmp_path / "w.duckdb")
    world.add_customer("A")
    world.add_customer("B")
    world.con.execute(
        "create table marts.risk_scores (invoice_number varchar, customer_id varchar, scored_on date, "
        "probability_late double, expected_days_late double, risk_band varchar, top_factors json)"
    )
    world.con.executemany(
        "insert into marts.risk_scores values (?, ?, ?, 0.5, 3, ?, '[]')",
        [
            ["A-1", "A", date(2026, 10, 1), "high"],
            ["A-1", "A", date(2026, 10, 5), "low"],  # rescored: low now
            ["A-2", "A", date(2026, 10, 5), "medium"],
            ["B-1", "B", date(2026, 10, 5), "high"],
        ],
    )
    customers = load_customers(world.con)
    world.close()
    assert (customers["A"]["risk_band"], customers["B"]["risk_band"]) == ("medium", "high")
    assert policy_for(POLICIES, customers["B"], Decimal("10")).name == "risky"
    assert policy_for(POLICIES, customers["A"], Decimal("10")).name == "default"
