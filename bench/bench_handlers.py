"""Where does a case with the real handlers spend its time? Per handler, and the Laporan before/after.

The demo case of ``samples/monev_kinerja/demo.json`` is played with the real handlers and
sample files through :func:`sopflow.demo.run_demo` (its second, unfinished case left out),
each time on a fresh temporary SQLite database (the demo's periode can exist once per
database). Every registered handler (service tasks and form validators alike) is wrapped,
in this script only, at the plugin registry (``sopflow.plugins.registry``): each
invocation's wall time and CPU time (``time.process_time``: this process only, so it
hardly moves when other programs load the machine) are kept under its operator name. The
first case warms imports and caches and is not counted; the table gives, per handler over
the counted cases, the number of invocations, the median, total and per-case wall
milliseconds and the median CPU milliseconds, then the median wall time of one full case.

``--compare REV`` answers "how much faster is it now?" in the same run: the ``handlers/``
and ``templates/`` folders of commit ``REV`` are exported (``git archive``) to a temporary
folder, and the measurement runs in child processes, alternately with those handlers
(before) and the current ones (after), ``--rounds`` times each. A child imports the
``handlers`` package of its side (sopflow itself stays the current one; handlers only use
``sopflow.plugins``). The Laporan handler (``render_report_docx``) is then compared, median
per invocation and total per case, wall and CPU, with ``aggregate_performance_data``
(the same code on both sides) as the control for drift. The last line, for scripts:
``laporan-ratio before/after=<x.xx> (CPU per case)``.

By default LibreOffice is hidden (as in ``bench_floor.py``): the signing step completes
unsigned and no PDF is made, so the case's wall time is the engine and the handlers;
``--pdf`` keeps the PDF copies and the signature.

Usage: ``.venv/bin/python bench/bench_handlers.py [--cases 3] [--compare REV [--rounds 2]] [--profile OP] [--pdf]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import ROOT, handlers_wrapped

LAPORAN = "render_report_docx"
DEMO = ROOT / "samples" / "monev_kinerja" / "demo.json"


@contextmanager
def timed_handlers(
    times: dict[str, list[list[float]]],
    profile: str | None = None,
    profilers: dict[str, cProfile.Profile] | None = None,
) -> Iterator[None]:
    """Wrap every registered handler so each call's ``[wall seconds, CPU seconds]`` go to ``times[name]``.

    CPU seconds (``time.process_time``: this process only) hardly move when another program
    loads the machine; wall seconds are what a user waits.

    With ``profile`` set to an operator name, that handler's calls also run under the
    profiler ``profilers["current"]`` (replace it to start afresh). The registry is restored on exit.
    """
    profilers = profilers if profilers is not None else {}

    def wrap(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(params: dict[str, Any], ctx: Any) -> Any:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                if name == profile:
                    return profilers.setdefault("current", cProfile.Profile()).runcall(func, params, ctx)
                return func(params, ctx)
            finally:
                times[name].append([time.perf_counter() - started, time.process_time() - cpu])

        return timed

    with handlers_wrapped(wrap):
        yield


def play_case(folder: Path, templates_dir: Path | None) -> float:
    """Play the demo case once on a new SQLite database in ``folder``; return its wall seconds."""
    from sopflow import Database, Engine, Settings
    from sopflow.demo import load_script, run_demo

    url = f"sqlite:///{folder / 'case.sqlite3'}"
    db = Database(url)
    db.upgrade()
    extra = {"templates_dir": templates_dir} if templates_dir else {}
    engine = Engine(db, Settings(database_url=url, data_dir=folder / "data", **extra))
    script = {key: value for key, value in load_script(DEMO).items() if key != "open_case"}  # one case only
    try:
        started = time.perf_counter()
        result = run_demo(engine, script, folder / "out", say=lambda _line: None)
        spent = time.perf_counter() - started
    finally:
        db.dispose()
    if result.status != "selesai":
        raise RuntimeError(f"the demo case ended as {result.status}")
    return spent


def measure(cases: int, templates_dir: Path | None, profile: str | None) -> dict[str, Any]:
    """Play ``cases`` + 1 demo cases (the first not counted); return per-handler seconds and case seconds."""
    from sopflow.logs import configure_logging

    configure_logging(level="WARNING")  # the engine's per-command log lines would be timed too
    times: dict[str, list[list[float]]] = defaultdict(list)
    walls = []
    profilers: dict[str, cProfile.Profile] = {}
    with tempfile.TemporaryDirectory(prefix="sopflow-handlers-") as tmp, timed_handlers(times, profile, profilers):
        for n in range(cases + 1):
            if n == 1:  # the warm-up case is neither counted nor profiled
                times.clear()
                profilers.pop("current", None)
            folder = Path(tmp) / f"case{n}"
            folder.mkdir()
            wall = play_case(folder, templates_dir)
            if n:
                walls.append(wall)
    handlers_module = sys.modules["handlers"].__file__
    stats = _profile_text(profilers["current"]) if profile and "current" in profilers else ""
    return {"handlers": dict(times), "walls": walls, "cases": cases, "module": handlers_module, "profile": stats}


def _profile_text(profiler: cProfile.Profile) -> str:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
    return out.getvalue()


def merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool the samples of several measurements (rounds) into one."""
    handlers: dict[str, list[list[float]]] = defaultdict(list)
    for result in results:
        for name, samples in result["handlers"].items():
            handlers[name] += samples
    return {
        "handlers": dict(handlers),
        "walls": [wall for result in results for wall in result["walls"]],
        "cases": sum(result["cases"] for result in results),
        "module": results[0]["module"],
    }


def table(result: dict[str, Any]) -> str:
    """Return the per-handler table (slowest total first) and the case's wall time."""
    rows = sorted(result["handlers"].items(), key=lambda item: -sum(wall for wall, _ in item[1]))
    lines = [f"{'handler':<30}{'calls':>6}{'median':>11}{'total':>12}{'per case':>11}{'CPU median':>13}"]
    for name, samples in rows:
        total = sum(wall for wall, _ in samples) * 1000
        median = statistics.median(w for w, _ in samples) * 1000
        cpu = statistics.median(c for _, c in samples) * 1000
        per_case = total / result["cases"]
        lines.append(f"{name:<30}{len(samples):>6}{median:>8.1f} ms{total:>9.1f} ms{per_case:>8.1f} ms{cpu:>10.1f} ms")
    handlers_total = sum(sum(wall for wall, _ in s) for s in result["handlers"].values()) * 1000 / result["cases"]
    lines.append(f"{'all handlers, per case':<30}{'':>6}{'':>11}{'':>12}{handlers_total:>8.1f} ms")
    wall = statistics.median(result["walls"]) * 1000
    lines.append(f"full case with real handlers ({result['cases']} cases): median {wall:.0f} ms")
    return "\n".join(lines)


def compare(before: dict[str, Any], after: dict[str, Any], rev: str, control: str) -> str:
    """Return the Laporan's before/after lines: medians and per-case totals (wall and CPU), and a control handler."""

    def figures(result: dict[str, Any], name: str) -> dict[str, float]:
        samples = result["handlers"][name]
        return {
            "median": statistics.median(w for w, _ in samples) * 1000,
            "cpu median": statistics.median(c for _, c in samples) * 1000,
            "per case": sum(w for w, _ in samples) * 1000 / result["cases"],
            "CPU per case": sum(c for _, c in samples) * 1000 / result["cases"],
        }

    old, new = figures(before, LAPORAN), figures(after, LAPORAN)
    lines = [f"{LAPORAN} ({len(after['handlers'][LAPORAN]) // after['cases']} calls per case), before = {rev}"]
    lines.append(f"{'':<16}{'before':>11}{'after':>11}{'ratio':>8}")
    for key in old:
        lines.append(f"{key:<16}{old[key]:>8.1f} ms{new[key]:>8.1f} ms{old[key] / new[key]:>8.2f}")
    unchanged_old, unchanged_new = figures(before, control), figures(after, control)
    lines.append(
        f"control: {control} (same code in both), CPU per case ratio "
        f"{unchanged_old['CPU per case'] / unchanged_new['CPU per case']:.2f} (1.00 = no drift)"
    )
    lines.append(f"laporan-ratio before/after={old['CPU per case'] / new['CPU per case']:.2f} (CPU per case)")
    return "\n".join(lines)


def export_revision(rev: str, folder: Path) -> Path:
    """Write ``handlers/`` and ``templates/`` of commit ``rev`` into ``folder``; return it."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "handlers", "templates"],
        check=True,
        capture_output=True,
    ).stdout
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run_child(root: Path, cases: int, out: Path) -> dict[str, Any]:
    """Measure in a child process whose ``handlers`` package (and templates) come from ``root``."""
    command = [sys.executable, __file__, "--cases", str(cases), "--root", str(root), "--json", str(out)]
    subprocess.run(command, check=True, env=os.environ.copy())
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def main(argv: list[str] | None = None) -> int:
    """Measure; print the table, and with ``--compare`` the Laporan before/after."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=3, help="demo cases measured per run (after one warm-up case)")
    parser.add_argument("--compare", metavar="REV", help="also measure the handlers of this commit (before)")
    parser.add_argument("--rounds", type=int, default=2, help="with --compare: before/after runs, alternating")
    parser.add_argument(
        "--profile", metavar="OPERATOR", help="cProfile this handler's calls (counted cases; not with --compare)"
    )
    parser.add_argument("--pdf", action="store_true", help="keep LibreOffice: PDF copies and the signature")
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)  # child: import handlers/ from here
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)  # child: write the result here
    args = parser.parse_args(argv)
    if not args.pdf:
        os.environ["SOFFICE"] = str(Path(tempfile.gettempdir()) / "tanpa-libreoffice")
    if args.root:
        sys.path.insert(0, str(args.root.resolve()))  # before anything imports ``handlers``
        result = measure(args.cases, args.root.resolve() / "templates", None)
        args.json.write_text(json.dumps(result), encoding="utf-8")
        return 0
    if not args.compare:
        after = measure(args.cases, None, args.profile)
        print(f"per handler over {args.cases} demo cases (after one warm-up case), handlers from {after['module']}")
        print(table(after))
        if args.profile:
            print()
            print(after["profile"])
        return 0
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="sopflow-before-") as tmp:
        roots = {"before": export_revision(args.compare, Path(tmp) / "before"), "after": ROOT}
        for n in range(args.rounds):  # alternate, so a burst of load elsewhere hits both sides
            order = ("before", "after") if n % 2 == 0 else ("after", "before")
            for side in order:
                print(f"round {n + 1}/{args.rounds}: {side} ({args.cases} cases + warm-up, child process)", flush=True)
                runs[side].append(run_child(roots[side], args.cases, Path(tmp) / f"{side}{n}.json"))
    before, after = merge(runs["before"]), merge(runs["after"])
    print()
    print(f"now: handlers from {after['module']}")
    print(table(after))
    print()
    print(f"before: handlers of {args.compare}, imported from {before['module']}")
    print(table(before))
    print()
    print(compare(before, after, args.compare, "aggregate_performance_data"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
