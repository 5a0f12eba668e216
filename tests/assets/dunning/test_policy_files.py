"""Policy files: the shipped example loads; files with mistakes are refused naming file, line and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.dunning.policy import POLICY_DIR, PolicyError, load_policies, load_policy
from pipelines.cli import main

GOOD = """\
name = "t"

[[steps]]
name = "d1"
offset = 1
channel = "email"
template = "reminder_friendly"

[[steps]]
name = "d10"
offset = 10
channel = "customer"
template = "reminder_firm"
"""


def write(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return str(info.value).splitlines()


def test_shipped_policy_loads_with_its_steps_and_split():
    (policy,) = load_policies(POLICY_DIR)
    assert [(s.name, s.offset) for s in policy.steps] == [
        ("available", -7),
        ("d1", 1),
        ("d10", 10),
        ("d30", 30),
        ("d45", 45),
    ]
    assert [v.name for v in policy.step("d1").variants] == ["friendly", "short-later"]
    assert policy.step("d45").channel == "manual" and policy.statement.every_days == 10


@pytest.mark.parametrize(
    "old, new, line, message",
    [
        ('channel = "email"', 'channel = "fax"', 6, "unknown channel 'fax'"),
        (
            'template = "reminder_firm"',
            'template = "reminder_angry"',
            13,
            "missing template: template 'reminder_angry'",
        ),
        ("offset = 10", "offset = 1", 11, "overlapping steps: 'd1' and 'd10' are both at D+1"),
        ("offset = 10", "offset = -3", 11, "bad offsets: step 'd10' (D-3) comes before the previous step 'd1'"),
        ("offset = 10", 'offset = "ten"', 11, "bad offset 'ten' for step 'd10'"),
        ("offset = 10", "offset = 900", 11, "bad offset 900 for step 'd10': must be between -90 and 365"),
        ('name = "d10"', 'name = "d10"\ncolour = "red"', 11, "unknown key 'colour' in steps[2]"),
    ],
)
def test_mistakes_name_file_line_and_problem(tmp_path, old, new, line, message):
    path = write(tmp_path, GOOD.replace(old, new, 1))
    found = problems(path)
    assert any(p.startswith(f"{path}:{line}: ") and message in p for p in found), found


def test_overlap_through_a_timing_variant(tmp_path):
    text = GOOD.replace(
        'template = "reminder_friendly"\n',
        'template = "reminder_friendly"\n\n'
        '[[steps.variants]]\nname = "a"\nweight = 1\n\n'
        '[[steps.variants]]\nname = "late"\nweight = 1\noffset_shift = 9\n',
        1,
    )
    path = write(tmp_path, text)
    found = problems(path)
    line = text.splitlines().index("offset = 10") + 1
    assert found == [f"{path}:{line}: overlapping steps: with timing variants 'd1' can fall on D+10 and 'd10' on D+10"]


def test_variant_errors_point_at_the_variant(tmp_path):
    text = GOOD.replace(
        'template = "reminder_friendly"\n',
        'template = "reminder_friendly"\n\n[[steps.variants]]\nname = "only"\nweight = 0\nchannel = "pigeon"\n',
        1,
    )
    path = write(tmp_path, text)
    lines = text.splitlines()
    found = problems(path)
    assert f"{path}:{lines.index('weight = 0') + 1}: variant weight must be a positive whole number, got 0" in found
    pigeon = lines.index('channel = "pigeon"') + 1
    assert (
        f"{path}:{pigeon}: unknown channel 'pigeon'; expected one of "
        "email, platform, edi, ap_portal, paper, customer, manual" in found
    )
    assert any("has a single variant" in p for p in found)


def test_toml_syntax_error_has_its_line(tmp_path):
    path = write(tmp_path, GOOD.replace('[[steps]]\nname = "d10"', '[[steps]\nname = "d10"', 1))
    assert problems(path) == [f"{path}:9: not valid TOML: Expected ']]' at the end of an array declaration"]


def test_missing_step_keys_and_empty_policy(tmp_path):
    path = write(tmp_path, 'name = "x"\n\n[[steps]]\nname = "d1"\ntemplate = "reminder_friendly"\n')
    found = problems(path)
    assert f"{path}:3: step 'd1' is missing 'offset' (days from the due date, e.g. -7 or 10)" in found
    assert f"{path}:3: steps[1] is missing 'channel'" in found
    assert problems(write(tmp_path, 'name = "x"\n', "empty.toml")) == [
        f"{tmp_path / 'empty.toml'}: the policy is missing 'steps'"
    ]


def test_two_files_with_one_name_are_refused(tmp_path):
    write(tmp_path, GOOD, "a.toml")
    write(tmp_path, GOOD, "b.toml")
    with pytest.raises(PolicyError, match=r"b.toml: policy name 't' is also used by .*a.toml"):
        load_policies(tmp_path)


def test_validate_command(tmp_path, capsys):
    good = write(tmp_path, GOOD, "good.toml")
    assert main(["dunning", "validate", str(good)]) == 0
    assert "ok  " in capsys.readouterr().out
    bad = write(tmp_path, GOOD.replace('channel = "email"', 'channel = "telex"'), "bad.toml")
    assert main(["dunning", "validate", str(bad)]) == 1
    assert f"{bad}:6: unknown channel 'telex'" in capsys.readouterr().err
