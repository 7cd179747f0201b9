"""Run the real stack program in-process under recording mocks, the way the language host runs it."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import os
import runpy
import sys
import threading
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pulumi.runtime
from google.protobuf import empty_pb2
from pulumi.runtime.mocks import MockEngine, MockSettings
from pulumi.runtime.proto import engine_pb2
from pulumi.runtime.settings import configure
from pulumi.runtime.stack import run_in_stack

from .graph import Graph, ResourceRecord
from .mocks import OfflineMocks
from .project import Project, StackConfig, read_stack_config
from .recorder import RecordingMonitor
from .speedups import type_hints
from .speedups.collector import few_collections
from .speedups.switch import speedups

ORGANIZATION = "organization"


# Where the SDK keeps the pending-output set and its lock: per-context properties of its Settings (pulumi
# runtime/settings.py, `@contextproperty def outputs` / `lock`, 3.256 to 3.272 at least).
PENDING_OUTPUT_ATTRIBUTES = ("outputs", "lock")
_layout_warned = False


def _fresh_pending_outputs() -> None:
    """Give this run its own pending-output set and lock.

    MockSettings leaves them to the SDK's process-wide defaults (a context property's first value becomes its
    default for every fresh context), so every run in a process shared one set. The SDK keeps a failed output
    there to re-raise it, and the next run then waited on a future of a closed event loop. If an SDK release keeps
    them elsewhere, assigning would only add unused attributes and the sharing would come back unnoticed: say so
    once instead (one run per process, as `pulumi up` and most stackctl commands do, is unaffected).
    """
    global _layout_warned
    import pulumi._utils

    settings = pulumi.runtime.settings.SETTINGS
    context_property = getattr(pulumi._utils, "ContextProperty", None)
    if context_property is not None and all(
            isinstance(inspect.getattr_static(type(settings), name, None), context_property)
            for name in PENDING_OUTPUT_ATTRIBUTES):
        settings.outputs = set()
        settings.lock = threading.Lock()
        return
    if not _layout_warned:
        _layout_warned = True
        sys.stderr.write("stackctl: warning: this pulumi SDK keeps its pending outputs elsewhere (Settings.outputs "
                         "and .lock are not context properties); runs in one process may share them\n")


@dataclass
class Diagnostic:
    severity: str
    message: str


@dataclass
class StackRun:
    graph: Graph
    config: StackConfig
    diagnostics: list[Diagnostic] = field(default_factory=list)


class _CollectingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.diagnostics: list[Diagnostic] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.diagnostics.append(Diagnostic(record.levelname.lower(), record.getMessage()))


class _Engine(MockEngine):
    """The SDK's mock engine without its debug log: the SDK logs several debug lines per registration, and
    building a log record (with its caller lookup) for each was 10 % of a large run. Nothing reads them."""

    def Log(self, request):  # noqa: N802 - gRPC method name
        if request.severity != engine_pb2.DEBUG:
            super().Log(request)


def run_stack(project: Project, stack: str, config: StackConfig | None = None,
              program: Callable[[], object] | None = None,
              observer: Callable[[ResourceRecord], None] | None = None) -> StackRun:
    """Run `project`'s program for `stack` offline and return what it registered.

    `program`: run this function as the program instead of the project's `main` (tests of components).
    `observer`: called with each resource as it is registered, from the thread that registers it.
    The SDK speed-ups (stackctl/engine/speedups/switch.py) are in place for the length of the run only, unless
    `STACKCTL_STOCK_SDK=1`. Raises `components.SpecError` for an invalid stack file (nothing but the root stack
    is registered), `InputError` for an unreadable one. Each run gets fresh SDK state, so runs do not leak into
    each other.
    """
    config = config if config is not None else read_stack_config(project, stack)
    # A thread of its own gives the run a fresh event loop and an empty context (the SDK keeps its
    # settings in context variables), and leaves the caller's asyncio state untouched.
    with speedups(), few_collections(), \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"stackctl-{stack}") as pool:
        return pool.submit(contextvars.Context().run, _run, project, stack, config, program, observer).result()


def _run(project: Project, stack: str, config: StackConfig, program: Callable[[], object] | None,
         observer: Callable[[ResourceRecord], None] | None = None) -> StackRun:
    handler = _CollectingHandler()
    logger = logging.getLogger(f"stackctl.program.{stack}")
    logger.propagate = False
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG)

    mocks = OfflineMocks()
    monitor = RecordingMonitor(mocks, project.name, stack, config.values, observer)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    configure(MockSettings(
        monitor=monitor,
        monitor_features=set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures),
        engine=_Engine(logger),
        project=project.name,
        stack=stack,
        dry_run=True,
        organization=ORGANIZATION,
        callbacks=None,
    ))
    pulumi.runtime.settings.ROOT.set(None)
    _fresh_pending_outputs()

    # As the language host does: a failed program leaves futures unobserved, which asyncio would
    # report as noise on top of the real error.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    previous_cwd, previous_argv = os.getcwd(), sys.argv
    previous_modules = set(sys.modules)
    # As the language host does: run `main` (the project directory, whose __main__.py runs with the directory
    # first on the import path, so the program can import its own modules) from the project directory.
    os.chdir(project.root)
    sys.argv = [str(project.main)]
    try:
        main = program or (lambda: runpy.run_path(str(project.main), run_name="__main__"))
        loop.run_until_complete(run_in_stack(lambda: _program(main)))
    except BaseException as exc:
        # What was registered before the failure, for callers that check "nothing was registered".
        exc.partial_run = _result(project, stack, config, monitor, handler)  # type: ignore[attr-defined]
        raise
    finally:
        os.chdir(previous_cwd)
        sys.argv = previous_argv
        if program is None:
            _forget_program_modules(project, previous_modules)
        loop.close()
    return _result(project, stack, config, monitor, handler)


async def _program(main: Callable[[], object]) -> None:
    result = main()
    if inspect.isawaitable(result):
        await result


def _forget_program_modules(project: Project, before: set[str]) -> None:
    """Unload the program's own modules imported by this run, so the next run (maybe another project with a
    module of the same name) imports its own. Only modules found through the program directory itself count:
    libraries (even a virtualenv inside the project) and modules loaded before the run stay."""
    directory = project.program_directory
    before_tops = {m.split(".")[0] for m in before}
    try:
        entries: set[str] | None = set(os.listdir(directory))
    except OSError:
        entries = None
    forgotten: set[str] = set()
    for name in set(sys.modules) - before:
        top_name = name.split(".")[0]
        # Cheap first: only a name whose top level is new and is a module or package in the program directory
        # can pass the checks below. Resolving every new module's file (~650 SDK modules) was 4 % of `preview dev`.
        if top_name in before_tops or (entries is not None and not {top_name, f"{top_name}.py"} & entries):
            continue
        module_file = _module_file(sys.modules.get(name))
        if not module_file:
            continue
        path = Path(module_file).resolve()
        if not path.is_relative_to(directory):
            continue
        top = path.relative_to(directory).parts[0]
        if top.removesuffix(".py") == top_name:
            del sys.modules[name]
            forgotten.add(name)
    if forgotten:
        type_hints.forget_classes_of(forgotten)


def _module_file(module: object) -> str | None:
    """A module's file, read without loading a lazy module (components.cloud_sdks): a plain `getattr` would
    import the SDK of the cloud the stack does not use."""
    try:
        if isinstance(module, types.ModuleType):
            return types.ModuleType.__getattribute__(module, "__file__")
        return getattr(module, "__file__", None)
    except AttributeError:
        return None


def _result(project: Project, stack: str, config: StackConfig, monitor: RecordingMonitor,
            handler: _CollectingHandler) -> StackRun:
    graph = Graph(project.name, stack, list(monitor.records.values()))
    return StackRun(graph=graph, config=config, diagnostics=handler.diagnostics)
