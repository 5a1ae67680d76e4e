"""The README's first screen must stay true: its commands are the ones CI runs."""

from __future__ import annotations

from .conftest import ROOT


def _commands() -> list[str]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:30]
    return [line.strip() for line in lines if line.startswith("    python3 -m venv")]


def test_first_screen_gives_the_build_and_test_commands() -> None:
    build, test = _commands()
    assert build.endswith("site-builder build")
    assert test.endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    _, test = _commands()
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
