"""requirements.lock agrees with pyproject.toml, CI installs from it, and the declared pulumi floor is tested."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from .conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
# What `make test` installs: the package's dependencies, its cloud extras and its test extra (which names the
# project itself with both cloud extras).
EXTRAS = PYPROJECT["project"]["optional-dependencies"]
DECLARED = [requirement for requirement in (Requirement(text) for text in
            PYPROJECT["project"]["dependencies"] + EXTRAS["aws"] + EXTRAS["gcp"] + EXTRAS["test"])
            if canonicalize_name(requirement.name) != canonicalize_name(PYPROJECT["project"]["name"])]


def _locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert match, f"requirements.lock: {line!r} is not an exact pin (name==version)"
        pins[canonicalize_name(match.group(1))] = Version(match.group(2))
    return pins


def test_every_declared_dependency_is_pinned_within_its_range():
    locked = _locked()
    for requirement in DECLARED:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"requirements.lock: {requirement.name} is not pinned (regenerate: docs/dependencies.md)"
        assert requirement.specifier.contains(locked[name], prereleases=True), \
            f"requirements.lock: {requirement.name}=={locked[name]} is outside pyproject.toml's {requirement}"


def test_ci_and_make_test_install_from_the_lock():
    makefile = (REPO / "Makefile").read_text()
    assert "pip install --quiet -r requirements.lock" in makefile
    assert "$(VENV)/.installed-test: pyproject.toml requirements.lock" in makefile
    ci = (REPO / ".ci" / "run").read_text()
    assert "\nmake test " in ci and "\n.ci/floor-check " in ci


def test_the_floor_check_previews_with_the_declared_floor():
    [pulumi] = [r for r in DECLARED if r.name == "pulumi"]
    [floor] = [spec.version for spec in pulumi.specifier if spec.operator == ">="]
    script = (REPO / ".ci" / "floor-check").read_text()
    # The script reads the floor from the very line pyproject.toml declares it on, installs exactly it, and
    # compares every shipped stack's preview.
    pattern = re.search(r"sed -n '(.*?)' pyproject.toml", script).group(1)
    regex = pattern.removeprefix("s/").rsplit("/", 2)[0].replace(r"\(", "(").replace(r"\)", ")")
    declared_line = next(line for line in (REPO / "pyproject.toml").read_text().splitlines()
                         if line.startswith('  "pulumi>='))
    assert re.fullmatch(regex, declared_line).group(1) == floor
    assert '"pulumi==$FLOOR"' in script and "for file in stacks/Pulumi.*.yaml" in script
    assert "cmp -s" in script
    # The floor's own documentation names it.
    assert f"{floor}" in (REPO / "docs" / "dependencies.md").read_text()
