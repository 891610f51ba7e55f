"""`grader --help` and `grader list` stay free of NumPy and SymPy (SPEC §10); commands that only
render (`grader new`) never load SymPy."""
import subprocess
import sys

import pytest

PROBE = """
import sys
from grader.cli import main
try:
    main({args!r})
except SystemExit:
    pass
heavy = sorted(m for m in ("numpy", "sympy", "jinja2") if m in sys.modules)
print("HEAVY:", ",".join(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["list"], ["list", "--json"]])
def test_no_heavy_imports(args):
    result = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, timeout=60)
    line = [l for l in result.stderr.splitlines() if l.startswith("HEAVY:")][-1]
    assert line == "HEAVY: ", f"{args} imported {line}"


def test_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "grader", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "selftest" in result.stdout


@pytest.mark.parametrize("args", [["new", "beam-search", "--seed", "3"],
                                  ["new", "mlp-backprop", "--seed", "1", "--format", "json", "--solution"]])
def test_rendering_does_not_load_sympy(args):
    result = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, timeout=60)
    line = [l for l in result.stderr.splitlines() if l.startswith("HEAVY:")][-1]
    assert "sympy" not in line, f"{args} imported {line}"
