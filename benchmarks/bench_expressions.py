"""Expression grading throughput on distinct pairs, side by side with `simplify(a - b) == 0`.

Run: python benchmarks/bench_expressions.py [--pairs N]
Every reference and every answer is a new string (a new constant in each, as when every
student has a variant of their own), graded through the sandbox in batches as `grader compare
--batch` and exam grading do; the same through the command itself (a subprocess, start-up
included); and, labelled as such, the figure when references repeat. Prints answers per
second, the speed ratio against the naive symbolic way on the same pairs (naive timed on a
sample, it is slow), and every pair whose verdict is wrong.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

from grader.answers import make
from grader.answers.sandbox import grade_many

MLP = dict(variables=("y_pred", "y_true", "C_i", "z_i", "x", "s"), functions=("sigma",))
BN = dict(variables=("g_i", "G", "gamma", "m"))
X = dict(variables=("x", "y", "z"))
OPTIONS = {"mlp": MLP, "bn": BN, "x": X}
LINE_FIELDS = {"mlp": {"vars": list(MLP["variables"]), "funcs": ["sigma"]},
               "bn": {"vars": list(BN["variables"])}, "x": {"vars": list(X["variables"])}}

# (options, reference, answer, equal?) with {c} a constant new to every pair, {c2} = c*c, {d} = 2c
TEMPLATES = [
    ("mlp", "{c}*(y_pred - y_true)*C_i*sigma'(z_i)", "{c} C_i (y_pred-y_true) σ'(z_i)", True),
    ("mlp", "{c}*(y_pred - y_true)*C_i*sigma'(z_i)",
     r"{c}\left(y_{{pred}}-y_{{\text{{true}}}}\right)\cdot C_{{i}}\,\sigma'(z_{{i}})", True),
    ("mlp", "{c}*(y_pred - y_true)*C_i*sigma'(z_i)", "-{c}*(y_true - y_pred)*C_i*sigma'(z_i)", True),
    ("mlp", "{c}*(y_pred - y_true)*C_i*sigma'(z_i)", "{c}*(y_pred - y_true)*sigma'(z_i)", False),
    ("mlp", "{c}*(y_pred - y_true)*C_i*sigma'(z_i)", "{c}*(y_pred - y_true)*C_i*sigma(z_i)", False),
    ("mlp", "{c}*(y_pred - y_true)*C_i*sigma'(z_i)*x", "{c} x C_i (y_pred - y_true) σ'(z_i)", True),
    ("mlp", "{c}*s*(1-s)", "{c}s - {c}s^2", True),
    ("mlp", "{c}*s*(1-s)", "{c}s^2 - {c}s", False),
    ("bn", "gamma*(g_i - G/{c})", "gamma g_i - gamma G / {c}", True),
    ("bn", "gamma*(g_i - G/{c})", r"\gamma\left(g_i - \frac{{G}}{{{c}}}\right)", True),
    ("bn", "gamma*(g_i - G/{c})", "gamma*(1 - 1/{c})*g_i", False),
    ("x", "(x^2-{c2})/(x-{c})", "x+{c}", True),
    ("x", "exp(x+{c})", "e^x e^{c}", True),
    ("x", "tanh({c}*x)", "2*sigmoid({d}x) - 1", True),
    ("x", "{c}/(1+exp(-x))*(1-1/(1+exp(-x)))", "{c}exp(-x)/(1+exp(-x))^2", True),
    ("x", "sqrt(x^2) + {c}", "x + {c}", False),
    ("x", "log({c}*x*y)", "log({c}) + log(x) + log(y)", False),
    ("x", "{c}*x^2", "{c}*x*x + relu(x - {c} - 1000)", False),
    ("x", "{c}*(x+y)^2", "{c}x^2 + {d}xy + {c}y^2", True),
    ("x", "{c}*x*y", "{c}*x*y*(1 + 10^(-12))", False),
]


def constant(i: int, run: int = 0) -> str:
    """A constant new to pair i of a run: (15 + i)/7 + run/11, never repeated (run < 11)."""
    q = Fraction(15 + i, 7) + Fraction(run, 11)
    return str(q.numerator) if q.denominator == 1 else f"({q.numerator}/{q.denominator})"


def distinct_pairs(n: int, run: int = 0) -> list[tuple[str, str, str, bool]]:
    """n pairs, each string new to the run's other pairs and to other runs' pairs."""
    out = []
    for i in range(n):
        kind, ref, ans, equal = TEMPLATES[i % len(TEMPLATES)]
        c = Fraction(constant(i, run).strip("()"))
        fmt = {"c": constant(i, run), "c2": f"({c * c})", "d": f"({2 * c})"}
        out.append((kind, ref.format(**fmt), ans.format(**fmt), equal))
    return out


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def through_sandbox(pairs, types) -> tuple[float, float, list]:
    """Answers per second of wall time, and per CPU-second of the parent and the sandbox worker
    together (what one core does: on a busy machine, waiting for a core is not work)."""
    from grader.answers import sandbox

    items = [(types[k], a, r) for k, r, a, _ in pairs]
    grade_many(items[:1])  # the worker is up
    worker = sandbox._worker.pid
    start, cpu = time.perf_counter(), time.process_time() + _cpu_seconds(worker)
    outs = grade_many(items)
    wall = time.perf_counter() - start
    cpu = time.process_time() + _cpu_seconds(worker) - cpu
    wrong = [(r, a, o.verdict) for (k, r, a, eq), o in zip(pairs, outs) if (o.verdict == "correct") != eq]
    return len(items) / wall, len(items) / cpu, wrong


def through_command(pairs) -> tuple[float, list]:
    """`grader compare --batch` in a subprocess, start-up included."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for kind, ref, ans, _ in pairs:
            f.write(json.dumps({"type": "expression", "reference": ref, "answer": ans, **LINE_FIELDS[kind]}) + "\n")
    try:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "grader", "compare", "--batch", f.name, "--json"],
                              capture_output=True, text=True, check=True)
        rate = len(pairs) / (time.perf_counter() - start)
    finally:
        os.unlink(f.name)
    outs = [json.loads(line) for line in done.stdout.splitlines()]
    wrong = [(r, a, o["verdict"]) for (k, r, a, eq), o in zip(pairs, outs) if (o["verdict"] == "correct") != eq]
    return rate, wrong


def naive(pairs) -> tuple[float, float, list]:
    """`sympy.simplify(a - b) == 0` on the trusted parsed forms of the pairs (wall and CPU rates)."""
    import sympy

    from grader.answers.parser import parse

    parsed = [(parse(r, **OPTIONS[k]), parse(a, **OPTIONS[k]), eq, r, a) for k, r, a, eq in pairs]
    start, cpu = time.perf_counter(), time.process_time()
    verdicts = [(sympy.simplify(ans - ref) == 0, eq, r, a) for ref, ans, eq, r, a in parsed]
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return len(parsed) / wall, len(parsed) / cpu, [(r, a, got) for got, eq, r, a in verdicts if got != eq]


def preview_ms(pairs, types) -> float:
    """Median time of the "read as" preview (SPEC §10: < 50 ms), each answer a new string."""
    times = []
    for kind, _, answer, _ in pairs:
        start = time.perf_counter()
        types[kind].preview(answer)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def machine_factor() -> float:
    """CPU seconds of a fixed pure-Python loop (about 0.12 s on an idle 2020s core): how much
    slower this machine runs Python right now, to read the figures by."""
    start = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pairs", type=int, default=3000)
    ap.add_argument("--naive-sample", type=int, default=len(TEMPLATES) * 2)
    ap.add_argument("--runs", type=int, default=5, choices=range(1, 11), metavar="1..10",
                    help="sandbox runs, each on new pairs")
    args = ap.parse_args()
    types = {k: make("expression", **o) for k, o in OPTIONS.items()}
    runs = [distinct_pairs(args.pairs, run) for run in range(args.runs)]
    pairs = runs[0]
    every = [p for run in runs for p in run]
    assert len({r for _, r, _, _ in every}) == len(every) and len({a for _, _, a, _ in every}) == len(every)
    rates, wrong, loops = [], [], []
    for run in runs:
        loops.append(machine_factor())
        wall, cpu, bad = through_sandbox(run, types)
        rates.append((wall, cpu))
        wrong += bad
    sandbox_wall, sandbox_cpu = (statistics.median(r) for r in zip(*rates))
    best_wall, best_cpu = (max(r) for r in zip(*rates))
    command_rate, command_wrong = through_command(pairs)
    repeated = [pairs[i % len(TEMPLATES)] for i in range(args.pairs)]
    repeated_wall, repeated_cpu, _ = through_sandbox(repeated, types)
    naive_wall, naive_cpu, naive_wrong = naive(pairs[:args.naive_sample])
    preview = preview_ms(distinct_pairs(args.pairs + 400)[args.pairs:], types)
    print(f"{args.pairs} expression pairs, every reference and answer a new string; sandboxed, in batches")
    print(f"{'':52}{'per wall s':>12}{'per CPU s':>12}")
    print(f"{'ours, distinct pairs (sandbox, one process)':52}{sandbox_wall:12.0f}{sandbox_cpu:12.0f}"
          f"   (median of {args.runs} runs, each on new pairs)")
    print(f"{'  the best of those runs':52}{best_wall:12.0f}{best_cpu:12.0f}")
    print(f"{'ours, distinct pairs via grader compare --batch':52}{command_rate:12.0f}{'':>12}   (start-up included)")
    print(f"{'ours, repeated references (labelled: not distinct)':52}{repeated_wall:12.0f}{repeated_cpu:12.0f}")
    label = f"naive simplify(a - b) == 0 ({len(pairs[:args.naive_sample])} distinct pairs)"
    print(f"{label:52}{naive_wall:12.1f}{naive_cpu:12.1f}")
    print(f"speed ratio on distinct pairs (ours / naive): {sandbox_wall / naive_wall:.0f}x wall, "
          f"{sandbox_cpu / naive_cpu:.0f}x CPU   targets: >= 3000/s per core, >= 200x")
    print(f"wrong verdicts, ours: {len(wrong)} (sandbox, {len(every)} pairs), {len(command_wrong)} (command)"
          + "".join(f"\n  {w}" for w in wrong + command_wrong))
    print(f"wrong verdicts, naive: {len(naive_wrong)}" + "".join(f"\n  {w}" for w in naive_wrong))
    print(f"read-as preview: median {preview:.2f} ms per new answer (target < 50 ms)")
    print(f"machine: a fixed Python loop took {min(loops):.2f} to {max(loops):.2f} CPU s before the runs "
          f"(about 0.12 s on an idle core), load average {os.getloadavg()[0]:.1f}")

if __name__ == "__main__":
    main()
