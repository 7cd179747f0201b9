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


def test_capacity_doc_is_linked_and_names_the_pinned_charts():
    from components.versions import CLUSTER_AUTOSCALER_CHART_VERSION, NVIDIA_DEVICE_PLUGIN_CHART_VERSION

    assert "docs/capacity.md" in (REPO / "README.md").read_text()
    capacity = (REPO / "docs" / "capacity.md").read_text()
    assert f"`cluster-autoscaler` {CLUSTER_AUTOSCALER_CHART_VERSION}" in capacity
    assert f"`nvidia-device-plugin` {NVIDIA_DEVICE_PLUGIN_CHART_VERSION}" in capacity
