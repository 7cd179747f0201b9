"""Provider SDK packages loaded module by module in the CLI process (stackctl/engine/speedups/sdk_packages.py) give a
program exactly what the eager packages give, and load only what it names."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from stackctl.engine.speedups.sdk_packages import Finder

from .conftest import stackctl

REPO = Path(__file__).resolve().parent.parent

# A package laid out as the Pulumi code generators write one: star imports in order, `from . import outputs`.
# Every module records that it ran; every exported value says where it came from.
_FILES = {
    "__init__.py": "ran = []\n",
    "_utilities.py": "",
    "things/__init__.py": """\
        import builtins as _builtins
        from .. import _utilities
        import typing
        # Export this package's modules as members:
        from ._enums import *
        from .alpha import *
        from .beta import *
        from .gamma import *
        from ._inputs import *
        from . import outputs
        later = "bound by __init__"
        """,
    "things/_enums.py": "from .. import ran\nran.append('_enums')\n__all__ = ['Colour']\nColour = '_enums.Colour'\n",
    "things/alpha.py": """\
        from .. import ran
        ran.append("alpha")
        __all__ = ['Alpha', 'Shared', 'later']
        Alpha, Shared, later, hidden = "alpha.Alpha", "alpha.Shared", "alpha.later", "alpha.hidden"
        """,
    "things/beta.py": """\
        from .. import ran
        from ._inputs import *
        ran.append("beta")
        __all__ = [
            'Beta',
            'Shared',
        ]
        Beta, Shared = "beta.Beta", "beta.Shared"
        """,
    "things/_inputs.py": "from .. import ran\nran.append('_inputs')\n__all__ = ['BetaArgs']\nBetaArgs = 'BetaArgs'\n",
    # A function named like its module (`get_vpc` in get_vpc.py): the name is the function, not the module.
    "things/gamma.py": "__all__ = ['gamma', 'gamma_output']\ngamma, gamma_output = 'gamma.gamma', 'gamma.output'\n",
    "things/outputs.py": "from .. import ran\nran.append('outputs')\n",
    # A module without `__all__` (its star import binds every public global) before one with: as
    # pulumi_kubernetes.helm.v3 (helm.py, then Release.py).
    "plain/__init__.py": "from .loose import *\nfrom .strict import *\n",
    "plain/loose.py": "from .. import ran\nran.append('loose')\nimport json\nvalue, Strict, _private = 1, 0, 0\n",
    "plain/strict.py": "from .. import ran\nran.append('strict')\n__all__ = ['Strict']\nStrict = 'strict.Strict'\n",
    # No star imports: loaded as written.
    "bare/__init__.py": "from .. import ran\nran.append('bare')\nvalue = 2\n",
}


@pytest.fixture
def sdks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The same package twice: `lazysdk` through the finder, `eagersdk` loaded as written."""
    for top in ("lazysdk", "eagersdk"):
        for name, text in _FILES.items():
            path = tmp_path / top / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", [Finder(frozenset({"lazysdk"})), *sys.meta_path])
    yield
    for name in [m for m in sys.modules if m.split(".")[0] in ("lazysdk", "eagersdk")]:
        del sys.modules[name]


def _star(package: str) -> dict[str, str]:
    namespace: dict = {}
    exec(f"from {package} import *", namespace)  # noqa: S102
    top = package.split(".")[0]
    return {name: (value.__name__.replace(top, "<top>") if hasattr(value, "__name__") else value)
            for name, value in namespace.items() if name != "__builtins__"}


def test_a_package_runs_its_init_but_no_module_until_a_name_is_used(sdks):
    import lazysdk
    import lazysdk.things as things

    assert lazysdk.ran == []
    assert things.later == "bound by __init__"  # __init__'s own binding wins over alpha's export
    assert "__sdk_lookup__" in vars(things)
    assert things.Beta == "beta.Beta" and lazysdk.ran == ["_inputs", "beta"]
    assert things.outputs is sys.modules["lazysdk.things.outputs"] and lazysdk.ran[-1] == "outputs"
    assert things.Alpha == "alpha.Alpha"
    assert things.Shared == "beta.Shared"  # the later star import wins, as when all run
    assert things.alpha is sys.modules["lazysdk.things.alpha"]
    assert "_enums" not in lazysdk.ran
    assert things.gamma_output == "gamma.output" and things.gamma == "gamma.gamma"
    assert sys.modules["lazysdk.things.gamma"].__name__ == "lazysdk.things.gamma"
    from lazysdk.things import Colour

    assert Colour == "_enums.Colour"
    with pytest.raises(AttributeError, match="has no attribute 'hidden'"):
        things.hidden  # noqa: B018 - not exported by alpha's __all__, so not a package attribute either
    with pytest.raises(ImportError):
        from lazysdk.things import hidden  # noqa: F401


def test_a_star_import_and_dir_bind_what_the_eager_package_binds(sdks):
    import eagersdk.things
    import lazysdk.things

    lazy, eager = _star("lazysdk.things"), _star("eagersdk.things")
    assert lazy == eager
    assert {"Alpha", "Beta", "Shared", "Colour", "BetaArgs", "later", "outputs", "alpha", "beta", "gamma"} <= set(lazy)
    assert lazy["gamma"] == "gamma.gamma"
    assert set(dir(lazysdk.things)) >= set(dir(eagersdk.things)) - {"_enums", "_inputs"}


def test_a_function_using_a_package_pickles_as_pulumi_dynamic_pickles_providers(sdks):
    import dill
    import lazysdk.things as things

    def provider_code():
        return things.Alpha

    copy = dill.loads(dill.dumps(provider_code, recurse=True))  # pulumi/dynamic/dynamic.py serialize_provider
    assert copy() == "alpha.Alpha"
    assert dill.loads(dill.dumps(things)) is things


def test_a_module_without_all_runs_when_a_name_it_could_bind_is_looked_up(sdks):
    import eagersdk
    import eagersdk.plain  # noqa: F401
    import lazysdk
    import lazysdk.plain as plain

    assert "__sdk_lookup__" in vars(plain) and lazysdk.ran == []
    assert plain.Strict == "strict.Strict" and lazysdk.ran == ["strict"]  # strict comes later: loose cannot win
    assert plain.value == 1 and lazysdk.ran == ["strict", "loose"]
    assert plain.json is sys.modules["json"]
    with pytest.raises(AttributeError):
        plain._private  # noqa: B018 - a star import without __all__ skips underscore names
    lazy, eager = _star("lazysdk.plain"), _star("eagersdk.plain")
    assert lazy.pop("ran") is lazysdk.ran and eager.pop("ran") is eagersdk.ran  # loose's `from .. import ran`
    assert lazy == eager and {"Strict", "value", "json", "loose", "strict"} <= set(lazy)


def test_a_package_without_star_imports_loads_as_written(sdks):
    import lazysdk
    import lazysdk.bare

    assert "__sdk_lookup__" not in vars(lazysdk.bare) and lazysdk.ran == ["bare"] and lazysdk.bare.value == 2


def test_after_load_runs_after_each_module_a_lookup_imports(sdks, monkeypatch: pytest.MonkeyPatch):
    import lazysdk

    seen = []
    finder = Finder(frozenset({"lazysdk"}), after_load=lambda: seen.append(list(lazysdk.ran)))
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path[1:]])
    import lazysdk.things as things

    assert seen == []  # loading the package itself runs __init__ only
    assert things.Beta == "beta.Beta"
    assert seen == [["_inputs", "beta"]]


# The packages the shipped stacks use most, compared name by name in two fresh interpreters.
_COMPARE = textwrap.dedent("""
    import importlib, json, sys
    if sys.argv[1] == "lazy":
        from stackctl.engine.speedups import sdk_packages
        sdk_packages.install()
    result = {}
    for package in sys.argv[2:]:
        namespace = {}
        exec(f"from {package} import *", namespace)
        module = importlib.import_module(package)
        result[package] = {
            "lazy": "__sdk_lookup__" in vars(module),
            "names": {name: [getattr(value, "__module__", None), getattr(value, "__qualname__", None),
                             getattr(value, "__name__", None)]
                      for name, value in namespace.items() if name != "__builtins__"},
        }
    print(json.dumps(result))
""")
# helm.v3: its helm.py (Chart) has no `__all__`.
_PACKAGES = ["pulumi_aws.ec2", "pulumi_aws.iam", "pulumi_kubernetes.core.v1", "pulumi_kubernetes.apps.v1",
             "pulumi_gcp.pubsub", "pulumi_kubernetes.helm.v3"]


@pytest.mark.slow(6)
def test_the_real_sdk_packages_export_the_same_objects_either_way():
    def names(mode: str) -> dict:
        process = subprocess.run([sys.executable, "-c", _COMPARE, mode, *_PACKAGES], cwd=REPO,
                                 capture_output=True, text=True, timeout=300)
        assert process.returncode == 0, process.stderr
        return json.loads(process.stdout)

    lazy, eager = names("lazy"), names("eager")
    for package in _PACKAGES:
        assert lazy[package]["names"] == eager[package]["names"], package
        assert len(eager[package]["names"]) > 3
    assert all(lazy[p]["lazy"] and not eager[p]["lazy"] for p in _PACKAGES)


@pytest.mark.slow(3)
def test_a_gcp_preview_in_a_process_prints_what_the_in_process_run_prints():
    # The CLI process loads the SDK packages module by module; the test process has them loaded eagerly.
    process = subprocess.run([sys.executable, "-m", "stackctl.cli", "preview", "gcp-dev", "--json"], cwd=REPO,
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    assert process.stdout == stackctl("preview", "gcp-dev", "--json").stdout
