"""Docs stay current with the code."""

from __future__ import annotations

from stackctl import docgen

from .conftest import REPO


def test_stack_file_reference_is_generated_from_the_models():
    assert (REPO / "docs" / "stack-file.md").read_text() == docgen.render(), (
        "docs/stack-file.md is stale: run `.venv/bin/python -m stackctl.docgen > docs/stack-file.md`")


def test_readme_shows_the_two_commands_first():
    readme = (REPO / "README.md").read_text()
    assert readme.index("make preview") < readme.index("make test") < readme.index("## A stack file")
