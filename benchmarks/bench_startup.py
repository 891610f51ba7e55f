"""Start-up time of `grader --help` and `grader list` beside a bare interpreter, and the memory
of `grader new` (SPEC §10)."""
from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time

RUNS = 15


def timed(args: list[str]) -> float:
    best = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        best.append(time.perf_counter() - start)
    return statistics.median(best)


def peak_rss_mb(args: list[str]) -> float:
    """Peak resident memory of one child process run, in MB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(after, before) / 1024


def main() -> None:
    py = sys.executable
    grader = [py, "-m", "grader"]
    bare = timed([py, "-c", "pass"])
    rows = [
        ("python -c pass (baseline)", bare),
        ("grader --help", timed(grader + ["--help"])),
        ("grader list", timed(grader + ["list"])),
        ("grader new beam-search --seed 3", timed(grader + ["new", "beam-search", "--seed", "3"])),
    ]
    print(f"{'start-up (median of %d)' % RUNS:<40} {'seconds':>8} {'vs bare':>8}")
    for name, seconds in rows:
        print(f"{name:<40} {seconds:8.3f} {seconds / bare:7.1f}x")
    rss = peak_rss_mb(grader + ["new", "beam-search", "--seed", "3", "--format", "html", "--solution"])
    print(f"{'grader new (html, solution) peak RSS':<40} {rss:7.0f} MB (target < 200 MB)")


if __name__ == "__main__":
    main()
