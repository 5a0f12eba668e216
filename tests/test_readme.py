"""The README stays true: every command and every option of `relance` is documented there, and the set-up
commands it shows are the ones CI runs."""

import argparse
from pathlib import Path

from pipelines.cli import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def commands(parser: argparse.ArgumentParser, prefix: str = "relance"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                options = [
                    opt
                    for a in sub._actions
                    if not isinstance(a, argparse._SubParsersAction)
                    for opt in a.option_strings
                    if opt.startswith("--") and opt != "--help"
                ]
                yield f"{prefix} {name}", options
                yield from commands(sub, f"{prefix} {name}")


def test_every_command_and_option_is_in_the_readme():
    missing = []
    for command, options in commands(build_parser()):
        if f"`{command}" not in README:
            missing.append(command)
        missing += [f"{command} {opt}" for opt in options if opt not in README]
    assert not missing, "README.md does not document: " + ", ".join(missing)


def test_readme_set_up_is_the_two_commands_ci_runs():
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "./relance test" in ci
    assert "./relance demo" in README and "./relance test" in README


def test_ci_runs_the_readme_lint_before_the_tests():
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "./relance lint" in README
    assert "./relance lint" in ci and ci.index("./relance lint") < ci.index("./relance test")
