"""Every benchmark in one run: start-up, expression grading, exams, practice, hostile classes (SPEC §10)."""
from __future__ import annotations

import runpy
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in ("bench_startup.py", "bench_expressions.py", "bench_exam.py", "bench_practice.py", "bench_hostile.py"):
    path = HERE / script
    print(f"\n== {script} ==", flush=True)
    runpy.run_path(str(path), run_name="__main__")
