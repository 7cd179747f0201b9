"""Docs stay current with the code."""

from __future__ import annotations

from stackctl import docgen

from .conftest import REPO


def test_stack_file_reference_is_generated_from_the_models():
    assert (REPO / "docs" / "stack-file.md").read_text() == docgen.render(), (
        "docs/stack-file.md is stale: run `.venv/bin/python -m stackctl.docgen > docs/stack-file.md`")


def test_api_reference_is_generated_from_the_components():
    assert (REPO / "docs" / "api.md").read_text() == docgen.render_api(), (
        "docs/api.md is stale: run `.venv/bin/python -m stackctl.docgen api > docs/api.md`")


def test_api_reference_lists_every_public_component_and_each_argument():
    import inspect

    import pulumi

    import components

    api = docgen.render_api()
    public = [getattr(components, name) for name in components.__all__]
    classes = [c for c in public if inspect.isclass(c) and issubclass(c, pulumi.ComponentResource)]
    assert {"Service", "BatchJob", "SqsWorkQueue", "EksCluster", "Environment"} <= {c.__name__ for c in classes}
    for cls in classes:
        assert f"\n## {cls.__name__}\n" in api, cls.__name__
        model = docgen._args_model(cls)
        if model is None or model is components.EnvironmentSpec:
            continue
        section = api.split(f"\n## {cls.__name__}\n", 1)[1].split("\n## ", 1)[0]
        for field in model.model_fields:
            assert f"| `{field}` |" in section, f"{cls.__name__}: {model.__name__}.{field} is not documented"
    assert "Type token: `platform:index:Service`." in api


def test_readme_shows_the_two_commands_first():
    readme = (REPO / "README.md").read_text()
    assert readme.index("make preview") < readme.index("make test") < readme.index("## A stack file")


def test_capacity_doc_is_linked_and_names_the_pinned_charts():
    from components.versions import (
        CLUSTER_AUTOSCALER_CHART_VERSION,
        KEDA_CHART_VERSION,
        NVIDIA_DEVICE_PLUGIN_CHART_VERSION,
    )

    assert "docs/capacity.md" in (REPO / "README.md").read_text()
    assert f"KEDA (Helm chart {KEDA_CHART_VERSION})" in (REPO / "README.md").read_text()
    capacity = (REPO / "docs" / "capacity.md").read_text()
    assert f"`cluster-autoscaler` {CLUSTER_AUTOSCALER_CHART_VERSION}" in capacity
    assert f"`nvidia-device-plugin` {NVIDIA_DEVICE_PLUGIN_CHART_VERSION}" in capacity


def test_readme_diff_example_is_the_real_output(make_project):
    """The README's `stackctl diff` sample (`orders: {fifo: true}` added to prod) is what the command prints:
    every line of it, in order, with its counts."""
    import re
    import subprocess

    from ruamel.yaml import YAML

    from .conftest import stackctl

    readme = (REPO / "README.md").read_text()
    sample = re.search(r"```sh\n\.venv/bin/stackctl diff prod --base origin/main --deny-destroy\n```\n\n```\n(.*?)```",
                       readme, flags=re.S).group(1)
    config = YAML(typ="safe").load((REPO / "stacks" / "Pulumi.prod.yaml").read_text())["config"]
    project = make_project({"prod": config})
    git = ["git", "-C", str(project.root), "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    config["queues"]["orders"]["fifo"] = True
    with project.stack_file("prod").open("w") as handle:
        YAML().dump({"config": config}, handle)
    result = stackctl("diff", "prod", "--base", "main", "--deny-destroy", cwd=project.root)
    assert result.returncode == 3, result.stderr
    output = result.stdout.splitlines()
    position = 0
    for line in sample.splitlines():
        if line == "...":
            continue
        assert line in output[position:], f"README diff sample line not in the real output (in order): {line!r}"
        position = output.index(line, position) + 1


def test_stackctl_synopsis_names_every_verb_and_only_real_options():
    """docs/stackctl.md's synopsis block lists each verb of the CLI, and every option it shows exists."""
    import re

    import click
    import typer

    from stackctl.cli import app

    root = typer.main.get_command(app)
    verbs: dict[str, click.Command] = {}
    for name, command in root.commands.items():
        if isinstance(command, click.Group):
            verbs.update({f"{name} {sub}": c for sub, c in command.commands.items()})
        else:
            verbs[name] = command
    doc = (REPO / "docs" / "stackctl.md").read_text()
    synopsis = doc.split("```\n", 2)[1]
    shown = set()
    for line in synopsis.splitlines():
        verb = next((v for v in sorted(verbs, key=len, reverse=True) if re.search(rf"(^|\s){v}(\s|$)", line)), None)
        shown.add(verb)
        params = [*root.params, *(verbs[verb].params if verb else [])]  # no verb: the options before any verb
        real = {o for p in params for o in getattr(p, "opts", [])}
        for option in re.findall(r"(?<![\w-])--?[a-zA-Z][\w-]*", line):
            assert option in real, f"docs/stackctl.md: `{line}` shows {option}, which `stackctl {verb}` lacks"
    assert shown - {None} == set(verbs), f"verbs missing from the docs/stackctl.md synopsis: {set(verbs) - shown}"


def test_policy_doc_table_lists_exactly_the_packs_rules():
    import json
    import subprocess
    import sys

    names = subprocess.run([sys.executable, "-c", "import json, guardrails; "
                            "print(json.dumps([p.name for p in guardrails.ALL_POLICIES]))"],
                           cwd=REPO / "policy", capture_output=True, text=True, timeout=120, check=True)
    pack = set(json.loads(names.stdout))
    section = (REPO / "docs" / "policy.md").read_text().split("## Rules\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    documented = {name.strip() for row in rows for name in row.split("|")[1].split(",")}
    assert documented == pack, (f"docs/policy.md rules table: missing {pack - documented}, "
                                f"not in the pack {documented - pack}")


def test_readme_performance_figures_are_the_benchmark_results():
    """The README's aws-200 figures are benchmarks/results.json's (written by benchmarks/cli_scaling.py)."""
    import json
    import re

    readme = (REPO / "README.md").read_text()
    match = re.search(r"previews a (\d+)-service stack \(([\d,]+) resources\) offline in about (\d+) s, renders it in "
                      r"about (\d+) s and\s+checks it in about (\d+) s", readme)
    assert match, "README.md's performance sentence changed: update this test with it"
    services, resources, preview, render, check = match.groups()
    [row] = [r for r in json.loads((REPO / "benchmarks" / "results.json").read_text())["stacks"]
             if r["cloud"] == "aws" and r["services"] == int(services)]
    assert int(resources.replace(",", "")) == row["resources"]
    walls = tuple(round(row[k]["wall"]) for k in ("preview", "render", "check"))
    assert (int(preview), int(render), int(check)) == walls


def test_relative_links_and_paths_in_the_docs_exist():
    """Every relative link of README.md and docs/*.md, and every repository path the README and the CLI, testing
    and policy docs show in backticks, names a file or directory that exists."""
    import re

    missing = []
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if not target.startswith(("http://", "https://", "mailto:")) and not (doc.parent / target).exists():
                missing.append(f"{doc.name}: ({target})")
    for name in ("README.md", "docs/stackctl.md", "docs/testing.md", "docs/policy.md"):
        text = (REPO / name).read_text()
        for target in re.findall(r"`((?:[\w.-]+/)+[\w.-]+\.(?:py|json|yaml|yml|sh|md))`", text):
            if not (REPO / target).exists() and not (REPO / name).parent.joinpath(target).exists():
                missing.append(f"{name}: `{target}`")
    assert not missing, missing


def test_stackctl_rooms_diagram_names_every_module():
    """docs/stackctl.md "Rooms": the diagram names every module of every room, and the top-level limit is the one
    tests/test_rooms.py enforces."""
    import re

    from .test_rooms import MAX_TOP_LEVEL_MODULES

    doc = (REPO / "docs" / "stackctl.md").read_text()
    section = doc.split("## Rooms\n", 1)[1].split("\n## ", 1)[0]
    diagram = section.split("```\n", 2)[1]
    shown = set(re.findall(r"[a-z_]+", diagram))
    stackctl_dir = REPO / "stackctl"
    missing = [str(module.relative_to(stackctl_dir)) for room in stackctl_dir.iterdir()
               if room.is_dir() and (room / "__init__.py").exists()
               for module in room.rglob("*.py")
               if module.parent.name != "registry" and module.stem != "__init__" and module.stem not in shown]
    assert not missing, f"modules missing from docs/stackctl.md's rooms diagram: {missing}"
    assert f"more than {MAX_TOP_LEVEL_MODULES} modules at the top level" in section
