import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

# The suite is reproducible: property tests draw the same examples on every run (set
# GRADER_HYPOTHESIS=explore for fresh draws while hunting for bugs).
settings.register_profile("reproducible", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile("explore" if os.environ.get("GRADER_HYPOTHESIS") == "explore" else "reproducible")

from grader.cli import cli

TESTS = Path(__file__).resolve().parent


def shared_dir() -> Path | None:
    """The course's shared folder (seeds, cases, corpora) beside the checkout, if present."""
    env = os.environ.get("GRADER_SHARED")
    candidates = [Path(env)] if env else []
    candidates.append(TESTS.parents[1] / "shared")
    for path in candidates:
        if path.is_dir():
            return path
    return None


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def invoke(runner):
    """Run the CLI in-process; returns click's Result (stdout, stderr, exit_code)."""

    def run(*args, **kwargs):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)

    return run


@pytest.fixture
def write_json(tmp_path):
    def write(name, value):
        path = tmp_path / name
        path.write_text(json.dumps(value), encoding="utf-8")
        return path

    return write


@pytest.fixture
def kept_registry(monkeypatch):
    """The catalog as it is before the test, back after it: course problems a test loads
    (`--problems-dir`) stay out of later tests."""
    from grader import registry

    registry.ids()  # the bundled catalog first, so it stays
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_COURSE_DIRS", list(registry._COURSE_DIRS))


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Practice history goes to a temporary folder, never the user's own."""
    folder = tmp_path / "grader-data"
    monkeypatch.setenv("GRADER_DATA_DIR", str(folder))
    return folder
