"""Benchmark: wall time of offline runs per shipped stack (preview and policy check).

    .venv/bin/python benchmarks/offline_runs.py [--repeat N]

Targets (on a 2-core CI machine): a warm offline preview under 2 s per stack, a policy check (pack start,
Analyze per resource, AnalyzeStack) under 15 s per stack. Exits 1 when a median misses its target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from stackctl.analysis import analyzer
from stackctl.engine.project import Project
from stackctl.engine.runner import run_stack

PREVIEW_TARGET_SECONDS = 2.0
CHECK_TARGET_SECONDS = 15.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    project = Project.load(Path(__file__).resolve().parent.parent)
    failed = False
    for stack in project.stacks():
        run_stack(project, stack)  # warm: the first run of a cloud imports its SDK modules
        previews = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            run = run_stack(project, stack)
            previews.append(time.perf_counter() - start)
        tier = run.config.values.get(f"{project.name}:tier")
        config = json.loads((project.root / "policy" / "config" / f"{tier}.json").read_text())
        start = time.perf_counter()
        analyzer.check(run, project.root / "policy", config, f"policy/config/{tier}.json")
        check_seconds = time.perf_counter() - start
        preview_median = statistics.median(previews)
        ok = preview_median <= PREVIEW_TARGET_SECONDS and check_seconds <= CHECK_TARGET_SECONDS
        failed |= not ok
        print(f"{stack:10} resources={len(run.graph.resources):4} preview median={preview_median:.2f}s "
              f"check={check_seconds:.2f}s {'ok' if ok else 'OVER TARGET'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
