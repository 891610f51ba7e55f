"""Start-up time of `grader --help`, `grader list` and `grader new` beside a bare interpreter,
and the memory of `grader new` (SPEC §10).

Run: python benchmarks/bench_startup.py [--baseline SRC]
With --baseline, SRC is an unpacked source tree of an earlier version, laid out as installed:
    git archive <commit> | tar -x -C SRC
    ln -s ../problems SRC/grader/problems; ln -s ../templates SRC/grader/templates
Its `grader new` is timed in the same run, so the speed-up is measured against the earlier
code on the same machine at the same moment.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 15
NEUTRAL = tempfile.gettempdir()  # run from here, so no source tree in the current folder shadows the one timed
NEW = ["new", "beam-search", "--seed", "3"]


def timed(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of the command, in seconds. CPU
    time is what to compare on a busy machine: waiting for a core is not start-up work."""
    wall, cpu = [], []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env,
                       cwd=NEUTRAL)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(wall), statistics.median(cpu)


def peak_rss_mb(args: list[str]) -> float:
    """Peak resident memory of one child process run, in MB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(after, before) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--baseline", metavar="SRC", help="source tree of an earlier version to time beside")
    args = ap.parse_args()
    py = sys.executable
    grader = [py, "-m", "grader"]
    bare = timed([py, "-c", "pass"])
    rows = [
        ("python -c pass (baseline)", bare),
        ("grader --help", timed(grader + ["--help"])),
        ("grader list", timed(grader + ["list"])),
        ("grader new beam-search --seed 3", timed(grader + NEW)),
    ]
    if args.baseline:
        env = {**os.environ, "PYTHONPATH": os.path.abspath(args.baseline)}
        probe = subprocess.run([py, "-c", "import grader; print(grader.__file__)"], env=env,
                               capture_output=True, text=True, check=True, cwd=NEUTRAL)
        rows.append((f"  the same, {os.path.basename(os.path.abspath(args.baseline))}", timed(grader + NEW, env)))
        print(f"baseline code: {probe.stdout.strip()}")
    (bare_wall, bare_cpu) = bare
    print(f"{'start-up (median of %d)' % RUNS:<40} {'wall s':>8} {'vs bare':>8} {'CPU s':>8} {'vs bare':>8}")
    for name, (wall, cpu) in rows:
        print(f"{name:<40} {wall:8.3f} {wall / bare_wall:7.1f}x {cpu:8.3f} {cpu / bare_cpu:7.1f}x")
    if args.baseline:
        for label, k in (("wall", 0), ("CPU", 1)):
            ours, theirs = rows[3][1][k] - bare[k], rows[-1][1][k] - bare[k]
            print(f"grader new beyond a bare interpreter ({label}): {ours:.3f} s vs {theirs:.3f} s before "
                  f"({theirs / ours:.1f}x faster; target >= 2x)")
    rss = peak_rss_mb(grader + ["new", "beam-search", "--seed", "3", "--format", "html", "--solution"])
    print(f"{'grader new (html, solution) peak RSS':<40} {rss:7.0f} MB (target < 200 MB)")


if __name__ == "__main__":
    main()
